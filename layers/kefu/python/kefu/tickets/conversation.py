"""The conversation on a ticket: customers' messages (their own, or relayed by the intake queue and e-mail), agents'
replies and internal notes, and the reopen a customer's message causes on a recently resolved ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from kefu.clock import now
from kefu.config import settings
from kefu.errors import Conflict
from kefu.identity import Caller
from kefu.model.ticket_requests import NewMessage
from kefu.model.tickets import Attachment, EntryKind, Status, Ticket, TimelineEntry, Visibility
from kefu.store import agents as agent_store
from kefu.store.failures import AgentUnavailable
from kefu.store.models import KefuItem
from kefu.store.tickets import LoadChange
from kefu.tickets import policy
from kefu.tickets import sla as sla_clock
from kefu.tickets.handover import has_room, no_room
from kefu.tickets.mood import reassessed
from kefu.tickets.writes import Change, Draft, Written, status_draft, write

W = TypeVar("W")


class NotReopenable(Conflict):
    """A customer wrote on a ticket that can no longer be reopened: closed, or resolved longer ago than the reopen
    window. What they wrote belongs on a follow-up ticket (`open_ticket(..., follow_up_of=ticket)`)."""

    def __init__(self, ticket: Ticket, why: str):
        super().__init__(f"{why}; open a new ticket instead")
        self.ticket = ticket


def add_message(caller: Caller, ticket_id: str, message: NewMessage) -> TimelineEntry:
    def decide(ticket: Ticket, full: frozenset[str]) -> Change[None]:
        policy.ensure_can_write_message(caller, ticket, message.visibility)
        if ticket.status is Status.CLOSED:
            raise NotReopenable(ticket, "the ticket is closed")
        moment = now()
        if caller.is_customer:
            draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, message.body, attachments=message.attachments)
            return customer_replied(ticket, draft, moment, full)
        if message.visibility is Visibility.INTERNAL:
            draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, message.body, attachments=message.attachments)
            return Change(ticket.model_copy(update={"updatedAt": moment}), [draft])
        return _replied(ticket, message, moment)

    written = with_owner_room(lambda full: write(caller, ticket_id, lambda ticket: decide(ticket, full)))
    return written.entries[0]


def _replied(ticket: Ticket, message: NewMessage, moment: datetime) -> Change[None]:
    """An agent's public reply: the ticket's first response if it had none, and a new ticket opens."""
    draft = Draft(EntryKind.REPLY, Visibility.PUBLIC, message.body, attachments=message.attachments)
    sla = ticket.sla
    if sla.firstResponseAt is None:
        sla = sla.model_copy(update={"firstResponseAt": moment})
    update: dict[str, Any] = {"updatedAt": moment, "sla": sla}
    update.update(sla_clock.moved(ticket, sla, moment, sla_clock.ClockEvent.FIRST_RESPONSE))
    drafts = [draft]
    if ticket.status is Status.NEW:
        update["status"] = Status.OPEN
        drafts.append(status_draft(Status.NEW, Status.OPEN))
    return Change(ticket.model_copy(update=update), drafts)


def relay_customer_message(
    caller: Caller,
    ticket_id: str,
    body: str,
    *,
    origin: Mapping[str, Any] | None = None,
    attachments: Iterable[Attachment] = (),
    lookups: Callable[[Ticket], Iterable[KefuItem]] | None = None,
) -> TimelineEntry:
    """A customer's message passed on by a system (the intake queue, e-mail): it acts on the ticket as the
    customer's own message would (pending → open, a recent resolution reopened), recorded as written by that
    system. `lookups` gives items written in the same transaction, only if their keys are new."""
    caller.require_staff()
    attached = list(attachments)

    def decide(ticket: Ticket, full: frozenset[str]) -> Change[None]:
        if ticket.status is Status.CLOSED:
            raise NotReopenable(ticket, "the ticket is closed")
        draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, body, data=dict(origin or {}), attachments=attached)
        replied = customer_replied(ticket, draft, now(), full)
        replied.new_items.extend(lookups(ticket) if lookups else [])
        return replied

    written = with_owner_room(lambda full: write(caller, ticket_id, lambda ticket: decide(ticket, full)))
    return written.entries[0]


def ensure_reopenable(ticket: Ticket, moment: datetime) -> None:
    """A customer reopens a resolved ticket (by writing, or with the reopen button) within the reopen window."""
    resolved_at = ticket.sla.resolvedAt or ticket.updatedAt
    if moment - resolved_at > timedelta(days=settings().reopen_window_days):
        raise NotReopenable(ticket, "the ticket was resolved too long ago to reopen")


def customer_replied(ticket: Ticket, draft: Draft, moment: datetime, full: frozenset[str]) -> Change[None]:
    """A customer's message moves a waiting ticket back to open, and reopens a recently resolved one (one resolved
    longer ago than the reopen window, or closed, is NotReopenable: what they wrote belongs on a follow-up). Its
    emotion is read as every customer message's is (kefu.tickets.mood): the sentiment follows it, a first worsening
    raises the priority."""
    update: dict[str, Any] = {"updatedAt": moment}
    drafts = [draft]
    loads: list[LoadChange] = []
    if ticket.status is Status.PENDING:
        update["status"] = Status.OPEN
        update.update(sla_clock.moved(ticket, ticket.sla, moment, sla_clock.ClockEvent.RESUME))
        drafts.append(status_draft(Status.PENDING, Status.OPEN, reason="customer replied"))
    elif ticket.status is Status.RESOLVED:
        ensure_reopenable(ticket, moment)
        back = reopened(ticket, moment, reason="customer replied", full=full)
        update.update(back.updates)
        update.update(sla_clock.moved(ticket, ticket.sla, moment, sla_clock.ClockEvent.REOPEN))
        drafts.extend(back.drafts)
        loads.extend(back.loads)
    changed = ticket.model_copy(update=update)
    mood, noted = reassessed(changed, draft.body or "", moment)
    return Change(changed.model_copy(update=mood), drafts + noted, loads)


# --- reopening goes back to the owner ---------------------------------------------------------------------


class Reopened(NamedTuple):
    updates: dict[str, Any]
    drafts: list[Draft]
    loads: list[LoadChange]


def with_owner_room(attempt: Callable[[frozenset[str]], Written[W]]) -> Written[W]:
    """Reopening gives a ticket back to its owner under their capacity condition. When that condition fails (they
    filled up after they were read), the change is decided and written again with them among the `full` agents:
    the ticket now waits for them."""
    full: frozenset[str] = frozenset()
    while True:
        try:
            return attempt(full)
        except AgentUnavailable as refused:
            if refused.agent_id in full:
                raise
            full |= {refused.agent_id}


def reopened(ticket: Ticket, moment: datetime, *, reason: str | None, full: frozenset[str]) -> Reopened:
    """Reopening goes back to the owner (首问负责制), the agent who first took the ticket, never over their capacity:

    - the owner is online with room: the ticket is theirs again, their load raised under the capacity condition
      (when that fails, because they filled up meanwhile, the reopen is decided again as in the next case);
    - the owner is offline, away or at capacity (`full`: found so writing): the ticket waits unassigned in its
      group's queue, the owner kept and the ticket awaiting them. They take it before anything else when they have
      room again (pick_up_next, whichever group it waits in); meanwhile an agent of the group with room may take
      it, as a helper;
    - nobody owns it (or its owner is no longer an agent): it waits in its group's queue as a new ticket does.
    """
    updates: dict[str, Any] = {"status": Status.OPEN, "updatedAt": moment, "assigneeId": None, "awaitingOwner": False}
    drafts = [status_draft(Status.RESOLVED, Status.OPEN, reason=reason)]
    owner_id = ticket.ownerId
    owner = agent_store.get_agent(owner_id) if owner_id and owner_id not in full else None
    if has_room(owner):
        updates["assigneeId"] = owner.id
        data = {"from": ticket.assigneeId, "to": owner.id, "ownerId": owner.id, "reason": "reopened to its owner"}
        drafts.append(Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=data))
        return Reopened(updates, drafts, [LoadChange(owner.id, tuple(owner.groupIds), +1)])
    if owner_id and (owner is not None or owner_id in full):
        updates["awaitingOwner"] = True
        data = {
            "from": ticket.assigneeId,
            "to": None,
            "ownerId": owner_id,
            "reason": f"reopened while its owner is {no_room(owner)}: waits in the {ticket.groupId} queue for them",
        }
        drafts.append(Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=data))
    return Reopened(updates, drafts, [])
