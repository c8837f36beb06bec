"""S3 for the files attached to tickets: pre-signed uploads (POST) and downloads (GET), and what an uploaded object
turned out to be. The client is made on first use, never at import."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from kefu.config import settings


@dataclass(frozen=True)
class StoredFile:
    size: int
    content_type: str


@cache
def _s3() -> Any:
    from botocore.config import Config

    from kefu.store.clients import aws_client

    # SigV4 for pre-signed URLs in every region (the default signer of older regions is SigV2 for S3).
    return aws_client("s3", region_name=settings().region, config=Config(signature_version="s3v4"))


def _public(url: str) -> str:
    """The URL as the browser reaches the bucket. Only the local stack sets another address (its web app proxies
    the local S3 endpoint on its own origin); a pre-signed POST's signature is in its fields, not its address."""
    base = settings().attachments_public_url
    if not base:
        return url
    parts = urlsplit(url)
    return base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def presigned_post(
    bucket: str, key: str, content_type: str, max_bytes: int, expires_in: int
) -> tuple[str, dict[str, str]]:
    """(URL, form fields) that let a browser upload exactly `key`, of this media type, at most `max_bytes` long."""
    post = _s3().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    return _public(post["url"]), {name: str(value) for name, value in post["fields"].items()}


def presigned_get(bucket: str, key: str, file_name: str, expires_in: int) -> str:
    """A link that downloads the object as a file named `file_name` (never shown inline by the browser)."""
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": _attachment_disposition(file_name),
        },
        ExpiresIn=expires_in,
    )
    return _public(url)


def stored(bucket: str, key: str) -> StoredFile | None:
    """What was uploaded under `key` (its real size and media type), or None when nothing was."""
    from botocore.exceptions import ClientError

    try:
        head = _s3().head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredFile(int(head["ContentLength"]), str(head.get("ContentType") or "application/octet-stream"))


def _attachment_disposition(file_name: str) -> str:
    from urllib.parse import quote

    ascii_name = file_name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"
