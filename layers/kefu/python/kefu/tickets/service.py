"""What can be done with tickets. Every change goes through `change`: read, decide, write with the version read.

Other capabilities (e-mail, escalation, surveys) change tickets through `change` as well, with their own `decide`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeGuard

from kefu.agents.assignment import SERVED_BY, choose_agent, choose_in_turn
from kefu.agents.model import Agent, AssignmentMode, Availability
from kefu.clock import now
from kefu.config import settings
from kefu.customers.model import Customer, CustomerSummary, Tier, normalize_email, normalize_phone
from kefu.errors import (
    AgentNotFound,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidRequest,
    StaleVersion,
)
from kefu.idempotency import idempotent
from kefu.identity import Caller, Role
from kefu.ids import is_agent_id, is_group_id, new_customer_id, new_ticket_id
from kefu.store import agents as agent_store
from kefu.store import customers as customer_store
from kefu.store import tickets as store
from kefu.store.models import KefuItem
from kefu.store.tickets import LoadChange
from kefu.tickets import lifecycle, policy
from kefu.tickets import sla as sla_clock
from kefu.tickets.model import (
    AssignRequest,
    Attachment,
    Channel,
    EntryKind,
    NewMessage,
    NewTicket,
    Page,
    Status,
    Ticket,
    TicketPatch,
    TimelineEntry,
    TransitionRequest,
    Visibility,
)

if TYPE_CHECKING:
    from kefu.routing import RoutingDecision

_RETRIES = 5
#: How many turns an opening in a round-robin group may lose to concurrent openings before giving up.
_TURNS_LOST = 50


class NotReopenable(Conflict):
    """A customer wrote on a ticket that can no longer be reopened: closed, or resolved longer ago than the reopen
    window. What they wrote belongs on a follow-up ticket (`open_ticket(..., follow_up_of=ticket)`)."""

    def __init__(self, ticket: Ticket, why: str):
        super().__init__(f"{why}; open a new ticket instead")
        self.ticket = ticket


@dataclass
class Draft:
    """A timeline entry about to be written; it gets its id from the ticket version it is written with."""

    kind: EntryKind
    visibility: Visibility
    body: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Change:
    ticket: Ticket
    drafts: list[Draft]
    load_changes: list[LoadChange] = field(default_factory=list)
    #: Items written in the change's transaction, each only if its key is new (an e-mail's Message-ID lookup).
    puts: list[KefuItem] = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------------------------


def get_ticket(caller: Caller, ticket_id: str) -> Ticket:
    ticket = store.get(ticket_id)
    policy.ensure_can_read(caller, ticket)
    return ticket


def list_tickets(
    caller: Caller,
    *,
    status: Status | None = None,
    group: str | None = None,
    assignee: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Ticket]:
    size = page_size(limit)
    if caller.is_customer:
        if group or assignee:
            raise Forbidden("customers list their own tickets only")
        return store.by_customer(caller.sub, status=status, limit=size, cursor=cursor)
    if group and assignee:
        raise BadRequest("list by group or by assignee, not both")
    if assignee or (not group and caller.role is Role.AGENT):
        agent_id = caller.sub if assignee in (None, "me") else assignee
        if not is_agent_id(agent_id):
            raise BadRequest("assignee is `me` or an agent id")
        if agent_id != caller.sub and not caller.oversees_all:
            raise Forbidden("agents list their own tickets (assignee=me); supervisors may list anyone's")
        return store.assigned_to(agent_id, status or Status.OPEN, limit=size, cursor=cursor)
    if group:
        if not is_group_id(group):
            raise BadRequest("group is a group id such as l1")
        return store.group_queue(group, status or Status.NEW, limit=size, cursor=cursor)
    return store.by_status(status or Status.OPEN, limit=size, cursor=cursor)


def timeline(caller: Caller, ticket_id: str, *, limit: int | None = None, cursor: str | None = None):
    ticket = get_ticket(caller, ticket_id)
    return store.timeline(ticket.id, public_only=caller.is_customer, limit=page_size(limit), cursor=cursor)


def page_size(limit: int | None) -> int:
    config = settings()
    if limit is None:
        return config.default_page_size
    if not 1 <= limit <= config.max_page_size:
        raise BadRequest(f"limit must be between 1 and {config.max_page_size}")
    return limit


# --- opening ----------------------------------------------------------------------------------------------


def open_ticket(
    caller: Caller,
    request: NewTicket,
    *,
    lookups: Callable[[Ticket], Iterable[KefuItem]] | None = None,
    origin: Mapping[str, Any] | None = None,
    follow_up_of: Ticket | None = None,
    group: str | None = None,
) -> Ticket:
    """Open a ticket: routed (category, priority, group, with reasons), and given to an agent of its group with room,
    or left waiting in the group's queue.

    `lookups` gives items that point at the new ticket (an external thread's), written in its transaction only if
    their keys are new (for a follow-up: or if they still point at the earlier ticket, which they then leave);
    `origin` goes on the opening entry (where a relayed contact came from); `group` sends the ticket to that group
    instead of the one routing chose (category and priority are still routed).

    `follow_up_of` opens a follow-up of an earlier ticket (closed, resolved too long ago to reopen, answered with a
    low survey score). The follow-up belongs to the earlier ticket's customer (`request.customer` is not consulted)
    and records `followUpOf`; both tickets get a LINK entry: the new one `{"followUpOf", "reason"}` (the reason is
    `origin["reason"]` when given, else said from the earlier ticket's state), the earlier one, once the new one is
    saved, `{"followUp"}` (a timeline entry only, closed tickets included). It goes to the earlier ticket's owner
    when they are online with room, under their capacity condition as any assignment; otherwise it waits in its
    group's queue with that owner as its owner, who takes it first when they have room again (pick_up_next). An
    earlier ticket nobody owned, or whose owner is no longer an agent, is followed up as any new ticket is assigned.
    """
    if caller.is_customer and (request.customer is not None or request.priority is not None):
        raise Forbidden("customers cannot set the customer or the priority of a ticket")
    if follow_up_of is not None:
        policy.ensure_can_read(caller, follow_up_of)
    if group is not None and (not is_group_id(group) or agent_store.get_group(group) is None):
        raise InvalidRequest(f"group {group} does not exist")
    full: set[str] = set()  # agents found at capacity while writing: not chosen again
    # A round-robin group's openings take turns one at a time: losing a turn to another opening is not a failure.
    attempts = turns_lost = 0
    while attempts < _RETRIES and turns_lost <= _TURNS_LOST:
        attempts += 1
        if follow_up_of is not None:
            customer, new_customer = _customer_of(follow_up_of), None
        else:
            customer, new_customer = _customer_for(caller, request)
        moment = now()
        channel = request.channel or Channel.WEB
        decision = _route(request, channel, customer, is_new=new_customer is not None, origin=origin, moment=moment)
        group_id = group or decision.group
        pick = _pick_assignee(group_id, decision, customer, follow_up_of, frozenset(full))
        ticket = Ticket(
            id=new_ticket_id(),
            subject=request.subject,
            description=request.description,
            status=Status.OPEN if pick.agent_id else Status.NEW,
            category=decision.category,
            priority=decision.priority,
            channel=channel,
            customerId=customer.id,
            customerTier=customer.tier,
            groupId=group_id,
            assigneeId=pick.agent_id,
            ownerId=pick.owner_id,
            awaitingOwner=pick.awaiting_owner,
            followUpOf=follow_up_of.id if follow_up_of else None,
            sentiment=decision.sentiment.value,
            tags=request.tags,
            attachments=request.attachments,
            createdAt=moment,
            updatedAt=moment,
            version=0,
        )
        ticket = sla_clock.started(ticket)
        created = Draft(
            EntryKind.MESSAGE,
            Visibility.PUBLIC,
            body=request.description,
            data={"event": "created", "subject": request.subject, "channel": ticket.channel.value, **(origin or {})},
            attachments=request.attachments,
        )
        reasons = list(decision.reasons)
        if group_id != decision.group:
            reasons.append(f"sent to the group {group_id} by its opener (routing chose {decision.group})")
        routed = Draft(
            EntryKind.ROUTING,
            Visibility.INTERNAL,
            data={
                "category": decision.category.value,
                "priority": decision.priority.value,
                "group": group_id,
                "sentiment": decision.sentiment.value,
                "threat": decision.threat,
                "repeat": decision.repeat,
                "rule": decision.rule,
                "reasons": [*reasons, pick.why],
            },
        )
        drafts = [created, routed]
        if follow_up_of is not None:
            link = {"followUpOf": follow_up_of.id, "reason": _follow_up_reason(follow_up_of, origin, moment)}
            drafts.append(Draft(EntryKind.LINK, Visibility.PUBLIC, data=link))
        loads: list[LoadChange] = []
        if pick.agent_id:
            assignment = {"from": None, "to": pick.agent_id, "ownerId": pick.agent_id, "by": "routing"}
            drafts += [
                Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=assignment),
                _status_draft(Status.NEW, Status.OPEN),
            ]
            loads.append(LoadChange(pick.agent_id, pick.group_ids, +1))
        extra: list[KefuItem] = [*customer_store.new_items(new_customer)] if new_customer else []
        condition = store.lookup_condition(follow_up_of.id if follow_up_of else None)
        linked = [(item, condition) for item in (lookups(ticket) if lookups else [])]
        guarded = [*linked, *([pick.rotation] if pick.rotation else [])]
        entries = _entries(ticket, drafts, caller)
        try:
            saved = store.save(ticket, entries, is_new=True, extra_puts=extra, guarded_puts=guarded, load_changes=loads)
        except store.ConditionFailed as err:
            lookups_at = 1 + len(entries) + len(extra)
            if lookups_at <= err.index < lookups_at + len(linked):
                raise Conflict("what the ticket was opened for already has its ticket; add to that one") from err
            if pick.agent_id and err.index >= lookups_at + len(guarded):
                full.add(pick.agent_id)  # filled up since the roster was read: choose again without them
            elif pick.rotation and err.index == lookups_at + len(linked):
                attempts -= 1  # the rotation moved on meanwhile: the next agent in turn is decided again
                turns_lost += 1
            continue  # (or the customer was created meanwhile)
        except store.VersionConflict:
            continue  # an id collision: draw another
        if follow_up_of is not None:
            _link_follow_up(caller, follow_up_of.id, saved.id)
        return saved
    raise Conflict("the ticket could not be opened; try again")


@dataclass(frozen=True)
class _Pick:
    """Who a new ticket goes to (None: it waits in its group's queue), and why."""

    agent_id: str | None
    group_ids: tuple[str, ...]
    why: str
    owner_id: str | None = None
    #: Waiting for `owner_id`, a follow-up's earlier owner with no room now.
    awaiting_owner: bool = False
    #: Round robin: the rotation's move to this agent, written with the ticket on its own condition.
    rotation: tuple[KefuItem, Any] | None = None


def _pick_assignee(
    group_id: str,
    decision: RoutingDecision,
    customer: CustomerSummary,
    follow_up_of: Ticket | None,
    full: frozenset[str],
) -> _Pick:
    """A follow-up goes to its earlier ticket's owner, or waits for them; any other ticket to the group's least
    loaded qualifying agent or, in a round-robin group, the next one in turn."""
    owner_id = follow_up_of.ownerId if follow_up_of else None
    if follow_up_of is not None and owner_id:
        owner = None if owner_id in full else agent_store.get_agent(owner_id)
        if _has_room(owner):
            why = f"the owner of {follow_up_of.id}, online with room ({owner.load}/{owner.capacity})"
            return _Pick(owner.id, tuple(owner.groupIds), why, owner_id=owner.id)
        if owner is not None or owner_id in full:
            why = f"waits for {owner_id}, the owner of {follow_up_of.id}, who is {_no_room(owner)}"
            return _Pick(None, (), why, owner_id=owner_id, awaiting_owner=True)
    roster = agent_store.roster(group_id)
    skill, tier = decision.category.value, customer.tier
    if roster.assignment is AssignmentMode.ROUND_ROBIN:
        chosen, why = choose_in_turn(roster.members, skill=skill, tier=tier, after=roster.last_agent_id, exclude=full)
        rotation = roster.next_turn(chosen.agentId) if chosen else None
    else:
        chosen, why = choose_agent(roster.members, skill=skill, tier=tier, exclude=full)
        rotation = None
    if chosen is None:
        return _Pick(None, (), why)
    return _Pick(chosen.agentId, tuple(chosen.groupIds), why, owner_id=chosen.agentId, rotation=rotation)


def _has_room(agent: Agent | None) -> TypeGuard[Agent]:
    """The agent is online with room under their capacity (as read: the write's capacity condition decides)."""
    return agent is not None and agent.availability is Availability.ONLINE and agent.load < agent.capacity


def _no_room(owner: Agent | None) -> str:
    """Why an owner cannot take a ticket now: their availability, or at capacity (also when found full writing)."""
    if owner is not None and owner.availability is not Availability.ONLINE:
        return owner.availability.value
    return "at capacity"


def _customer_of(earlier: Ticket) -> CustomerSummary:
    """A follow-up's customer: the earlier ticket's, as their record says now (their tier may have changed)."""
    existing = customer_store.get(earlier.customerId)
    if existing is None:
        return CustomerSummary(id=earlier.customerId, tier=earlier.customerTier)
    return CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name)


def _follow_up_reason(earlier: Ticket, origin: Mapping[str, Any] | None, moment: datetime) -> str:
    given = (origin or {}).get("reason")
    if given:
        return str(given)
    if earlier.status is Status.CLOSED:
        return f"{earlier.id} is closed"
    if earlier.status is Status.RESOLVED:
        days = settings().reopen_window_days
        if moment - (earlier.sla.resolvedAt or earlier.updatedAt) > timedelta(days=days):
            return f"{earlier.id} was resolved more than {days} days ago, past its reopen window"
        return f"{earlier.id} is resolved"
    return f"follows up {earlier.id}"


def _link_follow_up(caller: Caller, earlier_id: str, follow_up_id: str) -> None:
    """The earlier ticket's side of the link: a timeline entry, whatever its status (closed ones included)."""

    def decide(ticket: Ticket) -> Change:
        link = Draft(EntryKind.LINK, Visibility.PUBLIC, data={"followUp": follow_up_id})
        return Change(ticket.model_copy(update={"updatedAt": now()}), [link])

    change(caller, earlier_id, decide)


def _route(
    request: NewTicket,
    channel: Channel,
    customer: CustomerSummary,
    *,
    is_new: bool,
    origin: Mapping[str, Any] | None,
    moment: datetime,
) -> RoutingDecision:
    """Routing applies to every channel: classify, prioritise and pick the group, with reasons."""
    # Imported here: only opening a ticket routes, and the rules cost ~13 ms of import every read would pay.
    from kefu.routing import Contact, route, routing_config

    config = routing_config()
    since = moment - timedelta(hours=config.repeat_window_hours)
    # A customer created with this ticket has no earlier contact to count.
    recent = 0 if is_new else store.count_since(customer.id, since)
    contact = Contact(
        subject=request.subject,
        body=request.description,
        channel=channel,
        category=request.category,
        priority=request.priority,
        metadata=dict((origin or {}).get("metadata") or {}),
        tier=customer.tier,
        recentContacts=recent,
    )
    return route(contact, config)


def _customer_for(caller: Caller, request: NewTicket) -> tuple[CustomerSummary, Customer | None]:
    """The customer a new ticket belongs to, and the customer record to create with it if there is none yet."""
    if caller.is_customer:
        existing = customer_store.get(caller.sub)
        if existing:
            return CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None
        return _new_customer(caller.sub, email=caller.email, phone=None, name=caller.name)
    ref = request.customer
    if ref is None:
        raise InvalidRequest("an agent opening a ticket names its customer (customer.id, .email or .phone)")
    if ref.id:
        existing = customer_store.get(ref.id)
        if existing is None:
            raise InvalidRequest(f"customer {ref.id} does not exist")
        return CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None
    email = normalize_email(ref.email) if ref.email else None
    phone = normalize_phone(ref.phone) if ref.phone else None
    for kind, value in (("email", email), ("phone", phone)):
        if value:
            found = customer_store.by_contact(kind, value)
            if found:
                return found, None
    return _new_customer(new_customer_id(), email=email, phone=phone, name=ref.name)


def _new_customer(
    customer_id: str, *, email: str | None, phone: str | None, name: str | None
) -> tuple[CustomerSummary, Customer]:
    moment = now()
    customer = Customer(
        id=customer_id,
        name=name,
        email=normalize_email(email) if email else None,
        phone=phone,
        tier=Tier.STANDARD,
        createdAt=moment,
        updatedAt=moment,
    )
    return CustomerSummary(id=customer.id, tier=customer.tier, name=customer.name), customer


# --- changing ---------------------------------------------------------------------------------------------


def update_ticket(caller: Caller, ticket_id: str, patch: TicketPatch, *, if_match: int | None) -> Ticket:
    """Change priority, category or tags; `if_match` is the version read (None: whatever is current)."""
    caller.require_staff()

    def decide(ticket: Ticket) -> Change | None:
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


def add_message(caller: Caller, ticket_id: str, message: NewMessage) -> TimelineEntry:
    written: list[TimelineEntry] = []
    room = _OwnerRoom()

    def decide(ticket: Ticket) -> Change:
        policy.ensure_can_write_message(caller, ticket, message.visibility)
        if ticket.status is Status.CLOSED:
            raise NotReopenable(ticket, "the ticket is closed")
        moment = now()
        if caller.is_customer:
            draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, message.body, attachments=message.attachments)
            return _customer_replied(ticket, draft, moment, room)
        if message.visibility is Visibility.INTERNAL:
            draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, message.body, attachments=message.attachments)
            return Change(ticket.model_copy(update={"updatedAt": moment}), [draft])
        draft = Draft(EntryKind.REPLY, Visibility.PUBLIC, message.body, attachments=message.attachments)
        sla = ticket.sla
        if sla.firstResponseAt is None:
            sla = sla.model_copy(update={"firstResponseAt": moment})
        update: dict[str, Any] = {"updatedAt": moment, "sla": sla}
        update.update(sla_clock.moved(ticket, sla, moment, sla_clock.ClockEvent.FIRST_RESPONSE))
        drafts = [draft]
        if ticket.status is Status.NEW:
            update["status"] = Status.OPEN
            drafts.append(_status_draft(Status.NEW, Status.OPEN))
        return Change(ticket.model_copy(update=update), drafts)

    def remember(ticket: Ticket, entries: list[TimelineEntry]) -> None:
        written.append(entries[0])

    room.write(lambda: change(caller, ticket_id, decide, on_saved=remember))
    return written[0]


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
    written: list[TimelineEntry] = []
    attached = list(attachments)
    room = _OwnerRoom()

    def decide(ticket: Ticket) -> Change:
        if ticket.status is Status.CLOSED:
            raise NotReopenable(ticket, "the ticket is closed")
        draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, body, data=dict(origin or {}), attachments=attached)
        replied = _customer_replied(ticket, draft, now(), room)
        replied.puts.extend(lookups(ticket) if lookups else [])
        return replied

    def remember(ticket: Ticket, entries: list[TimelineEntry]) -> None:
        written.append(entries[0])

    room.write(lambda: change(caller, ticket_id, decide, on_saved=remember))
    return written[0]


