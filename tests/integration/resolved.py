"""Resolved tickets and their customers written straight to the table, at chosen moments in the past (the API
can only resolve a ticket now)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from kefu.clock import iso
from kefu.ids import new_ticket_id
from kefu.model.customers import Customer, Tier
from kefu.model.tickets import Category, Channel, Priority, Resolution, ResolutionKind, Sla, Status, Ticket
from kefu.store import customers as customer_store
from kefu.store import tickets as ticket_store
from kefu.store.models import KefuItem


def customer(
    customer_id: str, tier: Tier = Tier.STANDARD, *, last_revisited_at: datetime | None = None, email: bool = True
) -> Customer:
    moment = datetime.fromisoformat("2025-01-01T00:00:00+00:00")
    return Customer(
        id=customer_id,
        email=f"{customer_id.lower()}@example.com" if email else None,
        phone=None if email else "+8613800000000",
        tier=tier,
        createdAt=moment,
        updatedAt=moment,
        lastRevisitedAt=last_revisited_at,
    )


def add_customer(customer_id: str, tier: Tier = Tier.STANDARD, *, last_revisited_at: datetime | None = None) -> None:
    """A customer record and its e-mail lookup, as their first ticket would have made them."""
    for item in _items(customer(customer_id, tier, last_revisited_at=last_revisited_at)):
        item.save()


def _items(record: Customer) -> list[KefuItem]:
    items = customer_store.new_items(record)
    if record.lastRevisitedAt is not None:
        items[0].last_revisited_at = iso(record.lastRevisitedAt)
    return items


def add_resolved(resolved_at: datetime, customer_id: str = "CU-ALICE", **fields: Any) -> Ticket:
    """A resolved ticket, written as kefu writes tickets (in a transaction)."""
    return ticket_store.save(resolved(resolved_at, customer_id, **fields), [], is_new=True)


def add_in_bulk(customers: Iterable[Customer], tickets: Iterable[Ticket]) -> None:
    """Many customers and tickets at once, by BatchWriteItem: moto copies the whole table for every item of every
    transaction, which makes a thousand transactional writes take minutes."""
    with KefuItem.batch_write() as batch:
        for record in customers:
            batch.save(_items(record)[0])  # the record; the contact lookups are not needed here
        for ticket in tickets:
            item = ticket_store._item(ticket, is_new=True)
            item.version = 1
            batch.save(item)


def resolved(
    resolved_at: datetime,
    customer_id: str = "CU-ALICE",
    *,
    tier: Tier = Tier.STANDARD,
    category: Category = Category.ORDER,
    channel: Channel = Channel.WEB,
    status: Status = Status.RESOLVED,
    tags: Iterable[str] = (),
) -> Ticket:
    """A resolved (or closed, or reopened) ticket, not written yet."""
    return Ticket(
        id=new_ticket_id(),
        subject="Parcel late",
        description="Order 1042 took nine days.",
        status=status,
        category=category,
        priority=Priority.P3,
        channel=channel,
        customerId=customer_id,
        customerTier=tier,
        groupId="l1",
        tags=list(tags),
        resolution=Resolution(kind=ResolutionKind.RESHIP),
        sla=Sla(resolvedAt=resolved_at, closedAt=resolved_at + timedelta(hours=1) if status is Status.CLOSED else None),
        createdAt=resolved_at - timedelta(days=1),
        updatedAt=resolved_at,
        version=0,
    )
