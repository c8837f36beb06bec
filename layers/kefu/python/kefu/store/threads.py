"""External threads and the tickets they became (the intake queue's follow-ups)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from kefu.store.models import ThreadItem

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