def _customer_replied(ticket: Ticket, draft: Draft, moment, room: _OwnerRoom) -> Change:
    """A customer's message moves a waiting ticket back to open, and reopens a recently resolved one (one resolved
    longer ago than the reopen window, or closed, is NotReopenable: what they wrote belongs on a follow-up)."""
    update: dict[str, Any] = {"updatedAt": moment}
    drafts = [draft]
    loads: list[LoadChange] = []
    if ticket.status is Status.PENDING:
        update["status"] = Status.OPEN
        update.update(sla_clock.moved(ticket, ticket.sla, moment, sla_clock.ClockEvent.RESUME))
        drafts.append(_status_draft(Status.PENDING, Status.OPEN, reason="customer replied"))
    elif ticket.status is Status.RESOLVED:
        resolved_at = ticket.sla.resolvedAt or ticket.updatedAt
        if moment - resolved_at > timedelta(days=settings().reopen_window_days):
            raise NotReopenable(ticket, "the ticket was resolved too long ago to reopen")
        reopened = _reopen(ticket, moment, reason="customer replied", room=room)
        update.update(reopened.updates)
        update.update(sla_clock.moved(ticket, ticket.sla, moment, sla_clock.ClockEvent.REOPEN))
        drafts.extend(reopened.drafts)
        loads.extend(reopened.loads)
    return Change(ticket.model_copy(update=update), drafts, loads)


