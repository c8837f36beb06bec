"""Tickets and their timelines in DynamoDB (access patterns 1, 2, 3, 4, 6, 11)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from kefu.clock import iso
from kefu.errors import BadCursor, TicketNotFound
from kefu.ids import is_ticket_id
from kefu.model.customers import Tier
from kefu.model.tickets import ACTIVE, Attachment, EntryKind, Page, Sla, Status, Ticket, TimelineEntry, Visibility
from kefu.store import cursor as cursors
from kefu.store import sla_terms, views
from kefu.store.failures import (
    AgentAtCapacity,
    AgentUnavailable,
    AlreadyExists,
    LookupTaken,
    TransactionCollided,
    TurnTaken,
    VersionConflict,
    WriteRefused,
)
from kefu.store.full_items import read_in_full, read_matching
from kefu.store.models import AgentItem, KefuItem, MemberItem, TicketItem, TimelineItem
from kefu.store.writes import (
    CONDITION_FAILED,
    TRANSACTION_CONFLICT,
    cancellation_codes,
    connection,
    in_request_order,
)

if TYPE_CHECKING:
    # Only the assignment path passes a Turn (kefu.tickets.handover, which imports the agents' store itself): a
    # ticket read does not import the agents' store.
    from kefu.store.agents import Turn

TICKET_SK = "TICKET"
TIMELINE_PREFIX = "TL#"


# A named tuple, not a frozen dataclass: a dataclass compiles its methods from source when its module is imported,
# ~3 M instructions of every cold start that imports the store, a named tuple ~0.7 M (callgrind; kefu.store.mail).
class LoadChange(NamedTuple):
    """Move an agent's open-ticket count; `guard` refuses to go over capacity."""

    agent_id: str
    group_ids: tuple[str, ...]
    delta: int
    guard: bool = True


