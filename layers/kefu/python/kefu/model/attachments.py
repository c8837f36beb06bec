"""Files customers and agents attach to tickets: what they ask to upload, the pre-signed upload kefu answers, the
limits it applies, and a download link."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _View(BaseModel):
    model_config = ConfigDict(defer_build=True)


class UploadRequest(_Strict):
    """A file the caller is about to upload: its name, media type and size in bytes, checked before any upload."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    contentType: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=127)]
    size: int = Field(ge=1, le=2**53)


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
