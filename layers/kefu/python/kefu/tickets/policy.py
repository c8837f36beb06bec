"""Who may see and do what with a ticket. Customers only ever touch their own."""

from __future__ import annotations

from kefu.errors import Forbidden, TicketNotFound
from kefu.identity import Caller
from kefu.model.tickets import Ticket, Visibility

#: Parts of the SLA view a customer never sees (they see their due times, and when they were answered).
INTERNAL_SLA_FIELDS = ("policy", "breaches", "escalated")

#: Fields a customer never sees on their own ticket.
INTERNAL_FIELDS = frozenset({"sentiment", "escalationLevel", "helperIds", "tags", "customerTier", "awaitingOwner"})


def ensure_can_read(caller: Caller, ticket: Ticket) -> None:
    # A customer asking for someone else's ticket is told it does not exist: ids are not confirmed.
    if caller.is_customer and ticket.customerId != caller.sub:
        raise TicketNotFound(ticket.id)


def ensure_can_write_message(caller: Caller, ticket: Ticket, visibility: Visibility) -> None:
    ensure_can_read(caller, ticket)
    if caller.is_customer and visibility is Visibility.INTERNAL:
        raise Forbidden("internal notes are for agents")


def visible_entries_only_public(caller: Caller) -> bool:
    return caller.is_customer


def ticket_view(caller: Caller, ticket: Ticket) -> dict:
    """The ticket as this caller may see it, as JSON-ready data."""
    data = ticket.model_dump(mode="json")
    if caller.is_customer:
        for name in INTERNAL_FIELDS:
            data.pop(name, None)
        for name in INTERNAL_SLA_FIELDS:
            data["sla"].pop(name, None)
    return data
