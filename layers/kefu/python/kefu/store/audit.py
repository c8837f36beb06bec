"""The audit trail of customer records (access pattern 16): entries by customer and by actor, in time order."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from kefu.clock import iso
from kefu.model.audit import AuditEntry, AuditNote
from kefu.model.tickets import Page
from kefu.store import cursor as cursors
from kefu.store.full_items import read_in_full
from kefu.store.record_models import AuditItem


def customer_partition(customer_id: str) -> str:
    return f"AUDIT#CUST#{customer_id}"


def actor_partition(actor_id: str) -> str:
    return f"AUDIT#ACTOR#{actor_id}"


def item_of(customer_id: str, note: AuditNote, at: datetime) -> AuditItem:
    """The item of an entry, to save alone or in the transaction of the change it records."""
    # A random suffix orders entries of the same instant without a counter (no hot key, no read before the write).
    sort = f"{iso(at)}#{secrets.token_hex(6)}"
    return AuditItem(
        customer_partition(customer_id),
        sort,
        gsi1pk=actor_partition(note.actorId),
        gsi1sk=sort,
        entry_id=sort.rsplit("#", 1)[1],
        customer_id=customer_id,
        actor_id=note.actorId,
        actor_role=note.actorRole,
        action=note.action.value,
        fields=sorted(note.fields) or None,
        at=at,
    )


def add(customer_id: str, note: AuditNote, at: datetime) -> None:
    item_of(customer_id, note, at).save()


def of_customer(customer_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
    partition = customer_partition(customer_id)
    start = cursors.decode(cursor, key_names={"pk", "sk"}, partition=("pk", partition))
    result = AuditItem.query(partition, limit=limit, page_size=limit, last_evaluated_key=start)
    return _page(result, result)


def of_actor(actor_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
    partition = actor_partition(actor_id)
    start = cursors.decode(cursor, key_names={"pk", "sk", "gsi1pk", "gsi1sk"}, partition=("gsi1pk", partition))
    result = AuditItem.by_customer.query(partition, limit=limit, page_size=limit, last_evaluated_key=start)
    return _page(result, read_in_full(result))


def _page(result, found: Iterable[AuditItem]) -> Page[AuditEntry]:
    """A page of `found` (the items `result`, a Query, returned; read in full when it was of the index)."""
    items = [
        AuditEntry(
            id=item.entry_id,
            customerId=item.customer_id,
            actorId=item.actor_id,
            actorRole=item.actor_role,
            action=item.action,
            fields=list(item.fields or []),
            at=item.at,
        )
        for item in found
    ]
    return Page[AuditEntry](items=items, nextCursor=cursors.encode(result.last_evaluated_key))
