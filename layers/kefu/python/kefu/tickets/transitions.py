"""Moving a ticket through its lifecycle (the rules are `kefu.tickets.lifecycle`) and changing its priority,
category or tags; both replan its SLA clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kefu.clock import now
from kefu.errors import InvalidRequest
from kefu.identity import Caller
from kefu.model.ticket_requests import TicketPatch, TransitionRequest
from kefu.model.tickets import ACTIVE, EntryKind, Resolution, ResolutionKind, Status, Ticket, Visibility
from kefu.store.tickets import LoadChange
from kefu.tickets import lifecycle
from kefu.tickets import sla as sla_clock
from kefu.tickets.conversation import ensure_reopenable, reopened, with_owner_room
from kefu.tickets.handover import pick_up_next
from kefu.tickets.mood import reassessed
from kefu.tickets.writes import Change, Draft, change, freed, status_draft, write


def transition(caller: Caller, ticket_id: str, request: TransitionRequest) -> Ticket:
    def decide(ticket: Ticket, full: frozenset[str]) -> Change[None]:
        lifecycle.check_transition(caller, ticket.status, request.to)
        if request.to is Status.RESOLVED and request.resolution is None:
            raise InvalidRequest("resolving a ticket records its resolution (resolution.kind)")
        return _moved(caller, ticket, request, now(), full)

    written = with_owner_room(lambda full: write(caller, ticket_id, lambda ticket: decide(ticket, full)))
    before = written.read
    if _frees_assignee(before.status, written.ticket.status) and before.assigneeId:
        pick_up_next(before.assigneeId)  # the assignee has room again
    return written.ticket


def resolved_by_customer(
    caller: Caller, ticket_id: str, *, check: Callable[[Ticket], None], note: str, data: dict[str, Any]
) -> Ticket:
    """The customer ends their own ticket by self-service (kefu.tickets.knowledge): resolved with the resolution kind
    `self-service`, which a customer's own transitions cannot set. `check` refuses a ticket that may not end so;
    `data` (what answered them) goes on the status entry beside the resolution."""
    resolution = Resolution(kind=ResolutionKind.SELF_SERVICE, note=note)
    request = TransitionRequest(to=Status.RESOLVED, resolution=resolution)

    def decide(ticket: Ticket, full: frozenset[str]) -> Change[None]:
        check(ticket)
        moved = _moved(caller, ticket, request, now(), full)
        moved.drafts[0].data["selfService"] = data
        return moved

    written = with_owner_room(lambda full: write(caller, ticket_id, lambda ticket: decide(ticket, full)))
    before = written.read
    if _frees_assignee(before.status, written.ticket.status) and before.assigneeId:
        pick_up_next(before.assigneeId)
    return written.ticket


def _moved(
    caller: Caller, ticket: Ticket, request: TransitionRequest, moment: datetime, full: frozenset[str]
) -> Change[None]:
    update: dict[str, Any] = {"status": request.to, "updatedAt": moment}
    drafts = [status_draft(ticket.status, request.to)]
    loads: list[LoadChange] = []
    sla = ticket.sla
    if lifecycle.is_reopen(ticket.status, request.to):
        if caller.is_customer:
            ensure_reopenable(ticket, moment)
        back = reopened(ticket, moment, reason=None, full=full)
        update.update(back.updates)
        drafts, loads = back.drafts, back.loads
    elif request.to is Status.RESOLVED:
        update["resolution"] = request.resolution
        update["sla"] = sla.model_copy(update={"resolvedAt": moment})
    elif request.to is Status.CLOSED:
        update["sla"] = sla.model_copy(update={"closedAt": moment})
    if request.to not in ACTIVE:
        update["awaitingOwner"] = False  # only an active ticket waits for its owner
    event = sla_clock.transition_event(ticket.status, request.to)
    if event is not None:
        update.update(sla_clock.moved(ticket, update.get("sla", sla), moment, event))
    if _frees_assignee(ticket.status, request.to) and ticket.assigneeId:
        loads.append(freed(ticket.assigneeId))
    drafts.extend(_note(caller, request.note))
    if request.resolution is not None and request.to is Status.RESOLVED:
        drafts[0].data["resolution"] = request.resolution.model_dump(mode="json", exclude_none=True)
    moved = ticket.model_copy(update=update)
    if caller.is_customer and request.note:
        # A customer's note with a reopen or a close is their message: read like every other (kefu.tickets.mood).
        mood, noted = reassessed(moved, request.note, moment)
        moved, drafts = moved.model_copy(update=mood), drafts + noted
    return Change(moved, drafts, loads)


def _frees_assignee(current: Status, target: Status) -> bool:
    """Leaving the active statuses frees the assignee's capacity."""
    return current in ACTIVE and target not in ACTIVE


def _note(caller: Caller, note: str | None) -> list[Draft]:
    """What the caller wrote with the move: a customer's message, or an agent's internal note."""
    if not note:
        return []
    if caller.is_customer:
        return [Draft(EntryKind.MESSAGE, Visibility.PUBLIC, note)]
    return [Draft(EntryKind.NOTE, Visibility.INTERNAL, note)]


def update_ticket(caller: Caller, ticket_id: str, patch: TicketPatch, *, if_match: int | None) -> Ticket:
    """Change priority, category or tags; `if_match` is the version read (None: whatever is current)."""
    caller.require_staff()

    def decide(ticket: Ticket) -> Change[None] | None:
        changes = {
            name: {"from": _plain(getattr(ticket, name)), "to": _plain(value)}
            for name, value in patch.model_dump(exclude_none=True).items()
            if _plain(getattr(ticket, name)) != _plain(value)
        }
        if not changes:
            return None
        moment = now()
        updated = ticket.model_copy(update={**patch.model_dump(exclude_none=True), "updatedAt": moment})
        updated = Ticket.model_validate(updated.model_dump()).model_copy(update={"slaClock": ticket.slaClock})
        if "priority" in changes or "category" in changes:
            replan = sla_clock.replanned(
                ticket, updated.sla, moment, priority=updated.priority, category=updated.category
            )
            updated = updated.model_copy(update=replan)
        return Change(updated, [Draft(EntryKind.UPDATE, Visibility.INTERNAL, data={"changes": changes})])

    return change(caller, ticket_id, decide, if_match=if_match)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)