def transition(caller: Caller, ticket_id: str, request: TransitionRequest) -> Ticket:
    freed: list[str] = []  # whose capacity this transition frees (the last decision is the one written)
    room = _OwnerRoom()

    def decide(ticket: Ticket) -> Change:
        lifecycle.check_transition(caller, ticket.status, request.to)
        if request.to is Status.RESOLVED and request.resolution is None:
            raise InvalidRequest("resolving a ticket records its resolution (resolution.kind)")
        moment = now()
        update: dict[str, Any] = {"status": request.to, "updatedAt": moment}
        drafts = [_status_draft(ticket.status, request.to)]
        loads: list[LoadChange] = []
        sla = ticket.sla
        if lifecycle.is_reopen(ticket.status, request.to):
            reopened = _reopen(ticket, moment, reason=None, room=room)
            update.update(reopened.updates)
            drafts = reopened.drafts
            loads = reopened.loads
        elif request.to is Status.RESOLVED:
            update["resolution"] = request.resolution
            update["sla"] = sla.model_copy(update={"resolvedAt": moment})
        elif request.to is Status.CLOSED:
            update["sla"] = sla.model_copy(update={"closedAt": moment})
        event = sla_clock.transition_event(ticket.status, request.to)
        if event is not None:
            update.update(sla_clock.moved(ticket, update.get("sla", sla), moment, event))
        if ticket.status in lifecycle.ACTIVE and request.to not in lifecycle.ACTIVE and ticket.assigneeId:
            loads.append(_load(ticket.assigneeId, -1))
            freed.append(ticket.assigneeId)
        if request.note:
            visibility = Visibility.PUBLIC if caller.is_customer else Visibility.INTERNAL
            kind = EntryKind.MESSAGE if caller.is_customer else EntryKind.NOTE
            drafts.append(Draft(kind, visibility, request.note))
        if request.resolution is not None and request.to is Status.RESOLVED:
            drafts[0].data["resolution"] = request.resolution.model_dump(mode="json", exclude_none=True)
        return Change(ticket.model_copy(update=update), drafts, loads)

    saved = room.write(lambda: change(caller, ticket_id, decide))
    if freed:
        pick_up_next(freed[-1])  # the assignee has room again
    return saved


