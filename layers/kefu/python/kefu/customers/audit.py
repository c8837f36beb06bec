"""The audit trail of customer records: staff reading or changing a record leave an entry; admins read the trail
by customer or by actor, in time order."""

from __future__ import annotations

from kefu.clock import now
from kefu.identity import Caller, Role
from kefu.model.audit import AuditAction, AuditEntry, AuditNote
from kefu.model.tickets import Page
from kefu.store import audit as audit_store


def note(caller: Caller, action: AuditAction, fields: list[str] | None = None) -> AuditNote:
    """The entry for what the caller does (written with the change it records, or on its own by `record`)."""
    return AuditNote(actorId=caller.sub, actorRole=caller.role.value, action=action, fields=fields or [])


def record(caller: Caller, customer_id: str, action: AuditAction) -> None:
    audit_store.add(customer_id, note(caller, action), now())


def of_customer(caller: Caller, customer_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
    caller.require(Role.ADMIN)
    return audit_store.of_customer(customer_id, limit=limit, cursor=cursor)


def of_actor(caller: Caller, actor_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
    caller.require(Role.ADMIN)
    return audit_store.of_actor(actor_id, limit=limit, cursor=cursor)
