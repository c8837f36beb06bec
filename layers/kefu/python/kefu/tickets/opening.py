"""Opening a ticket: routed (category, priority, group, with reasons), given to an agent of its group with room or
left waiting in the group's queue, written with its customer when they are new and with the lookups that point at
it; follow-ups of earlier tickets; and the Idempotency-Key that makes one request open one ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from kefu.clock import now
from kefu.config import settings
from kefu.errors import Conflict, Forbidden, InvalidRequest
from kefu.idempotency import idempotent
from kefu.identity import Caller
from kefu.ids import new_ticket_id
from kefu.model.customers import CustomerSummary
from kefu.model.ticket_requests import NewTicket
from kefu.model.tickets import Channel, EntryKind, Status, Ticket, Visibility
from kefu.store import customers as customer_store
from kefu.store import tickets as store
from kefu.store.agents import Turn
from kefu.store.failures import AgentUnavailable, AlreadyExists, LookupTaken, TurnTaken, VersionConflict
from kefu.store.models import KefuItem
from kefu.store.tickets import LoadChange
from kefu.tickets import policy
from kefu.tickets import sla as sla_clock
from kefu.tickets.customer import ContactOwners, Whose, customer_for, customer_of
from kefu.tickets.handover import Pick, group_exists, pick_assignee
from kefu.tickets.writes import RETRIES, Change, Draft, change, status_draft, timeline_entries

if TYPE_CHECKING:
    from kefu.routing import RoutingDecision

#: How many turns an opening in a round-robin group may lose to concurrent openings before giving up.
_TURNS_LOST = 50


class _Opening(NamedTuple):
    """A new ticket as decided: what its transaction writes with it."""

    ticket: Ticket
    drafts: list[Draft]
    loads: list[LoadChange]
    new_items: list[KefuItem]
    turn: Turn | None


def open_ticket(
    caller: Caller,
    request: NewTicket,
    *,
    lookups: Callable[[Ticket], Iterable[KefuItem]] | None = None,
    origin: Mapping[str, Any] | None = None,
    follow_up_of: Ticket | None = None,
    group: str | None = None,
    contact_owners: ContactOwners | None = None,
) -> Ticket:
    """Open a ticket: routed (category, priority, group, with reasons), and given to an agent of its group with room,
    or left waiting in the group's queue.

    `lookups` gives items that point at the new ticket (an external thread's), written in its transaction only if
    their keys are new (for a follow-up: or if they still point at the earlier ticket, which they then leave);
    `origin` goes on the opening entry (where a relayed contact came from); `group` sends the ticket to that group
    instead of the one routing chose (category and priority are still routed). `contact_owners`: who owns contact points
    (None: nobody) as the caller read them a moment ago (inbound mail, with the mail's own lookups): the customer a
    request names by one of them is not looked up again.

    `follow_up_of` opens a follow-up of an earlier ticket (closed, resolved too long ago to reopen, answered with a
    low survey score). The follow-up belongs to the earlier ticket's customer (`request.customer` is not consulted)
    and records `followUpOf`; both tickets get a LINK entry: the new one `{"followUpOf", "reason"}` (the reason is
    `origin["reason"]` when given, else said from the earlier ticket's state), the earlier one, once the new one is
    saved, `{"followUp"}` (a timeline entry only, closed tickets included). It goes to the earlier ticket's owner
    when they are online with room, under their capacity condition as any assignment; otherwise it waits in its
    group's queue with that owner as its owner, who takes it first when they have room again (pick_up_next). An
    earlier ticket nobody owned, or whose owner is no longer an agent, is followed up as any new ticket is assigned.
    """
    _check_opener(caller, request, follow_up_of, group)
    full: set[str] = set()  # agents found at capacity while writing: not chosen again
    # A round-robin group's openings take turns one at a time: losing a turn to another opening is not a failure.
    attempts = turns_lost = 0
    contested = False  # a new customer's claim was refused: who owns their contact points is read again
    while attempts < RETRIES and turns_lost <= _TURNS_LOST:
        attempts += 1
        opening = _decided(caller, request, origin, follow_up_of, group, frozenset(full), contested, contact_owners)
        linked = list(lookups(opening.ticket)) if lookups else []
        try:
            saved = _write(caller, opening, linked, follow_up_of)
        except LookupTaken as err:
            raise Conflict("what the ticket was opened for already has its ticket; add to that one") from err
        except AgentUnavailable as err:
            full.add(err.agent_id)  # filled up since the roster was read: choose again without them
        except TurnTaken:
            attempts -= 1  # the rotation moved on meanwhile: the next agent in turn is decided again
            turns_lost += 1
        except AlreadyExists:
            contested = True  # the customer, or one of their contact points, was taken meanwhile: decide again
        except VersionConflict:
            continue  # an id collision: decide again
        else:
            if follow_up_of is not None:
                _link_follow_up(caller, follow_up_of.id, saved.id)
            return saved
    raise Conflict("the ticket could not be opened; try again")


def _check_opener(caller: Caller, request: NewTicket, follow_up_of: Ticket | None, group: str | None) -> None:
    if caller.is_customer and (request.customer is not None or request.priority is not None):
        raise Forbidden("customers cannot set the customer or the priority of a ticket")
    if follow_up_of is not None:
        policy.ensure_can_read(caller, follow_up_of)
    if group is not None and not group_exists(group):
        raise InvalidRequest(f"group {group} does not exist")


def _write(caller: Caller, opening: _Opening, linked: list[KefuItem], follow_up_of: Ticket | None) -> Ticket:
    return store.save(
        opening.ticket,
        timeline_entries(opening.ticket, opening.drafts, caller),
        is_new=True,
        new_items=opening.new_items,
        lookups=linked,
        replacing=follow_up_of.id if follow_up_of else None,
        turn=opening.turn,
        load_changes=opening.loads,
    )


def _decided(
    caller: Caller,
    request: NewTicket,
    origin: Mapping[str, Any] | None,
    follow_up_of: Ticket | None,
    group: str | None,
    full: frozenset[str],
    contested: bool = False,
    contact_owners: ContactOwners | None = None,
) -> _Opening:
    """The new ticket as routed and assigned now, with its entries and what its transaction writes with it."""
    whose = (
        Whose(customer_of(follow_up_of), None)
        if follow_up_of
        else customer_for(caller, request, contested=contested, known=contact_owners)
    )
    moment = now()
    channel = request.channel or Channel.WEB
    decision = _route(request, channel, whose, origin=origin, moment=moment)
    group_id = group or decision.group
    pick = pick_assignee(group_id, decision, whose.customer, follow_up_of, full)
    ticket = _new_ticket(request, channel, whose.customer, decision, group_id, pick, follow_up_of, moment)
    # The knowledge base's search (its index, text analysis, models) loads with the first ticket a process opens, not
    # with every import of tickets: a function that reads tickets never needs it.
    from kefu.tickets.knowledge import advice_at_opening

    # Suggestions and a self-service offer ride in the ticket's own transaction: no write of their own.
    advice = advice_at_opening(caller, ticket)
    drafts = [_created(ticket, request, origin, advice.offer), _routed(decision, group_id, pick)]
    if follow_up_of is not None:
        link = {"followUpOf": follow_up_of.id, "reason": _follow_up_reason(follow_up_of, origin, moment)}
        drafts.append(Draft(EntryKind.LINK, Visibility.PUBLIC, data=link))
    loads: list[LoadChange] = []
    if pick.agent_id:
        assignment = {"from": None, "to": pick.agent_id, "ownerId": pick.agent_id, "by": "routing"}
        drafts += [
            Draft(EntryKind.ASSIGNMENT, Visibility.INTERNAL, data=assignment),
            status_draft(Status.NEW, Status.OPEN),
        ]
        loads.append(LoadChange(pick.agent_id, pick.group_ids, +1))
    drafts += advice.drafts
    new_items = [*customer_store.new_items(whose.new, whose.claims)] if whose.new else []
    return _Opening(ticket, drafts, loads, new_items, pick.turn)


def _new_ticket(
    request: NewTicket,
    channel: Channel,
    customer: CustomerSummary,
    decision: RoutingDecision,
    group_id: str,
    pick: Pick,
    follow_up_of: Ticket | None,
    moment: datetime,
) -> Ticket:
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
        threat=decision.threat,
        tags=request.tags,
        attachments=request.attachments,
        createdAt=moment,
        updatedAt=moment,
        version=0,
    )
    return sla_clock.started(ticket)


def _created(
    ticket: Ticket, request: NewTicket, origin: Mapping[str, Any] | None, offer: Mapping[str, Any] | None = None
) -> Draft:
    data = {"event": "created", "subject": request.subject, "channel": ticket.channel.value, **(origin or {})}
    if offer is not None and ticket.channel is Channel.EMAIL:
        data["selfServiceOffer"] = dict(offer)  # the acknowledgement, sent from this entry, quotes it
    return Draft(
        EntryKind.MESSAGE, Visibility.PUBLIC, body=request.description, data=data, attachments=request.attachments
    )


def _routed(decision: RoutingDecision, group_id: str, pick: Pick) -> Draft:
    reasons = list(decision.reasons)
    if group_id != decision.group:
        reasons.append(f"sent to the group {group_id} by its opener (routing chose {decision.group})")
    data = {
        "category": decision.category.value,
        "priority": decision.priority.value,
        "group": group_id,
        "sentiment": decision.sentiment.value,
        "threat": decision.threat,
        "repeat": decision.repeat,
        "rule": decision.rule,
        "reasons": [*reasons, pick.why],
    }
    return Draft(EntryKind.ROUTING, Visibility.INTERNAL, data=data)


def _route(
    request: NewTicket,
    channel: Channel,
    whose: Whose,
    *,
    origin: Mapping[str, Any] | None,
    moment: datetime,
) -> RoutingDecision:
    """Routing applies to every channel: classify, prioritise and pick the group, with reasons."""
    # Imported here: only opening a ticket routes, and the rules cost ~13 ms of import every read would pay.
    from kefu.routing import Contact, route, routing_config

    config = routing_config()
    since = moment - timedelta(hours=config.repeat_window_hours)
    # A customer created with this ticket has no earlier contact to count.
    recent = 0 if whose.new else store.count_since(whose.customer.id, since)
    contact = Contact(
        subject=request.subject,
        body=request.description,
        channel=channel,
        category=request.category,
        priority=request.priority,
        metadata=dict((origin or {}).get("metadata") or {}),
        tier=whose.customer.tier,
        recentContacts=recent,
    )
    return route(contact, config)


# --- follow-ups -------------------------------------------------------------------------------------------


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

    def decide(ticket: Ticket) -> Change[None]:
        link = Draft(EntryKind.LINK, Visibility.PUBLIC, data={"followUp": follow_up_id})
        return Change(ticket.model_copy(update={"updatedAt": now()}), [link])

    change(caller, earlier_id, decide)


# --- one ticket per Idempotency-Key -----------------------------------------------------------------------


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
    payload = {"caller": caller.claims(), "key": idempotency_key, "ticket": request.model_dump(mode="json")}
    try:
        return Ticket.model_validate(open_once(request=payload))
    except IdempotencyValidationError as err:
        raise InvalidRequest("this Idempotency-Key was used with a different request body") from err
    except IdempotencyAlreadyInProgressError as err:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly") from err
