"""An audit entry: who did what to a customer's record, and when (never the personal data itself)."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.defaults import empty_list


class AuditAction(StrEnum):
    READ = "read"
    CHANGED = "changed"
    EXPORTED = "exported"
    ERASED = "erased"
    MERGED = "merged"


class AuditEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customerId: str
    actorId: str
    actorRole: str
    action: AuditAction
    #: The fields a change set (not their values).
    fields: list[str] = Field(default_factory=empty_list)
    at: datetime


class AuditNote(BaseModel):
    """An entry to write: who does what to a record (the store adds when, and an id)."""

    model_config = ConfigDict(frozen=True)

    actorId: str
    actorRole: str
    action: AuditAction
    fields: list[str] = Field(default_factory=empty_list)
