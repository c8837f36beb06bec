"""What can be done with tickets. Every change goes through `change`: read, decide, write with the version read.

Other capabilities (e-mail, escalation, surveys) change tickets through `change` as well, with their own `decide`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from kefu.agents.assignment import SERVED_BY, choose_agent
from kefu.agents.model import Agent, Availability
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
) -> Ticket:
    """Open a ticket. `lookups` gives items that point at the new ticket (an external thread's), written in its
    transaction only if their keys are new; `origin` goes on the opening entry (where a relayed contact came from)."""
    if caller.is_customer and (request.customer is not None or request.priority is not None):
        raise Forbidden("customers cannot set the customer or the priority of a ticket")
    full: set[str] = set()  # agents found at capacity while writing: not chosen again
    for _ in range(_RETRIES):
        customer, new_customer = _customer_for(caller, request)
        moment = now()
        channel = request.channel or Channel.WEB
        decision = _route(request, channel, customer, is_new=new_customer is not None, origin=origin, moment=moment)
        agent, why = choose_agent(
            agent_store.group_members(decision.group),
            skill=decision.category.value,
            tier=customer.tier,
            exclude=frozenset(full),
        )
        ticket = Ticket(
            id=new_ticket_id(),
            subject=request.subject,
            description=request.description,
            status=Status.OPEN if agent else Status.NEW,
            category=decision.category,
            priority=decision.priority,
            channel=channel,
            customerId=customer.id,
            customerTier=customer.tier,
            groupId=decision.group,
            assigneeId=agent.agentId if agent else None,
            ownerId=agent.agentId if agent else None,
            sentiment=decision.sentiment.value,
            tags=request.tags,
            attachments=request.attachments,
            createdAt=moment,
            updatedAt=moment,
            version=0,
        )
        created = Draft(
            EntryKind.MESSAGE,
            Visibility.PUBLIC,
            body=request.description,
            data={"event": "created", "subject": request.subject, "channel": ticket.channel.value, **(origin or {})},
            attachments=request.attachments,
        )
        routed = Draft(
            EntryKind.ROUTING,
            Visibility.INTERNAL,
            data={
                "category": decision.category.value,
                "priority": decision.priority.value,
                "group": decision.group,
                "sentiment": decision.sentiment.value,
                "threat": decision.threat,
                "repeat": decision.repeat,
                "rule": decision.rule,
                "reasons": [*decision.reasons, why],
            },
        )
        drafts = [created, routed]
        loads: list[LoadChange] = []
        if agent:
            assignment = {"from": None, "to": agent.agentId, "ownerId": agent.agentId, "by": "routing"}
            drafts += [
                Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=assignment),
                _status_draft(Status.NEW, Status.OPEN),
            ]
            loads.append(LoadChange(agent.agentId, tuple(agent.groupIds), +1))
        extra: list[KefuItem] = [*customer_store.new_items(new_customer)] if new_customer else []
        extra += lookups(ticket) if lookups else []
        entries = _entries(ticket, drafts, caller)
        try:
            return store.save(ticket, entries, is_new=True, extra_puts=extra, load_changes=loads)
        except store.ConditionFailed as err:
            if agent and err.index >= 1 + len(entries) + len(extra):
                full.add(agent.agentId)  # filled up since the roster was read: choose again without them
            continue
        except store.VersionConflict:
            continue  # an id collision: draw another
    raise Conflict("the ticket could not be opened; try again")


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
        updated = ticket.model_copy(update={**patch.model_dump(exclude_none=True), "updatedAt": now()})
        updated = Ticket.model_validate(updated.model_dump())
        return Change(updated, [Draft(EntryKind.UPDATE, Visibility.INTERNAL, data={"changes": changes})])

    return change(caller, ticket_id, decide, if_match=if_match)


def add_message(caller: Caller, ticket_id: str, message: NewMessage) -> TimelineEntry:
    written: list[TimelineEntry] = []

    def decide(ticket: Ticket) -> Change:
        policy.ensure_can_write_message(caller, ticket, message.visibility)
        if ticket.status is Status.CLOSED:
            raise Conflict("the ticket is closed; open a new ticket instead")
        moment = now()
        if caller.is_customer:
            draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, message.body, attachments=message.attachments)
            return _customer_replied(ticket, draft, moment)
        if message.visibility is Visibility.INTERNAL:
            draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, message.body, attachments=message.attachments)
            return Change(ticket.model_copy(update={"updatedAt": moment}), [draft])
        draft = Draft(EntryKind.REPLY, Visibility.PUBLIC, message.body, attachments=message.attachments)
        sla = ticket.sla
        if sla.firstResponseAt is None:
            sla = sla.model_copy(update={"firstResponseAt": moment})
        update: dict[str, Any] = {"updatedAt": moment, "sla": sla}
        drafts = [draft]
        if ticket.status is Status.NEW:
            update["status"] = Status.OPEN
            drafts.append(_status_draft(Status.NEW, Status.OPEN))
        return Change(ticket.model_copy(update=update), drafts)

    def remember(ticket: Ticket, entries: list[TimelineEntry]) -> None:
        written.append(entries[0])

    change(caller, ticket_id, decide, on_saved=remember)
    return written[0]


def relay_customer_message(
    caller: Caller, ticket_id: str, body: str, *, origin: Mapping[str, Any] | None = None
) -> TimelineEntry:
    """A customer's message passed on by a system (the intake queue): it acts on the ticket as the customer's
    own message would (pending → open, a recent resolution reopened), recorded as written by that system."""
    caller.require_staff()
    written: list[TimelineEntry] = []

    def decide(ticket: Ticket) -> Change:
        if ticket.status is Status.CLOSED:
            raise Conflict("the ticket is closed; open a new ticket instead")
        draft = Draft(EntryKind.MESSAGE, Visibility.PUBLIC, body, data=dict(origin or {}))
        return _customer_replied(ticket, draft, now())

    def remember(ticket: Ticket, entries: list[TimelineEntry]) -> None:
        written.append(entries[0])

    change(caller, ticket_id, decide, on_saved=remember)
    return written[0]


def _customer_replied(ticket: Ticket, draft: Draft, moment) -> Change:
    """A customer's message moves a waiting ticket back to open, and reopens a recently resolved one."""
    update: dict[str, Any] = {"updatedAt": moment}
    drafts = [draft]
    loads: list[LoadChange] = []
    if ticket.status is Status.PENDING:
        update["status"] = Status.OPEN
        drafts.append(_status_draft(Status.PENDING, Status.OPEN, reason="customer replied"))
    elif ticket.status is Status.RESOLVED:
        resolved_at = ticket.sla.resolvedAt or ticket.updatedAt
        if moment - resolved_at > timedelta(days=settings().reopen_window_days):
            raise Conflict("the ticket was resolved too long ago to reopen; open a new ticket instead")
        reopened = _reopen(ticket, moment, reason="customer replied")
        update.update(reopened.updates)
        drafts.extend(reopened.drafts)
        loads.extend(reopened.loads)
    return Change(ticket.model_copy(update=update), drafts, loads)


def transition(caller: Caller, ticket_id: str, request: TransitionRequest) -> Ticket:
    freed: list[str] = []  # whose capacity this transition frees (the last decision is the one written)

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
            reopened = _reopen(ticket, moment, reason=None)
            update.update(reopened.updates)
            drafts = reopened.drafts
            loads = reopened.loads
        elif request.to is Status.RESOLVED:
            update["resolution"] = request.resolution
            update["sla"] = sla.model_copy(update={"resolvedAt": moment})
        elif request.to is Status.CLOSED:
            update["sla"] = sla.model_copy(update={"closedAt": moment})
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

    saved = change(caller, ticket_id, decide)
    if freed:
        pick_up_next(freed[-1])  # the assignee has room again
    return saved


@dataclass
class _Reopened:
    updates: dict[str, Any]
    drafts: list[Draft]
    loads: list[LoadChange]


def _reopen(ticket: Ticket, moment, *, reason: str | None) -> _Reopened:
    """Reopening goes back to the owner (首问负责制): the agent who first took the ticket."""
    updates: dict[str, Any] = {"status": Status.OPEN, "updatedAt": moment}
    drafts = [_status_draft(Status.RESOLVED, Status.OPEN, reason=reason)]
    loads: list[LoadChange] = []
    if ticket.ownerId:
        updates["assigneeId"] = ticket.ownerId
        drafts.append(
            Draft(
                EntryKind.ASSIGNMENT,
                Visibility.INTERNAL,
                data={"from": ticket.assigneeId, "to": ticket.ownerId, "reason": "reopened to its owner"},
            )
        )
        loads.append(_load(ticket.ownerId, +1, guard=False))
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
        loads: list[LoadChange] = []
        if request.groupId:
            if request.groupId == ticket.groupId and ticket.assigneeId is None:
                return None
            update: dict[str, Any] = {"groupId": request.groupId, "assigneeId": None, "updatedAt": moment}
            if ticket.assigneeId:
                loads.append(_load(ticket.assigneeId, -1))
            data = {"fromGroup": ticket.groupId, "toGroup": request.groupId, "from": ticket.assigneeId}
            drafts = [Draft(EntryKind.TRANSFER, Visibility.INTERNAL, request.note, data)]
            return Change(ticket.model_copy(update=update), drafts, loads)
        assert target is not None
        if ticket.assigneeId == target.id:
            return None
        if request.take and ticket.assigneeId is not None:
            raise Conflict(f"the ticket is already assigned to {ticket.assigneeId}")
        owner = ticket.ownerId or target.id
        helpers = list(ticket.helperIds)
        if target.id != owner and target.id not in helpers:
            helpers.append(target.id)
        update = {"assigneeId": target.id, "ownerId": owner, "helperIds": helpers, "updatedAt": moment}
        drafts = [
            Draft(
                EntryKind.ASSIGNMENT,
                Visibility.INTERNAL,
                request.note,
                {"from": ticket.assigneeId, "to": target.id, "ownerId": owner, "by": caller.sub},
            )
        ]
        if ticket.status is Status.NEW:
            update["status"] = Status.OPEN
            drafts.append(_status_draft(Status.NEW, Status.OPEN))
        loads.append(LoadChange(target.id, tuple(target.groupIds), +1))
        if ticket.assigneeId:
            loads.append(_load(ticket.assigneeId, -1))
        return Change(ticket.model_copy(update=update), drafts, loads)

    try:
        saved = change(caller, ticket_id, decide)
    except store.ConditionFailed as err:
        raise Conflict(f"agent {target_id} is at capacity") from err
    if request.groupId and caller.sub != saved.assigneeId:
        pick_up_next(caller.sub)  # the transferring agent has room again
    return saved


def pick_up_next(agent_id: str) -> Ticket | None:
    """An agent with room takes the most urgent, oldest ticket waiting in their groups' queues, if any."""
    agent = agent_store.get_agent(agent_id)
    if agent is None or agent.availability is not Availability.ONLINE or agent.load >= agent.capacity:
        return None
    waiting = [
        ticket
        for group_id in agent.groupIds
        for ticket in store.group_queue(group_id, Status.NEW, limit=5, cursor=None).items
        if ticket.assigneeId is None and agent.tier in SERVED_BY[ticket.customerTier]
    ]
    system = Caller(sub=f"system:queue:{agent.id}", groups=frozenset({Role.AGENT.value}))
    for candidate in sorted(waiting, key=lambda t: (t.priority.value, t.createdAt)):

        def decide(ticket: Ticket) -> Change | None:
            if ticket.assigneeId is not None or ticket.status is not Status.NEW:
                return None  # someone else took it meanwhile
            owner = ticket.ownerId or agent.id
            update = {"assigneeId": agent.id, "ownerId": owner, "status": Status.OPEN, "updatedAt": now()}
            data = {"from": None, "to": agent.id, "ownerId": owner, "by": "queue", "reason": "agent had room"}
            drafts = [
                Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=data),
                _status_draft(Status.NEW, Status.OPEN),
            ]
            return Change(ticket.model_copy(update=update), drafts, [LoadChange(agent.id, tuple(agent.groupIds), +1)])

        try:
            taken = change(system, candidate.id, decide)
        except store.ConditionFailed:
            return None  # the agent filled up meanwhile
        if taken.assigneeId == agent.id:
            return taken
    return None


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
            saved = store.save(change.ticket, entries, load_changes=loads)
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


def _load(agent_id: str, delta: int, *, guard: bool = True) -> LoadChange:
    return LoadChange(agent_id, (), delta, guard)


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
