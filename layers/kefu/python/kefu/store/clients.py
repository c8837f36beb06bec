"""AWS clients other than the table's (S3, SES, SNS, Scheduler, Step Functions, …), on the botocore session of the
table's connection.

One session per process: a session of its own would load botocore's shared data (endpoints, partitions, retry rules)
once more on a cold start. The clients are botocore's, not boto3's: boto3 adds nothing to a client that kefu calls
(its S3 transfer methods, `upload_file` and the like, are all it injects into one), and importing it costs a cold
start about 75 M instructions (its resource factory, its docs, and s3transfer, which imports multiprocessing), and
its S3 customization more on the first S3 client. Powertools idempotency's DynamoDB layer imports boto3 too: kefu
writes its records with its own layer (kefu.store.idempotency_records).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kefu.store.models import KefuItem
from kefu.store.service_models import ENDPOINT_SERVICES


def aws_client(service: str, **kwargs: Any) -> Any:
    """A botocore client of `service` (`create_client`'s arguments, as `boto3.client` takes them), made from the
    table connection's botocore session; ValueError for a service the session's endpoints do not hold."""
    if service not in ENDPOINT_SERVICES:
        # The session reads kefu's copy of botocore's endpoints, with these services only (kefu.store.service_models):
        # another would be given its partition's default endpoint, not its own.
        raise ValueError(f"{service}: add it to ENDPOINT_SERVICES (kefu.store.service_models), `make service-models`")
    return KefuItem._get_connection().connection.session.create_client(service, **kwargs)


@cache
def shared_client(service: str, region: str) -> Any:
    """The process's one client of `service` in `region` with botocore's default configuration, for every module
    that calls the service so: each client made from the session's loaded model still costs its own endpoint
    resolver, event handlers and operation methods (~18 M instructions for S3, callgrind), and inbound mail's first
    mail made two S3 clients alike, for the raw mail and for the knowledge base's index. botocore's clients are
    thread-safe; a module keeping its client (`functools.cache`) keeps this one."""
    return aws_client(service, region_name=region)