@dataclass
class _Reopened:
    updates: dict[str, Any]
    drafts: list[Draft]
    loads: list[LoadChange]


class _OwnerRoom:
    """Reopening gives a ticket back to its owner under their capacity condition. When that condition fails (they
    filled up after they were read), the change is decided and written again, the ticket now waiting for them."""

    def __init__(self) -> None:
        self.full: set[str] = set()
        self.tried: str | None = None  # the owner the change being written gives the ticket to

    def write(self, attempt: Callable[[], Ticket]) -> Ticket:
        while True:
            self.tried = None
            try:
                return attempt()
            except store.ConditionFailed:
                if self.tried is None or self.tried in self.full:
                    raise
                self.full.add(self.tried)  # decided again, the change no longer assigns them: it ends


def _reopen(ticket: Ticket, moment, *, reason: str | None, room: _OwnerRoom) -> _Reopened:
    """Reopening goes back to the owner (首问负责制), the agent who first took the ticket, never over their capacity:

    - the owner is online with room: the ticket is theirs again, their load raised under the capacity condition
      (when that fails, because they filled up meanwhile, the reopen is decided again as in the next case);
    - the owner is offline, away or at capacity: the ticket waits unassigned in its group's queue, the owner kept
      and the ticket awaiting them. They take it before anything else when they have room again (pick_up_next,
      whichever group it waits in); meanwhile an agent of the group with room may take it, as a helper;
    - nobody owns it (or its owner is no longer an agent): it waits in its group's queue as a new ticket does.
    """
    updates: dict[str, Any] = {"status": Status.OPEN, "updatedAt": moment, "assigneeId": None, "awaitingOwner": False}
    drafts = [_status_draft(Status.RESOLVED, Status.OPEN, reason=reason)]
    loads: list[LoadChange] = []
    owner_id = ticket.ownerId
    owner = agent_store.get_agent(owner_id) if owner_id and owner_id not in room.full else None
    if _has_room(owner):
        room.tried = owner.id
        updates["assigneeId"] = owner.id
        data = {"from": ticket.assigneeId, "to": owner.id, "ownerId": owner.id, "reason": "reopened to its owner"}
        drafts.append(Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=data))
        loads.append(LoadChange(owner.id, tuple(owner.groupIds), +1))
    elif owner_id and (owner is not None or owner_id in room.full):
        updates["awaitingOwner"] = True
        data = {
            "from": ticket.assigneeId,
            "to": None,
            "ownerId": owner_id,
            "reason": f"reopened while its owner is {_no_room(owner)}: waits in the {ticket.groupId} queue for them",
        }
        drafts.append(Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=data))
    return _Reopened(updates, drafts, loads)


