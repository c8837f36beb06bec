"""The privacy jobs (erasure, export) as executions of their state machine (kefu_infra.capabilities.privacy), and
the S3 objects they read, delete and write. Clients are made on first use, never at import."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from kefu.config import ATTACHMENTS_BUCKET_VAR, PRIVACY_STATE_MACHINE_VAR, RAW_MAIL_BUCKET_VAR, required, settings

#: How long an export's pre-signed link works (seconds): long enough to start a download, short enough not to be
#: a standing way in should the link be forwarded.
LINK_SECONDS = 900


@cache
def _client(service: str) -> Any:
    from botocore.config import Config

    from kefu.store.clients import aws_client

    # Signature version 4 for S3: pre-signed links carry their expiry (X-Amz-Expires), as S3 requires for KMS.
    config = Config(signature_version="s3v4") if service == "s3" else None
    return aws_client(service, region_name=settings().region, config=config)


def start(document: dict[str, Any], name: str) -> None:
    """Start the job's execution under `name` (a name used before is a job started before: nothing happens)."""
    client = _client("stepfunctions")
    arn = required(settings().privacy_state_machine_arn, PRIVACY_STATE_MACHINE_VAR)
    try:
        client.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document))
    except client.exceptions.ExecutionAlreadyExists:
        return


def execution_name(kind: str, customer_id: str, run: int | str) -> str:
    """A name Step Functions accepts (80 characters of a restricted set) that tells the jobs of a customer apart;
    the customer id itself (a Cognito sub may hold `:` or `@`) only as a digest."""
    digest = hashlib.sha256(customer_id.encode()).hexdigest()[:24]
    return f"{kind}-{digest}-{run}"[:80]


def raw_mail_bucket() -> str:
    return required(settings().raw_mail_bucket, RAW_MAIL_BUCKET_VAR)


def files_bucket() -> str:
    """The attachments bucket: attachments, and the export archives under `exports/`."""
    return required(settings().attachments_bucket, ATTACHMENTS_BUCKET_VAR)


def delete_objects(bucket: str, keys: list[str]) -> None:
    """Delete the objects with every version of them (the buckets are versioned: a plain delete would only hide
    the data behind a delete marker). An object already gone is no error: a repeated step."""
    s3 = _client("s3")
    versions: list[dict[str, str]] = []
    for key in keys:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
            for found in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if found["Key"] == key:
                    versions.append({"Key": key, "VersionId": found["VersionId"]})
    for start_at in range(0, len(versions), 1000):
        batch = versions[start_at : start_at + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def read_object(bucket: str, key: str) -> bytes | None:
    s3 = _client("s3")
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def write_object(bucket: str, key: str, body: bytes, content_type: str) -> None:
    _client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def link(bucket: str, key: str) -> str:
    """A pre-signed GET of the object, valid LINK_SECONDS."""
    return _client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=LINK_SECONDS
    )
