"""Logger, Tracer and Metrics singletons shared by every function."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="kefu")
# Only botocore is patched: every AWS call goes through it (pynamodb too); patching every library X-Ray
# knows (requests, httplib, sqlite3, …) would cost the cold start for calls kefu never makes.
tracer = Tracer(service="kefu", patch_modules=["botocore"])
metrics = Metrics(namespace="kefu", service="kefu")
