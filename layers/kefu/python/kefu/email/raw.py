"""S3 for the e-mail channel: raw mail as SES stored it, and the attachments taken out of it. Clients are made on
first use, never at import."""

from __future__ import annotations

from functools import cache
from typing import Any

from kefu.config import settings


@cache
def _s3() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("s3", settings().region)


class RawMailGone(Exception):
    """The stored mail is no longer in its bucket (taken long ago, then expired, or removed by hand)."""


def read(bucket: str, key: str) -> bytes:
    s3 = _s3()
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey as err:
        raise RawMailGone(f"s3://{bucket}/{key}") from err


def store(bucket: str, key: str, content: bytes, content_type: str) -> None:
    _s3().put_object(Bucket=bucket, Key=key, Body=content, ContentType=content_type)