def assign(caller: Caller, ticket_id: str, request: AssignRequest) -> Ticket:
    caller.require_staff()
    if request.groupId and (not is_group_id(request.groupId) or agent_store.get_group(request.groupId) is None):
        raise InvalidRequest(f"group {request.groupId} does not exist")
    target_id = caller.sub if request.take else request.agentId
    target: Agent | None = None
    if target_id:
        target = agent_store.get_agent(target_id) if is_agent_id(target_id) else None
        if target is None:
            if request.take:
                raise Forbidden("you have no agent profile yet; an admin adds you with PUT /agents/{id}")
            raise InvalidRequest(str(AgentNotFound(target_id)))

    def decide(ticket: Ticket) -> Change | None:
        if ticket.status not in lifecycle.ACTIVE:
            raise Conflict(f"a {ticket.status.value} ticket cannot be assigned; reopen it first")
        moment = now()
        if request.groupId:
            if request.groupId == ticket.groupId and ticket.assigneeId is None:
                return None
            moved = transferred(ticket, request.groupId, moment)
            drafts = [Draft(EntryKind.TRANSFER, Visibility.INTERNAL, request.note, moved.data)]
            return Change(moved.ticket, drafts, moved.loads)
        assert target is not None
        if ticket.assigneeId == target.id:
            return None
        if request.take and ticket.assigneeId is not None:
            raise Conflict(f"the ticket is already assigned to {ticket.assigneeId}")
        given = _given_to(ticket, target, moment, note=request.note, by=caller.sub)
        if ticket.assigneeId:
            given.load_changes.append(_load(ticket.assigneeId, -1))
        return given

    try:
        saved = change(caller, ticket_id, decide)
    except store.ConditionFailed as err:
        raise Conflict(f"agent {target_id} is at capacity") from err
    if request.groupId and caller.sub != saved.assigneeId:
        pick_up_next(caller.sub, skip=ticket_id)  # the transferring agent has room again (not for what they sent)
    return saved


