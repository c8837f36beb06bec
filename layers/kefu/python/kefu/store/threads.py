"""External threads and the tickets they became (the intake queue's follow-ups)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from kefu.model.customers import CustomerSummary
from kefu.store.customers import CONTACT_SK, contact_key, owner_of
from kefu.store.models import KefuItem, ThreadItem

THREAD_SK = "THREAD"


def thread_key(channel: str, thread_id: str) -> str:
    return f"THREAD#{channel}#{thread_id}"


def ticket_of(channel: str, thread_id: str) -> str | None:
    """The ticket an external thread became, if it became one (one consistent GetItem)."""
    try:
        item = ThreadItem.get(thread_key(channel, thread_id), THREAD_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return item.ticket_id


def ticket_and_owners(
    channel: str, thread_id: str, contacts: Iterable[tuple[str, str]]
) -> tuple[str | None, dict[tuple[str, str], CustomerSummary | None]]:
    """`ticket_of` and the owners of contact points (`customers.by_contact`, None: nobody's) in one consistent
    BatchGetItem: a contact's lookups before it is taken, one call where they were two or three GetItems."""
    thread = (thread_key(channel, thread_id), THREAD_SK)
    points = {(contact_key(kind, value), CONTACT_SK): (kind, value) for kind, value in contacts}
    found = {(item.pk, item.sk): item for item in KefuItem.batch_get([thread, *points], consistent_read=True)}
    lookup = found.get(thread)
    owners = {point: owner_of(found.get(key)) for key, point in points.items()}
    return (lookup.ticket_id if isinstance(lookup, ThreadItem) else None), owners


def new_item(channel: str, thread_id: str, ticket_id: str, created_at: datetime) -> ThreadItem:
    """The lookup to write with the ticket a thread opens; written only if the thread has none yet, so a thread
    can never become two tickets."""
    return ThreadItem(
        thread_key(channel, thread_id),
        THREAD_SK,
        ticket_id=ticket_id,
        channel=channel,
        thread_id=thread_id,
        created_at=created_at,
    )
