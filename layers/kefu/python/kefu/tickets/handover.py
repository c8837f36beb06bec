"""Who holds a ticket: assignment by a supervisor or by taking it, transfer to another group, the queue's pick-up
when an agent has room, and the choice of agent for a new ticket. Its owner (首问负责制) is the agent who first took
it and stays so; any other agent who takes it joins its helpers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from kefu.agents import service as agents
from kefu.agents.assignment import SERVED_BY, choose_agent, choose_in_turn
from kefu.agents.groups import find_group, roster
from kefu.clock import now
from kefu.errors import AgentNotFound, Conflict, Forbidden, InvalidRequest
from kefu.identity import Caller, Role
from kefu.ids import is_agent_id, is_group_id
from kefu.model.agents import Agent, AssignmentMode, Availability, AvailabilityUpdate
from kefu.model.customers import CustomerSummary
from kefu.model.ticket_requests import AssignRequest
from kefu.model.tickets import ACTIVE, EntryKind, Status, Ticket, Visibility
from kefu.store import agents as agent_store
from kefu.store import tickets as store
from kefu.store.agents import Turn
from kefu.store.failures import AgentUnavailable
from kefu.store.tickets import LoadChange
from kefu.tickets import policy
from kefu.tickets.writes import Change, Draft, change, freed, status_draft

if TYPE_CHECKING:
    from kefu.routing import RoutingDecision


def assign(caller: Caller, ticket_id: str, request: AssignRequest) -> Ticket:
    """Give the ticket to an agent (a supervisor's hand-over, or `take` by the caller), or transfer it to a group."""
    caller.require_staff()
    if request.groupId and not group_exists(request.groupId):
        raise InvalidRequest(f"group {request.groupId} does not exist")
    target = _target(caller, request)

    def decide(ticket: Ticket) -> Change[None] | None:
        if ticket.status not in ACTIVE:
            raise Conflict(f"a {ticket.status.value} ticket cannot be assigned; reopen it first")
        if request.groupId:
            return _transfer_change(ticket, request.groupId, request.note)
        assert target is not None
        return _hand_over_change(ticket, target, request, by=caller.sub)

    try:
        saved = change(caller, ticket_id, decide)
    except AgentUnavailable as err:
        raise Conflict(f"agent {err.agent_id} is at capacity") from err
    if request.groupId and caller.sub != saved.assigneeId:
        pick_up_next(caller.sub, skip=ticket_id)  # the transferring agent has room again (not for what they sent)
    return saved


def group_exists(group_id: str) -> bool:
    return is_group_id(group_id) and find_group(group_id) is not None


def _target(caller: Caller, request: AssignRequest) -> Agent | None:
    """The agent the ticket is given to: the caller taking it, or the one a supervisor names (None: a transfer)."""
    if request.take:
        taker = policy.own_agent_record(caller)  # the record the access scope reads too: read once a request
        if taker is None:
            raise Forbidden("you have no agent profile yet; an admin adds you with PUT /agents/{id}")
        return taker
    if not request.agentId:
        return None
    target = agent_store.get_agent(request.agentId) if is_agent_id(request.agentId) else None
    if target is None:
        raise InvalidRequest(str(AgentNotFound(request.agentId)))
    return target


def _transfer_change(ticket: Ticket, group_id: str, note: str | None) -> Change[None] | None:
    if group_id == ticket.groupId and ticket.assigneeId is None:
        return None
    moved = transferred(ticket, group_id, now())
    return Change(moved.ticket, [Draft(EntryKind.TRANSFER, Visibility.INTERNAL, note, moved.data)], moved.loads)


def _hand_over_change(ticket: Ticket, target: Agent, request: AssignRequest, *, by: str) -> Change[None] | None:
    if ticket.assigneeId == target.id:
        return None
    if request.take and ticket.assigneeId is not None:
        raise Conflict(f"the ticket is already assigned to {ticket.assigneeId}")
    given = given_to(ticket, target, now(), note=request.note, by=by)
    if ticket.assigneeId:
        given.load_changes.append(freed(ticket.assigneeId))
    return given


class Transfer(NamedTuple):
    """A ticket moved to another group: the ticket as it will be, its assignee's load freed, the entry's data."""

    ticket: Ticket
    loads: list[LoadChange]
    data: dict[str, Any]

    @property
    def freed(self) -> str | None:
        """The agent who had it, with room again once it is written."""
        return self.data["from"]


def transferred(ticket: Ticket, group_id: str, moment: datetime) -> Transfer:
    """The ticket transferred to `group_id` (by an agent, or by escalation): it waits unassigned in that group's
    queue, for the group rather than for its owner, who keeps it all the same (首问负责制)."""
    update: dict[str, Any] = {"groupId": group_id, "assigneeId": None, "awaitingOwner": False, "updatedAt": moment}
    loads = [freed(ticket.assigneeId)] if ticket.assigneeId else []
    data = {"fromGroup": ticket.groupId, "toGroup": group_id, "from": ticket.assigneeId}
    return Transfer(ticket.model_copy(update=update), loads, data)


def set_availability(caller: Caller, agent_id: str, update: AvailabilityUpdate) -> Agent:
    """The agent's availability set; coming online, they take waiting tickets while they have room."""
    updated = agents.set_availability(caller, agent_id, update)
    if update.availability is Availability.ONLINE:
        while updated.load < updated.capacity and pick_up_next(updated.id):
            updated = updated.model_copy(update={"load": updated.load + 1})
    return updated


def pick_up_next(agent_id: str, *, skip: str | None = None) -> Ticket | None:
    """An agent with room takes the next waiting ticket, if any: first one awaiting them as its owner (reopened, or a
    follow-up opened, while they had no room; in whichever group it waits), then the most urgent, oldest unassigned
    ticket of their groups' queues: new, reopened, transferred in, or awaiting another owner, who stays its owner
    (the agent becomes a helper). `skip` is a ticket not to take: the one the agent has just transferred away."""
    found = agent_store.get_agent(agent_id)
    if not has_room(found):
        return None
    agent: Agent = found  # narrowed once, for the decision below as well
    system = Caller(sub=f"system:queue:{agent.id}", groups=frozenset({Role.AGENT.value}), system=True)

    def decide(ticket: Ticket) -> Change[None] | None:
        if ticket.assigneeId is not None or ticket.status not in ACTIVE:
            return None  # someone else took it meanwhile
        reason = "its owner had room again" if agent.id == ticket.ownerId else "agent had room"
        return given_to(ticket, agent, now(), by="queue", reason=reason)

    for candidate_id in _waiting_for(agent, skip):
        try:
            taken = change(system, candidate_id, decide)
        except AgentUnavailable:
            return None  # the agent filled up meanwhile
        if taken.assigneeId == agent.id:
            return taken
    return None


def _waiting_for(agent: Agent, skip: str | None) -> list[str]:
    """The tickets the agent may take, in the order they take them (each once)."""
    own = sorted(store.awaiting_owner(agent.id, limit=5), key=_urgency)
    waiting = sorted(
        (
            ticket
            for group_id in agent.groupIds
            for ticket in store.waiting_in(group_id, limit=5)
            if agent.tier in SERVED_BY[ticket.customerTier]
        ),
        key=_urgency,
    )
    ids = dict.fromkeys(ticket.id for ticket in [*own, *waiting])
    if skip is not None:
        ids.pop(skip, None)
    return list(ids)


def given_to(ticket: Ticket, agent: Agent, moment: datetime, *, note: str | None = None, **why: str) -> Change[None]:
    """The ticket given to `agent`, their load raised under their capacity condition: its owner stays its owner
    (or, when it has none, they become it), any other agent joins its helpers; a new ticket opens. `why` goes on
    the ASSIGNMENT entry after who it went from and to."""
    owner = ticket.ownerId or agent.id
    helpers = list(ticket.helperIds)
    if agent.id != owner and agent.id not in helpers:
        helpers.append(agent.id)
    update: dict[str, Any] = {
        "assigneeId": agent.id,
        "ownerId": owner,
        "helperIds": helpers,
        "awaitingOwner": False,
        "updatedAt": moment,
    }
    data = {"from": ticket.assigneeId, "to": agent.id, "ownerId": owner, **why}
    drafts = [Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, note, data)]
    if ticket.status is Status.NEW:
        update["status"] = Status.OPEN
        drafts.append(status_draft(Status.NEW, Status.OPEN))
    return Change(ticket.model_copy(update=update), drafts, [LoadChange(agent.id, tuple(agent.groupIds), +1)])