@dataclass(frozen=True)
class Transfer:
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
    loads = [_load(ticket.assigneeId, -1)] if ticket.assigneeId else []
    data = {"fromGroup": ticket.groupId, "toGroup": group_id, "from": ticket.assigneeId}
    return Transfer(ticket.model_copy(update=update), loads, data)


def pick_up_next(agent_id: str, *, skip: str | None = None) -> Ticket | None:
    """An agent with room takes the next waiting ticket, if any: first one awaiting them as its owner (reopened, or a
    follow-up opened, while they had no room; in whichever group it waits), then the most urgent, oldest unassigned
    ticket of their groups' queues: new, reopened, transferred in, or awaiting another owner, who stays its owner
    (the agent becomes a helper). `skip` is a ticket not to take: the one the agent has just transferred away."""
    agent = agent_store.get_agent(agent_id)
    if agent is None or agent.availability is not Availability.ONLINE or agent.load >= agent.capacity:
        return None
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
    system = Caller(sub=f"system:queue:{agent.id}", groups=frozenset({Role.AGENT.value}))
    tried: set[str] = {skip} if skip else set()
    for candidate in [*own, *waiting]:
        if candidate.id in tried:
            continue
        tried.add(candidate.id)

        def decide(ticket: Ticket) -> Change | None:
            if ticket.assigneeId is not None or ticket.status not in lifecycle.ACTIVE:
                return None  # someone else took it meanwhile
            reason = "its owner had room again" if agent.id == ticket.ownerId else "agent had room"
            return _given_to(ticket, agent, now(), by="queue", reason=reason)

        try:
            taken = change(system, candidate.id, decide)
        except store.ConditionFailed:
            return None  # the agent filled up meanwhile
        if taken.assigneeId == agent.id:
            return taken
    return None


