"""Files customers and agents attach to tickets: what they ask to upload, the pre-signed upload kefu answers, the
limits it applies, and a download link."""

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.text import Trimmed

#: One file at most this large: the e-mail channel's per-file limit, so a file is kept whichever way it came.
MAX_BYTES = 10 * 1024 * 1024
#: What people attach to a support request: pictures, documents, spreadsheets, plain text, archives. Nothing a
#: browser would run (HTML, SVG, scripts): a download is never rendered, and these could not be anyway.
AcceptedType = Literal[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]
ACCEPTED_TYPES: tuple[str, ...] = get_args(AcceptedType)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _View(BaseModel):
    model_config = ConfigDict(defer_build=True)


class UploadRequest(_Strict):
    """A file the caller is about to upload: its name, an accepted media type and its size in bytes (at most the
    limit), checked before anything is signed (422 otherwise)."""

    name: Annotated[str, Trimmed(min_length=1, max_length=255)]
    contentType: AcceptedType
    size: int = Field(ge=1, le=MAX_BYTES)


class AttachmentLimits(_View):
    """What a ticket's files may be: shown before a file is chosen, applied when it is uploaded and again when the
    ticket names it."""

    maxBytes: int
    maxFiles: int
    contentTypes: list[str]


class Upload(_View):
    """A pre-signed S3 POST: send `fields` and then the file (as `file`) in a multipart form to `uploadUrl` before
    `expiresAt`, then name `key` in the ticket's `attachments`."""

    uploadUrl: str
    fields: dict[str, str]
    key: str
    name: str
    contentType: str
    size: int
    maxBytes: int
    expiresAt: datetime


class DownloadLink(_View):
    """A pre-signed GET for one of a ticket's files, good until `expiresAt`."""

    url: str
    name: str
    contentType: str
    expiresAt: datetime