def ticket_key(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def get(ticket_id: str) -> Ticket:
    if not is_ticket_id(ticket_id):
        raise TicketNotFound(ticket_id)  # no such key can exist: no need to ask
    try:
        item = TicketItem.get(ticket_key(ticket_id), TICKET_SK, consistent_read=True)
    except DoesNotExist:
        raise TicketNotFound(ticket_id) from None
    return ticket_of(item)


def save(
    ticket: Ticket,
    entries: Iterable[TimelineEntry],
    *,
    is_new: bool = False,
    load_changes: Iterable[LoadChange] = (),
    new_items: Iterable[KefuItem] = (),
    lookups: Iterable[KefuItem] = (),
    replacing: str | None = None,
    turn: Turn | None = None,
    previous: Ticket | None = None,
) -> Ticket:
    """Write the ticket and its new timeline entries in one transaction; returns the ticket at its new version.

    With it: `new_items`, each only if its key is new (AlreadyExists); `lookups` pointing at the ticket, each only
    if its key is new or, for a follow-up of `replacing`, still points at that one: a thread never becomes two
    tickets at once (LookupTaken); a round-robin group's `turn` (TurnTaken); and the agents' load changes, a raise
    only under the agent's capacity (AgentAtCapacity; AgentUnavailable when the agent or a membership is gone).
    The ticket's `version` is the one it was read at: if the stored ticket moved on since, VersionConflict.
    `previous` is the ticket as read (None for a new one): its view item (kefu.store.views: the owner, escalated
    and at-risk lists) is written with it when the ticket moves in or out of those lists, and only then.
    """
    item = _item(ticket, is_new=is_new)
    transaction = _Refusals()
    transaction.add(item, None, VersionConflict(ticket.id))  # pynamodb adds the version condition
    for head, *packed in _packed(entries):
        entry_item = _entry_item(head, packed)
        if is_new and head.kind is EntryKind.MESSAGE and head.data.get("event") == "created":
            entry_item.channel = ticket.channel.value  # for the outbound stream filter (kefu.store.mail)
        transaction.add(entry_item, TimelineItem.pk.does_not_exist(), VersionConflict(ticket.id))
    for new in new_items:
        transaction.add(new, KefuItem.pk.does_not_exist(), AlreadyExists(f"{new.pk}/{new.sk}"))
    for lookup in lookups:
        transaction.add(lookup, lookup_condition(replacing), LookupTaken(f"{lookup.pk}/{lookup.sk}"))
    if turn is not None:
        transaction.add(turn.item(), turn.condition(), TurnTaken(turn.group_id))
    for change in load_changes:
        transaction.load(change)
    # The view item as read: the ticket's own item carried its at-risk key unless it was stored before it could;
    # as written now: `item`'s gsi3 tells (the ticket written may be a copy of the one read, mark and all).
    carried = previous is not None and previous._stored_as != _AT_RISK_ON_VIEW and _at_risk_on_item(previous)
    view = views.view_change(previous, ticket, at_risk_on_ticket=(carried, item.gsi3pk == views.AT_RISK))
    if view is not None:
        transaction.view(*view)
    # The versions of SLA terms the process's clocks name and has not written yet (content-addressed: a put of the
    # same content, so no condition): a ticket never names terms the table does not hold.
    kept = sla_terms.unwritten()
    for terms in kept:
        transaction.add(terms, None, VersionConflict(ticket.id))
    transaction.write()
    sla_terms.written(kept)
    saved = ticket.model_copy(update={"version": item.version})
    saved._stored_as = None  # stored as written now, whatever it was read as
    return saved


class _Refusals:
    """A ticket's transaction, built item by item with the failure each item's refused condition means."""

    def __init__(self) -> None:
        #: Each item as (pynamodb's method for it, the item, its condition or update, what its refusal means).
        self._writes: list[tuple[str, KefuItem, Any, WriteRefused]] = []

    def add(self, item: KefuItem, condition: Condition | None, refused: WriteRefused) -> None:
        self._writes.append(("save", item, condition, refused))

    def view(self, verb: str, item: KefuItem) -> None:
        # The ticket's own condition guards it: no condition of its own, so it never refuses the transaction.
        self._writes.append((verb, item, None, VersionConflict(item.pk)))

    def load(self, change: LoadChange) -> None:
        condition = AgentItem.pk.exists()
        refused: WriteRefused = AgentUnavailable(change.agent_id)
        if change.guard and change.delta > 0:
            condition &= AgentItem.load < AgentItem.capacity
            refused = AgentAtCapacity(change.agent_id)
        agent = AgentItem(f"AGENT#{change.agent_id}", "AGENT")
        self._writes.append(("update", agent, ([AgentItem.load.add(change.delta)], condition), refused))
        for group_id in change.group_ids:
            member = MemberItem(f"GROUP#{group_id}", f"MEMBER#{change.agent_id}")
            actions = [MemberItem.load.add(change.delta)]
            left = AgentUnavailable(change.agent_id, f"left group {group_id}")
            self._writes.append(("update", member, (actions, MemberItem.pk.exists()), left))

    def write(self) -> None:
        try:
            with TransactWrite(connection=connection()) as transaction:
                for verb, item, how, _ in self._writes:
                    if verb == "save":
                        transaction.save(item, condition=how)
                    elif verb == "delete":
                        transaction.delete(item)
                    else:
                        transaction.update(item, actions=how[0], condition=how[1])
        except TransactWriteError as err:
            codes = cancellation_codes(err)
            # The refusals in the order of the request's items, which the cancellation reasons answer.
            refusals = in_request_order([(verb, refused) for verb, _, _, refused in self._writes])
            for refused, code in zip(refusals, codes, strict=False):
                if code == CONDITION_FAILED:
                    raise refused from err
            if TRANSACTION_CONFLICT in codes:
                raise TransactionCollided(str(err)) from err
            raise


def lookup_condition(replacing: str | None = None) -> Condition:
    """A lookup pointing at a new ticket is written only if its key is new, or, when the new ticket follows up
    `replacing`, if it still points at that one."""
    condition = KefuItem.pk.does_not_exist()
    if replacing is not None:
        condition |= Path("ticketId") == replacing
    return condition


def timeline_entry_id(version: int, index: int) -> str:
    return f"{version:010d}-{index:02d}"


def timeline(ticket_id: str, *, public_only: bool, limit: int, cursor: str | None) -> Page[TimelineEntry]:
    """A page of the ticket's entries in order. Its cursor names the last entry given, which may be packed in an
    item behind others of its change (`_packs`): the next page's Query starts before that change's items (`TL#`,
    the version, `-`: below its first entry's key) and leaves out the entries given already."""
    pk = ticket_key(ticket_id)
    after = cursors.decode(cursor, key_names={"pk", "sk"}, partition=("pk", pk), sort=("sk", TIMELINE_PREFIX))
    given = after["sk"]["S"].removeprefix(TIMELINE_PREFIX) if after else ""
    version, dash, _ = given.partition("-")
    if after and not (version and dash):
        raise BadCursor("the cursor is not one kefu issued")
    start = {"pk": after["pk"], "sk": {"S": f"{TIMELINE_PREFIX}{version}-"}} if after else None
    # No limit on the Query: its pages (a page's size, and one item more) are read until the page is full and one
    # entry more is seen, or the timeline ends; its first items may be those of the change the last page ended in.
    entries_read = _entries_read(pk, public_only=public_only, page_size=limit + 1, last_evaluated_key=start)
    unseen = (entry for entry in entries_read if entry.id > given)
    entries = list(islice(unseen, limit + 1))  # one more than the page: is there a next one?
    more = len(entries) > limit
    del entries[limit:]
    last = {"pk": {"S": pk}, "sk": {"S": f"{TIMELINE_PREFIX}{entries[-1].id}"}} if more else None
    return Page[TimelineEntry](items=entries, nextCursor=cursors.encode(last))


def whole_timeline(ticket_id: str, *, public_only: bool) -> Iterator[TimelineEntry]:
    """Every entry of the ticket's timeline, in order: for what reads a ticket whole (its KPI facts, its QA checks,
    its rating's survey, a customer's export) rather than a page of it. One Query read through its pages, as
    `timeline` reads them, with no cursor to hand back."""
    return _entries_read(ticket_key(ticket_id), public_only=public_only)


def _entries_read(pk: str, *, public_only: bool, **paging: Any) -> Iterator[TimelineEntry]:
    """The entries of the timeline items a Query of the ticket's partition reads (`paging`: its page size and
    start), packed ones unpacked. A packed entry is as visible as its item's first or less (`_packs`): the filter
    passes the items with a public first entry, and their internal packed entries are left out here."""
    condition = TimelineItem.visibility == "public" if public_only else None
    items = TimelineItem.query(
        pk, TimelineItem.sk.startswith(TIMELINE_PREFIX), filter_condition=condition, consistent_read=True, **paging
    )
    for item in items:
        for entry in _entries(item):
            if entry.visibility is Visibility.PUBLIC or not public_only:
                yield entry


def _query_index(
    index,
    partition_name: str,
    partition: str,
    *,
    newest_first: bool,
    limit: int,
    cursor: str | None,
    status: Status | None = None,
):
    key_names = {"pk", "sk", partition_name, partition_name[:-2] + "sk"}
    start = cursors.decode(cursor, key_names=key_names, partition=(partition_name, partition))
    if status is not None:
        # The index holds no status (a ticket's status change would rewrite it): narrowed after the read by key.
        found = index.query(partition, scan_index_forward=not newest_first, page_size=limit, last_evaluated_key=start)
        kept, last = read_matching(found, lambda item: item.status == status.value, limit=limit, key_names=key_names)
        return Page[Ticket](items=[ticket_of(item) for item in kept], nextCursor=cursors.encode(last))
    result = index.query(
        partition,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    items = [ticket_of(item) for item in read_in_full(result)]
    return Page[Ticket](items=items, nextCursor=cursors.encode(result.last_evaluated_key))


def by_customer(customer_id: str, *, status: Status | None, limit: int, cursor: str | None) -> Page[Ticket]:
    """A customer's tickets, newest first; a status narrows the page after the read (pages may come out short)."""
    partition = f"CUST#{customer_id}"
    return _query_index(
        TicketItem.by_customer,
        "gsi1pk",
        partition,
        newest_first=True,
        limit=limit,
        cursor=cursor,
        status=status,
    )


def count_since(customer_id: str, since: datetime) -> int:
    """How many tickets the customer opened since a moment (repeat contact): one Query that returns a count.

    Asked of the client itself: a customer's gsi1 partition (`CUST#<id>`) holds tickets only, so the `kind` filter
    pynamodb's count adds, and the expressions it builds for it at each call, are work for nothing on every opening
    that knows its customer."""
    request: dict[str, Any] = {
        "TableName": KefuItem.Meta.table_name,
        "IndexName": TicketItem.by_customer.Meta.index_name,
        "KeyConditionExpression": "gsi1pk = :customer AND gsi1sk > :since",
        "ExpressionAttributeValues": {":customer": {"S": f"CUST#{customer_id}"}, ":since": {"S": iso(since)}},
        "Select": "COUNT",
    }
    count = 0
    while True:
        page = connection().client.query(**request)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            return count
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def group_queue(group_id: str, status: Status, *, limit: int, cursor: str | None) -> Page[Ticket]:
    partition = f"QUEUE#{group_id}#{status.value}"
    return _query_index(TicketItem.by_queue, "gsi2pk", partition, newest_first=False, limit=limit, cursor=cursor)


def assigned_to(agent_id: str, status: Status, *, limit: int, cursor: str | None) -> Page[Ticket]:
    partition = f"ASSIGNEE#{agent_id}#{status.value}"
    return _query_index(TicketItem.by_assignee, "gsi3pk", partition, newest_first=False, limit=limit, cursor=cursor)


def awaiting_owner(agent_id: str, *, limit: int) -> list[Ticket]:
    """Unassigned tickets waiting for this agent as their owner, in any group, most urgent and oldest first."""
    partition = f"AWAITING#{agent_id}"
    return _query_index(TicketItem.by_assignee, "gsi3pk", partition, newest_first=False, limit=limit, cursor=None).items


def waiting_in(group_id: str, *, limit: int) -> list[Ticket]:
    """A group's unassigned active tickets (new, reopened, transferred in), most urgent and oldest first."""
    partition = f"WAITING#{group_id}"
    # gsi5 is shared by key prefix: RESOLVED#<day> for resolved tickets, WAITING#<group> for unassigned ones.
    index = TicketItem.by_resolution_day
    return _query_index(index, "gsi5pk", partition, newest_first=False, limit=limit, cursor=None).items


def by_status(status: Status, *, limit: int, cursor: str | None) -> Page[Ticket]:
    partition = f"STATUS#{status.value}"
    return _query_index(TicketItem.by_status, "gsi4pk", partition, newest_first=True, limit=limit, cursor=cursor)


def owned_by(owner_id: str, status: Status, *, limit: int, cursor: str | None) -> Page[Ticket]:
    """An owner's tickets by status, newest first, whoever holds them (pattern 12, kefu.store.views)."""
    return _by_ids(views.owned_by(owner_id, status, limit=limit, cursor=cursor))


def escalated(*, limit: int, cursor: str | None) -> Page[Ticket]:
    """Active escalated tickets across groups, highest level first (pattern 13, kefu.store.views)."""
    return _by_ids(views.escalated(limit=limit, cursor=cursor))


def at_risk(before: datetime, *, limit: int, cursor: str | None) -> Page[Ticket]:
    """Active tickets with an unmet SLA target due before `before`, most urgent first (pattern 13)."""
    return _by_ids(views.at_risk(before, limit=limit, cursor=cursor, ticket_sk=TICKET_SK))


def _by_ids(listed: views.Listed) -> Page[Ticket]:
    """A view's page as the tickets themselves, read by key in one BatchGetItem, in the view's order (a ticket
    erased between the two reads is left out)."""
    items: list[Ticket] = []
    if listed.ticket_ids:
        keys = [(ticket_key(ticket_id), TICKET_SK) for ticket_id in listed.ticket_ids]
        found = {item.ticket_id: item for item in TicketItem.batch_get(keys)}
        items = [ticket_of(found[i]) for i in listed.ticket_ids if i in found]
    return Page[Ticket](items=items, nextCursor=listed.next_cursor)


def from_stream_image(image: dict[str, Any]) -> Ticket:
    """A ticket as a DynamoDB stream record's NewImage or OldImage holds it (attribute values, as stored)."""
    return ticket_of(TicketItem.from_raw_data(image))


def ticket_changes_filter() -> dict[str, Any]:
    """A Lambda event filter pattern over the table's stream: tickets written (opened or changed), nothing else."""
    return {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}


# --- mapping between the domain's Ticket and the stored item -------------------------------------------


def _item(ticket: Ticket, *, is_new: bool) -> TicketItem:
    age_key = f"{iso(ticket.createdAt)}#{ticket.id}"
    queue_key = f"{ticket.priority.value}#{age_key}"
    sla = _sla_json(ticket.sla)
    category = ticket.category.value if ticket.category else None
    item = TicketItem(
        ticket_key(ticket.id),
        TICKET_SK,
        ticket_id=ticket.id,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status.value,
        category=category,
        priority=ticket.priority.value,
        channel=ticket.channel.value,
        customer_id=ticket.customerId,
        customer_tier=None if ticket.customerTier is Tier.STANDARD else ticket.customerTier.value,
        group_id=ticket.groupId,
        assignee_id=ticket.assigneeId,
        owner_id=ticket.ownerId,
        helper_ids=list(ticket.helperIds) or None,
        awaiting_owner=ticket.awaitingOwner or None,
        follow_up_of=ticket.followUpOf,
        escalation_level=ticket.escalationLevel or None,
        sentiment=ticket.sentiment,
        threat=ticket.threat or None,
        worsening_raised=ticket.worseningRaised or None,
        tags=list(ticket.tags) or None,
        attachments=[a.model_dump(mode="json", exclude_none=True) for a in ticket.attachments] or None,
        resolution=ticket.resolution.model_dump(mode="json", exclude_none=True) if ticket.resolution else None,
        sla=sla,
        sla_clock=_clock_as_stored(
            ticket.slaClock,
            _shared_with_clock(ticket.priority, ticket.customerTier, ticket.createdAt),
            _viewed_with_clock(sla, category),
        ),
        created_at=ticket.createdAt,
        updated_at=ticket.updatedAt,
        gsi1pk=f"CUST#{ticket.customerId}",
        gsi1sk=age_key,
        gsi2pk=f"QUEUE#{ticket.groupId}#{ticket.status.value}" if ticket.groupId else None,
        gsi2sk=queue_key if ticket.groupId else None,
        gsi4pk=f"STATUS#{ticket.status.value}",
        gsi4sk=age_key,
        **_agent_keys(ticket, queue_key),
        **_resolution_keys(ticket, queue_key),
    )
    if not is_new:
        item.version = ticket.version  # the version read: the write's condition, then incremented
    return item


def _shared_with_clock(priority: str, tier: str, created_at: datetime) -> dict[str, str]:
    """What a ticket's SLA clock says (kefu.sla.SlaClock.to_json: always there) that the ticket item holds anyway,
    as the clock's JSON writes it."""
    return {"priority": str(priority), "tier": str(tier), "startedAt": iso(created_at)}


#: In a stored clock's wrapper, beside `generation` and `clock`: the clock leaves out what its ticket's SLA view and
#: category say too (`_viewed_with_clock`). A clock stored without it (before issue 22) has all of those itself.
_VIEWED = "v"


def _viewed_with_clock(sla: dict[str, Any], category: str | None) -> dict[str, Any]:
    """What a clock may say (kefu.sla.SlaClock.to_json, each left out there when it has not happened) that the ticket
    item holds too, as stored: the view's policy and moments (kefu.tickets.sla.view stamps them with the clock's),
    and the category. None where the item has none."""
    return {
        "policy": sla.get("policy"),
        "firstResponseAt": sla.get("firstResponseAt"),
        "resolvedAt": sla.get("resolvedAt"),
        "category": category,
    }


def _clock_as_stored(
    ticket_clock: dict[str, Any] | None, shared: dict[str, str], viewed: dict[str, Any]
) -> dict[str, Any] | None:
    """The clock without what it shares with the ticket item (~70 bytes of a ticket item rewritten at every change):
    a field is left out only when equal to the ticket's, and `_clock_as_read` puts it back (the clock's JSON always
    has these fields, so one missing was left out here). What it shares with the SLA view and the category (~120
    bytes once resolved: what kept a resolved ticket over 1 KB, 2 units a copy) is left out the same way; as the clock
    leaves those out when they have not happened, one it has not while the item has is written as null, and the
    wrapper says the clock was stored so (`_VIEWED`)."""
    if not ticket_clock or "clock" not in ticket_clock:
        return ticket_clock
    given = ticket_clock["clock"]
    clock = {
        name: value
        for name, value in given.items()
        if not (name in shared and shared[name] == value) and not (name in viewed and viewed[name] == value)
    }
    clock.update({name: None for name, value in viewed.items() if value is not None and name not in given})
    return {**ticket_clock, "clock": clock, _VIEWED: 1}


def _clock_as_read(item: TicketItem) -> dict[str, Any] | None:
    stored = item.sla_clock
    if not stored or "clock" not in stored:
        return stored
    tier = item.customer_tier or Tier.STANDARD
    clock = {**_shared_with_clock(item.priority, tier, item.created_at), **stored["clock"]}
    if not stored.get(_VIEWED):
        return {**stored, "clock": clock}
    clock = {**_viewed_with_clock(item.sla or {}, item.category), **clock}
    wrapper = {name: value for name, value in stored.items() if name != _VIEWED}
    # A clock's JSON holds no nulls (kefu.sla.SlaClock.to_json): a null is what the clock has not, stored or viewed.
    return {**wrapper, "clock": {name: value for name, value in clock.items() if value is not None}}


def _sla_json(sla: Sla) -> dict[str, Any]:
    """The SLA view as stored: what is set, moments at the millisecond (as everywhere in the item)."""
    return {
        name: iso(value) if isinstance(value, datetime) else value
        for name, value in sla.model_dump(exclude_defaults=True).items()
    }


class _AgentKeys(TypedDict):
    gsi3pk: str | None
    gsi3sk: str | None


class _ResolutionKeys(TypedDict):
    gsi5pk: str | None
    gsi5sk: str | None


def _agent_keys(ticket: Ticket, queue_key: str) -> _AgentKeys:
    """An assigned ticket is found under its assignee and status (pattern 4); an unassigned active one awaiting its
    owner, under that owner (what they take first when they have room). Any other ticket leaves gsi3 free: there it
    is in the at-risk list while it has an unmet target (pattern 13), which its view item holds only while gsi3 is
    taken (kefu.store.views): the unassigned ticket, whose due moves with no other view key, has no view to write."""
    if ticket.assigneeId:
        return {"gsi3pk": f"ASSIGNEE#{ticket.assigneeId}#{ticket.status.value}", "gsi3sk": queue_key}
    if ticket.awaitingOwner and ticket.ownerId and ticket.status in ACTIVE:
        return {"gsi3pk": f"AWAITING#{ticket.ownerId}", "gsi3sk": queue_key}
    risk = views.at_risk_key(ticket)
    if risk is not None:
        return {"gsi3pk": views.AT_RISK, "gsi3sk": risk}
    return {"gsi3pk": None, "gsi3sk": None}


#: A ticket's `_stored_as` (kefu.model.tickets.Ticket) when its item was written before the ticket item carried its
#: own at-risk key: its view item carries it instead, though the ticket item's gsi3 is free. Its next write moves the
#: key to the ticket item and takes it off the view item, in the one transaction.
_AT_RISK_ON_VIEW = "at-risk key on the view item"


def _at_risk_on_item(ticket: Ticket) -> bool:
    """Whether the ticket's item, written now, carries the ticket's at-risk key."""
    return _agent_keys(ticket, "")["gsi3pk"] == views.AT_RISK


def _resolution_keys(ticket: Ticket, queue_key: str) -> _ResolutionKeys:
    """Resolved and closed tickets are found by the day they were resolved (campaign selection, pattern 7);
    unassigned active ones by their group, waiting to be taken (the index's other key prefix)."""
    if ticket.assigneeId is None and ticket.groupId and ticket.status in ACTIVE:
        return {"gsi5pk": f"WAITING#{ticket.groupId}", "gsi5sk": queue_key}
    resolved_at = ticket.sla.resolvedAt
    if resolved_at is None or ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return {"gsi5pk": None, "gsi5sk": None}
    stamp = iso(resolved_at)
    return {"gsi5pk": f"RESOLVED#{stamp[:10]}", "gsi5sk": f"{stamp}#{ticket.id}"}


def ticket_of(item: TicketItem) -> Ticket:
    """The domain's ticket of a stored ticket item (the other store modules that query tickets use it too)."""
    ticket = Ticket(
        id=item.ticket_id,
        subject=item.subject,
        description=item.description,
        status=item.status,
        category=item.category,
        priority=item.priority,
        channel=item.channel,
        customerId=item.customer_id,
        customerTier=item.customer_tier or Tier.STANDARD,
        groupId=item.group_id,
        assigneeId=item.assignee_id,
        ownerId=item.owner_id,
        helperIds=list(item.helper_ids or []),
        awaitingOwner=bool(item.awaiting_owner),
        followUpOf=item.follow_up_of,
        escalationLevel=int(item.escalation_level or 0),
        sentiment=item.sentiment,
        threat=bool(item.threat),
        worseningRaised=bool(item.worsening_raised),
        tags=list(item.tags or []),
        attachments=item.attachments or [],
        resolution=item.resolution,
        sla=item.sla or {},
        slaClock=_clock_as_read(item),
        createdAt=item.created_at,
        updatedAt=item.updated_at,
        version=item.version,
    )
    # Where its at-risk key lives is told by the stored gsi3 itself: written before the ticket item could carry it,
    # an item whose gsi3 would now say ATRISK says nothing, and its view item has the key (kefu.store.views). Only
    # a free gsi3 can be such an item (a taken one is the ticket's assignee or awaiting owner): the due is computed
    # for those alone, not for every ticket read.
    if item.gsi3pk is None and _at_risk_on_item(ticket):
        ticket._stored_as = _AT_RISK_ON_VIEW
    return ticket


#: Entry kinds a stream filter selects by the item's own `entryKind` (kefu.store.mail's replies and openings,
#: kefu.store.dispatch's status and survey entries): each is the first entry of its item, never packed behind another
#: (`_packs`), save a status change behind the public reply that made it, whose record the replies' filter passes.
_SELECTED_BY_STREAM_FILTERS = frozenset({EntryKind.MESSAGE, EntryKind.REPLY, EntryKind.STATUS, EntryKind.SURVEY})


def _packs(first: TimelineEntry, entry: TimelineEntry) -> bool:
    """Whether `entry`, written in the same change right after the entries of `first`'s item, is stored in that item.

    Entries written together are one item where they can be (issue 22): a write costs a unit per started KB of each
    item, doubled in the ticket's transaction, so a 700-byte routing entry written apart from the 300-byte opening
    message costs 2 units more than the two in one item, and the `new -> open` status entry of an agent's first
    reply 2 more than it packed with the reply. An entry stays apart when a stream consumer must see it on its own
    (`_SELECTED_BY_STREAM_FILTERS`), and when it is public behind an internal entry (a customer's timeline Query
    passes the items whose first entry is public)."""
    if first.visibility is Visibility.INTERNAL and entry.visibility is not Visibility.INTERNAL:
        return False
    if entry.kind is EntryKind.STATUS:
        # The outbound dispatcher publishes the status change from the reply's record (kefu.store.dispatch).
        return first.kind is EntryKind.REPLY and first.visibility is Visibility.PUBLIC
    return entry.kind not in _SELECTED_BY_STREAM_FILTERS


def _packed(entries: Iterable[TimelineEntry]) -> list[list[TimelineEntry]]:
    """A change's entries (in id order) as its items' entries: each item's first, then those packed behind it."""
    items: list[list[TimelineEntry]] = []
    for entry in entries:
        if items and _packs(items[-1][0], entry):
            items[-1].append(entry)
        else:
            items.append([entry])
    return items


def _entry_item(entry: TimelineEntry, packed: Iterable[TimelineEntry] = ()) -> TimelineItem:
    return TimelineItem(
        ticket_key(entry.ticketId),
        f"{TIMELINE_PREFIX}{entry.id}",
        ticket_id=entry.ticketId,
        entry_kind=entry.kind.value,
        visibility=entry.visibility.value,
        author_id=entry.authorId,
        author_role=entry.authorRole,
        body=entry.body,
        data=entry.data or None,
        attachments=[a.model_dump(mode="json", exclude_none=True) for a in entry.attachments] or None,
        created_at=entry.createdAt,
        packed=[_packed_json(p) for p in packed] or None,
    )


def _packed_json(entry: TimelineEntry) -> dict[str, Any]:
    """A packed entry as its item holds it: what it does not share with the item's first entry (its id follows
    that one's, its ticket, author and moment are that one's: one change's entries share them)."""
    stored: dict[str, Any] = {"kind": entry.kind.value, "visibility": entry.visibility.value}
    if entry.body is not None:
        stored["body"] = entry.body
    if entry.data:
        stored["data"] = entry.data
    if entry.attachments:
        stored["attachments"] = [a.model_dump(mode="json", exclude_none=True) for a in entry.attachments]
    return stored


def packed_entries(first: TimelineEntry, packed: Iterable[dict[str, Any]] | None) -> list[TimelineEntry]:
    """The entries an item holds: its first, then those packed behind it (`_packed_json`), each with its own id."""
    if not packed:
        return [first]
    version, index = (int(part) for part in first.id.split("-"))
    return [
        first,
        *(
            first.model_copy(
                update={
                    "id": timeline_entry_id(version, index + offset),
                    "kind": EntryKind(stored["kind"]),
                    "visibility": Visibility(stored["visibility"]),
                    "body": stored.get("body"),
                    "data": stored.get("data") or {},
                    "attachments": [Attachment.model_validate(a) for a in stored.get("attachments") or []],
                }
            )
            for offset, stored in enumerate(packed, start=1)
        ),
    ]


def _entries(item: TimelineItem) -> list[TimelineEntry]:
    first = TimelineEntry(
        id=item.sk.removeprefix(TIMELINE_PREFIX),
        ticketId=item.ticket_id,
        kind=item.entry_kind,
        visibility=item.visibility,
        authorId=item.author_id,
        authorRole=item.author_role,
        body=item.body,
        data=item.data or {},
        attachments=item.attachments or [],
        createdAt=item.created_at,
    )
    return packed_entries(first, item.packed)