def _given_to(ticket: Ticket, agent: Agent, moment: datetime, *, note: str | None = None, **why: str) -> Change:
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
        drafts.append(_status_draft(Status.NEW, Status.OPEN))
    return Change(ticket.model_copy(update=update), drafts, [LoadChange(agent.id, tuple(agent.groupIds), +1)])


def _urgency(ticket: Ticket) -> tuple[str, datetime]:
    return ticket.priority.value, ticket.createdAt


# --- the write path ---------------------------------------------------------------------------------------


def change(
    caller: Caller,
    ticket_id: str,
    decide: Callable[[Ticket], Change | None],
    *,
    if_match: int | None = None,
    on_saved: Callable[[Ticket, list[TimelineEntry]], None] | None = None,
) -> Ticket:
    """Read the ticket, decide the change, write it against the version read; retry when someone else won.

    With If-Match the caller's version is the one that must still be current: no retry, 412.
    """
    for _ in range(_RETRIES):
        ticket = store.get(ticket_id)
        policy.ensure_can_read(caller, ticket)
        if if_match is not None and ticket.version != if_match:
            raise StaleVersion(f"the ticket is at version {ticket.version}; the change was made against {if_match}")
        change = decide(ticket)
        if change is None:
            return ticket
        entries = _entries(change.ticket, change.drafts, caller)
        loads = _with_groups(change.load_changes)
        try:
            saved = store.save(change.ticket, entries, load_changes=loads, extra_puts=change.puts)
        except store.VersionConflict:
            if if_match is not None:
                raise StaleVersion(f"the ticket changed after version {if_match}; read it again") from None
            continue
        if on_saved:
            on_saved(saved, entries)
        return saved
    raise Conflict(f"ticket {ticket_id} kept changing; try again")


