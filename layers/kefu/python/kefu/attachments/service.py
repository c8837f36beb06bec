"""Attachments people upload from the web app (mail attachments are stored by kefu.email, under `mail/`).

An upload goes straight from the browser to the attachments bucket under `uploads/<caller>/<random>/<name>`, with a
pre-signed POST whose policy holds the media type and the size range: S3 itself refuses a larger file. The limits
are checked three times: by the app before it asks, here before anything is signed, and when a ticket or message
names the key (the object's real size and type, read from S3, are what the ticket records). A caller may name only
their own uploads; a customer names nothing else (no mail keys, no outside URLs).

A file is downloaded by anyone who reaches the ticket it is on (its customer, the agents in scope), from a
pre-signed GET that names it as a download, never shown inline.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from kefu.config import ATTACHMENTS_BUCKET_VAR, required, settings
from kefu.errors import InvalidRequest, NotFound
from kefu.identity import Caller
from kefu.model import attachments as model
from kefu.model.attachments import AttachmentLimits, DownloadLink, Upload, UploadRequest
from kefu.model.tickets import Attachment
from kefu.store import files
from kefu.tickets import service as tickets

#: The limits are the request model's (kefu.model.attachments), so the API document states them.
MAX_BYTES = model.MAX_BYTES
CONTENT_TYPES = model.ACCEPTED_TYPES
#: As many files as a ticket or message takes (kefu.model.tickets).
MAX_FILES = 20
UPLOAD_PREFIX = "uploads/"
#: Long enough to upload 10 MB on a slow mobile link; short enough that a leaked form is soon useless.
UPLOAD_EXPIRES = timedelta(minutes=15)
DOWNLOAD_EXPIRES = timedelta(minutes=5)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


class AttachmentRefused(InvalidRequest):
    """A file kefu does not take (too large, a media type not on the list, not uploaded, not the caller's)."""


def limits() -> AttachmentLimits:
    return AttachmentLimits(maxBytes=MAX_BYTES, maxFiles=MAX_FILES, contentTypes=list(CONTENT_TYPES))


def start_upload(caller: Caller, request: UploadRequest) -> Upload:
    """A pre-signed POST for one file of an accepted type and size (the request model checks both)."""
    content_type = request.contentType
    name = safe_name(request.name)
    key = f"{_prefix(caller)}{uuid.uuid4().hex}/{name}"
    expires = UPLOAD_EXPIRES
    url, fields = files.presigned_post(_bucket(), key, content_type, MAX_BYTES, int(expires.total_seconds()))
    return Upload(
        uploadUrl=url,
        fields=fields,
        key=key,
        name=name,
        contentType=content_type,
        size=request.size,
        maxBytes=MAX_BYTES,
        expiresAt=_real_now() + expires,
    )


def verified(caller: Caller, attachments: Iterable[Attachment]) -> list[Attachment]:
    """The files a new ticket or message names, as S3 holds them. An upload (`uploads/…`) must be the caller's
    own, be there, and be within the limits; customers name only their uploads. Staff may still list files kefu
    stored elsewhere (a mail's), as before."""
    checked: list[Attachment] = []
    for attachment in attachments:
        if attachment.key is None or not attachment.key.startswith(UPLOAD_PREFIX):
            if caller.is_customer:
                raise AttachmentRefused(f"{attachment.name}: upload the file first and name the key you were given")
            checked.append(attachment)
            continue
        checked.append(_uploaded(caller, attachment))
    return checked


def download(caller: Caller, ticket_id: str, key: str) -> DownloadLink:
    """A download link for a file on the ticket or on a timeline entry the caller sees (404 for any other)."""
    ticket = tickets.get_ticket(caller, ticket_id)
    found = _find(ticket.attachments, key)
    cursor: str | None = None
    while found is None:
        page = tickets.timeline(caller, ticket.id, limit=settings().max_page_size, cursor=cursor)
        found = next((a for entry in page.items if (a := _find(entry.attachments, key))), None)
        cursor = page.nextCursor
        if cursor is None:
            break
    if found is None or found.key is None:
        raise NotFound(f"ticket {ticket.id} has no such file")
    expires = DOWNLOAD_EXPIRES
    url = files.presigned_get(_bucket(), found.key, found.name, int(expires.total_seconds()))
    return DownloadLink(url=url, name=found.name, contentType=found.contentType, expiresAt=_real_now() + expires)


def safe_name(name: str) -> str:
    """The file's own name without path separators or control characters (the key's last part)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned[-200:] or "file"


def _uploaded(caller: Caller, attachment: Attachment) -> Attachment:
    key = attachment.key or ""
    if not key.startswith(_prefix(caller)):
        raise AttachmentRefused(f"{attachment.name}: not a file you uploaded")
    if caller.is_customer and (attachment.url or attachment.omitted or attachment.inline):
        raise AttachmentRefused(f"{attachment.name}: an upload names its key, name, type and size only")
    stored = files.stored(_bucket(), key)
    if stored is None:
        raise AttachmentRefused(f"{attachment.name}: no file was uploaded under this key (or its upload failed)")
    content_type = _media_type(stored.content_type)
    _check(attachment.name, content_type, stored.size)
    return Attachment(name=safe_name(attachment.name), contentType=content_type, size=stored.size, key=key)


def _check(name: str, content_type: str, size: int) -> None:
    if content_type not in CONTENT_TYPES:
        raise AttachmentRefused(f"{name}: files of type {content_type} are not accepted")
    if size > MAX_BYTES:
        raise AttachmentRefused(f"{name}: {size} bytes is over the limit of {MAX_BYTES} bytes a file")
    if size < 1:
        raise AttachmentRefused(f"{name}: the file is empty")


def _media_type(value: str) -> str:
    """`image/PNG; charset=…` as `image/png`: parameters and letter case do not make another type."""
    return value.split(";", 1)[0].strip().lower()


def _prefix(caller: Caller) -> str:
    return f"{UPLOAD_PREFIX}{_UNSAFE.sub('_', caller.sub)}/"


def _find(attachments: Iterable[Attachment], key: str) -> Attachment | None:
    return next((a for a in attachments if a.key == key), None)


def _real_now() -> datetime:
    # S3 checks a pre-signed link against real time, also when the local stack runs kefu's clock faster.
    return datetime.now(UTC)


def _bucket() -> str:
    return required(settings().attachments_bucket, ATTACHMENTS_BUCKET_VAR)
