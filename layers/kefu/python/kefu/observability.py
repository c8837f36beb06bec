"""Logger, Tracer and Metrics singletons shared by every function."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="kefu")
tracer = Tracer(service="kefu")
metrics = Metrics(namespace="kefu", service="kefu")
