"""The outbound events: what kefu tells a ticket's contact system, built from the timeline entry that says it.

Three detail types, one per thing a customer must hear of, each documented by a JSON schema in `events/`
(`kefu.ticket.replied`, `kefu.ticket.status-changed`, `kefu.survey.requested`). Every event carries the ticket, its
channel, the contact system's own thread (`externalThreadId`: the chat session, the call case), the customer with
the contact point for that channel, the text to pass on, when it happened, and `eventId`: the same however often
the entry is published, so a consumer drops a repeat by it. `sequence` orders a ticket's events (it is the
entry's place on the timeline, which sorts as text): EventBridge does not keep order, a consumer that must can.
"""

from __future__ import annotations

import json
from typing import Any

from kefu.channels.config import SOURCE
from kefu.model.customers import Customer
from kefu.model.tickets import Channel, EntryKind, Ticket, TimelineEntry, Visibility

REPLIED = "kefu.ticket.replied"
STATUS_CHANGED = "kefu.ticket.status-changed"
SURVEY_REQUESTED = "kefu.survey.requested"
#: A customer notice for the app's push service (kefu.notifications), on the app channel's queue.
NOTIFIED = "kefu.customer.notified"
DETAIL_TYPES = (REPLIED, STATUS_CHANGED, SURVEY_REQUESTED, NOTIFIED)


def detail_type(entry: TimelineEntry) -> str | None:
    """Which event an entry makes: an agent's public reply, a status change, a survey sent; None for the rest."""
    if entry.kind is EntryKind.REPLY and entry.visibility is Visibility.PUBLIC:
        return REPLIED
    if entry.kind is EntryKind.STATUS:
        return STATUS_CHANGED
    if entry.kind is EntryKind.SURVEY and entry.data.get("event") == "sent":
        return SURVEY_REQUESTED
    return None


def event_id(entry: TimelineEntry) -> str:
    """Stable: one entry is one event, whichever delivery of its stream record publishes it."""
    return f"{entry.ticketId}/{entry.id}"


def contact_point(channel: Channel, customer: Customer | None, thread_id: str | None) -> dict[str, str] | None:
    """Where the customer is reached on `channel`: their address for e-mail, their number for phone; on chat,
    social, app and feedback the contact system's own thread, else the number or address kefu knows."""
    if customer is None:
        return None
    if channel is Channel.EMAIL:
        return {"kind": "email", "value": customer.email} if customer.email else None
    if channel is Channel.PHONE:
        return {"kind": "phone", "value": customer.phone} if customer.phone else None
    if thread_id:
        return {"kind": "thread", "value": thread_id}
    if customer.phone:
        return {"kind": "phone", "value": customer.phone}
    return {"kind": "email", "value": customer.email} if customer.email else None


def build(
    entry: TimelineEntry, ticket: Ticket, customer: Customer | None, thread_id: str | None
) -> tuple[str, dict[str, Any]] | None:
    """The event an entry makes, as (detail type, detail); None if it makes none."""
    kind = detail_type(entry)
    if kind is None:
        return None
    detail: dict[str, Any] = {
        "eventId": event_id(entry),
        "ticketId": ticket.id,
        "channel": ticket.channel.value,
        "externalThreadId": thread_id,
        "customer": {
            "id": ticket.customerId,
            "name": customer.name if customer else None,
            "contact": contact_point(ticket.channel, customer, thread_id),
        },
        "text": _text(kind, entry),
        "at": entry.createdAt.isoformat(),
        "sequence": entry.id,
    }
    if kind == STATUS_CHANGED:
        detail["status"] = {"from": entry.data.get("from"), "to": entry.data.get("to")}
    if kind == SURVEY_REQUESTED:
        detail["survey"] = {"id": entry.data.get("surveyId"), "expiresAt": entry.data.get("expiresAt")}
    return kind, detail


def _text(kind: str, entry: TimelineEntry) -> str | None:
    if kind == REPLIED:
        return entry.body or ""
    if kind == STATUS_CHANGED:
        return entry.data.get("reason") or entry.body
    return None


def as_entry(kind: str, detail: dict[str, Any], bus: str) -> dict[str, Any]:
    """The PutEvents entry for an event."""
    return {
        "Source": SOURCE,
        "DetailType": kind,
        "Detail": json.dumps(detail, ensure_ascii=False),
        "EventBusName": bus,
        "Resources": [],
    }