def _urgency(ticket: Ticket) -> tuple[str, datetime]:
    return ticket.priority.value, ticket.createdAt


def has_room(agent: Agent | None) -> TypeGuard[Agent]:
    """The agent is online with room under their capacity (as read: the write's capacity condition decides)."""
    return agent is not None and agent.availability is Availability.ONLINE and agent.load < agent.capacity


def no_room(owner: Agent | None) -> str:
    """Why an owner cannot take a ticket now: their availability, or at capacity (also when found full writing)."""
    if owner is not None and owner.availability is not Availability.ONLINE:
        return owner.availability.value
    return "at capacity"


# --- who a new ticket goes to -----------------------------------------------------------------------------


class Pick(NamedTuple):
    """Who a new ticket goes to (None: it waits in its group's queue), and why."""

    agent_id: str | None
    group_ids: tuple[str, ...]
    why: str
    owner_id: str | None = None
    #: Waiting for `owner_id`, a follow-up's earlier owner with no room now.
    awaiting_owner: bool = False
    #: Round robin: the rotation's move to this agent, written with the ticket on its own condition.
    turn: Turn | None = None


def pick_assignee(
    group_id: str,
    decision: RoutingDecision,
    customer: CustomerSummary,
    follow_up_of: Ticket | None,
    full: frozenset[str],
) -> Pick:
    """A follow-up goes to its earlier ticket's owner, or waits for them; any other ticket to the group's least
    loaded qualifying agent or, in a round-robin group, the next one in turn. `full`: agents found at capacity
    while writing, not chosen again."""
    owner_id = follow_up_of.ownerId if follow_up_of else None
    if follow_up_of is not None and owner_id:
        owner = None if owner_id in full else agent_store.get_agent(owner_id)
        if has_room(owner):
            why = f"the owner of {follow_up_of.id}, online with room ({owner.load}/{owner.capacity})"
            return Pick(owner.id, tuple(owner.groupIds), why, owner_id=owner.id)
        if owner is not None or owner_id in full:
            why = f"waits for {owner_id}, the owner of {follow_up_of.id}, who is {no_room(owner)}"
            return Pick(None, (), why, owner_id=owner_id, awaiting_owner=True)
    return _pick_in_group(group_id, decision, customer, full)


def _pick_in_group(group_id: str, decision: RoutingDecision, customer: CustomerSummary, full: frozenset[str]) -> Pick:
    group = roster(group_id)
    skill, tier = decision.category.value, customer.tier
    turn = None
    if group.assignment is AssignmentMode.ROUND_ROBIN:
        chosen, why = choose_in_turn(group.members, skill=skill, tier=tier, after=group.last_agent_id, exclude=full)
        turn = group.next_turn(chosen.agentId) if chosen else None
    else:
        chosen, why = choose_agent(group.members, skill=skill, tier=tier, exclude=full)
    if chosen is None:
        return Pick(None, (), why)
    return Pick(chosen.agentId, tuple(chosen.groupIds), why, owner_id=chosen.agentId, turn=turn)