def _entries(ticket: Ticket, drafts: list[Draft], caller: Caller) -> list[TimelineEntry]:
    version = ticket.version + 1  # the version this write creates
    moment = ticket.updatedAt
    return [
        TimelineEntry(
            id=store.timeline_entry_id(version, index),
            ticketId=ticket.id,
            kind=draft.kind,
            visibility=draft.visibility,
            authorId=caller.sub,
            authorRole=caller.role.value,
            body=draft.body,
            data=draft.data,
            attachments=draft.attachments,
            createdAt=moment,
        )
        for index, draft in enumerate(drafts)
    ]


def _load(agent_id: str, delta: int) -> LoadChange:
    return LoadChange(agent_id, (), delta)


def _with_groups(changes: list[LoadChange]) -> list[LoadChange]:
    """Load changes also move the agent's membership rows; fill in the groups where they are not known yet."""
    result = []
    for change in changes:
        if change.group_ids:
            result.append(change)
            continue
        agent = agent_store.get_agent(change.agent_id)
        if agent is None:
            continue  # the agent was removed; nothing to count against
        result.append(LoadChange(change.agent_id, tuple(agent.groupIds), change.delta, change.guard))
    return result


def _status_draft(current: Status, target: Status, *, reason: str | None = None) -> Draft:
    data: dict[str, Any] = {"from": current.value, "to": target.value}
    if reason:
        data["reason"] = reason
    return Draft(EntryKind.STATUS, Visibility.PUBLIC, data=data)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


@cache
def _idempotent_open():
    """`open_ticket` behind Powertools idempotency, keyed by the caller and their Idempotency-Key."""

    def open_once(request: dict) -> dict:
        caller = Caller.from_claims(request["caller"])
        ticket = open_ticket(caller, NewTicket.model_validate(request["ticket"]))
        return ticket.model_dump(mode="json")

    return idempotent(open_once, data="request", key="[caller.sub, key]", payload="ticket")


def idempotency_config():
    return _idempotent_open()[0]


def open_ticket_once(caller: Caller, request: NewTicket, idempotency_key: str) -> Ticket:
    """The same Idempotency-Key from the same caller opens one ticket; a different body with it is refused."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    _, open_once = _idempotent_open()
    claims = {
        "sub": caller.sub,
        "cognito:groups": sorted(caller.groups),
        "email": caller.email,
        "name": caller.name,
    }
    payload = {"caller": claims, "key": idempotency_key, "ticket": request.model_dump(mode="json")}
    try:
        return Ticket.model_validate(open_once(request=payload))
    except IdempotencyValidationError as err:
        raise InvalidRequest("this Idempotency-Key was used with a different request body") from err
    except IdempotencyAlreadyInProgressError as err:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly") from err
