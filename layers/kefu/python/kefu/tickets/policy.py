"""Who may see and do what with a ticket. Customers only ever touch their own; agents reach the tickets the
deployment's access scope gives them (`kefu.tickets.access`): all of them, or their groups' and those they own, hold
or helped on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.errors import Forbidden, TicketNotFound
from kefu.identity import Caller
from kefu.ids import is_agent_id
from kefu.model.tickets import Ticket, Visibility
from kefu.tickets.access import AgentScope, access_settings

if TYPE_CHECKING:
    from kefu.model.agents import Agent

#: Parts of the SLA view a customer never sees (they see their due times, and when they were answered).
INTERNAL_SLA_FIELDS = ("policy", "breaches", "escalated")

#: Fields a customer never sees on their own ticket.
INTERNAL_FIELDS = frozenset({"sentiment", "escalationLevel", "helperIds", "tags", "customerTier", "awaitingOwner"})


def ensure_can_read(caller: Caller, ticket: Ticket) -> None:
    # A ticket out of the caller's reach is one that does not exist to them: ids are not confirmed, so a customer
    # cannot probe for others' tickets, nor an agent for other groups'.
    if not reaches(caller, ticket):
        raise TicketNotFound(ticket.id)


def reaches(caller: Caller, ticket: Ticket) -> bool:
    """Whether the caller may read the ticket (and so work on it, as their role allows)."""
    if caller.is_customer:
        return ticket.customerId == caller.sub
    if not scoped_to_groups(caller):
        return True
    # Their own first (no lookup): owned, held, or helped on, wherever it went since (a transfer keeps the owner and
    # the helpers; whoever held it before was one or the other).
    if caller.sub in (ticket.ownerId, ticket.assigneeId) or caller.sub in ticket.helperIds:
        return True
    return ticket.groupId in agent_groups(caller)


def scoped_to_groups(caller: Caller) -> bool:
    """Whether this staff member reaches only their groups' tickets and their own: an agent (neither supervisor nor
    admin, nor one of kefu's own workers) in a deployment whose access scope is `groups`."""
    if caller.system or caller.oversees_all:
        return False
    return access_settings().agents is AgentScope.GROUPS


def agent_groups(caller: Caller) -> frozenset[str]:
    """The groups of the caller's agent record (none without one)."""
    agent = own_agent_record(caller)
    return frozenset(agent.groupIds) if agent is not None else frozenset()


def own_agent_record(caller: Caller) -> Agent | None:
    """The caller's agent record (None without one), read once per caller: one GetItem a request, whoever asks."""
    # Imported here: only the `groups` access scope reads it, and the agents' store and models are not otherwise
    # imported by a request that reads a ticket (the API's cold start).
    from kefu.store import agents as agent_store

    return caller.remember("agent", lambda: agent_store.get_agent(caller.sub) if is_agent_id(caller.sub) else None)


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
