"""boto3 clients (S3, SES, SNS, Step Functions, …) on the botocore session of the table's connection.

One session per process: a session of its own would load botocore's shared data (endpoints, partitions, retry rules)
once more on a cold start. boto3 is imported on the first such client, not with the table's connection: a function
whose first work only reads DynamoDB (the API's `GET /tickets/{id}`) never pays boto3's import (its resource
factory, its docs, s3transfer).
"""

from __future__ import annotations

from typing import Any

from kefu.store.models import KefuItem

#: The table's connection and the boto3 session over its botocore session (pynamodb makes a new connection when the
#: table's settings change, and with it a new session).
_shared: tuple[Any, Any] | None = None


def boto3_client(service: str, **kwargs: Any) -> Any:
    """`boto3.client(service, **kwargs)`, from the table connection's botocore session."""
    global _shared
    import boto3

    connection = KefuItem._get_connection()
    if _shared is None or _shared[0] is not connection:
        _shared = (connection, boto3.session.Session(botocore_session=connection.connection.session))
    return _shared[1].client(service, **kwargs)
