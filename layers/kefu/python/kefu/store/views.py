"""The ticket lists that cut across groups and assignees (access patterns 12 and 13): by owner, escalated, at risk.

Each ticket that belongs in one of these lists has one small *view item* beside it, `pk=TICKET#<id>, sk=VIEWS`,
whose keys overload three of the table's existing GSIs with key prefixes of their own (sparse: a key is set only
while the ticket is in that list, and the item is deleted when it is in none):

  12 tickets by owner, by status:   gsi1 gsi1pk=OWNER#<owner>#<status>, gsi1sk=<createdAt>#<id> (newest first)
  13 escalated tickets:             gsi2 gsi2pk=ESCALATED, gsi2sk=<level, 3 digits>#<createdAt>#<id>
                                    (active tickets with escalationLevel > 0; highest level, then newest, first)
  13 at-risk tickets:               gsi3 gsi3pk=ATRISK, gsi3sk=<next unmet due>#<id> (active tickets whose clock
                                    runs: first response or resolution still to come; most urgent first, a
                                    `Query gsi3sk <= now + margin` is the list); on the view item only while the
                                    ticket item's own gsi3 is taken (assignee or awaiting owner): an unassigned
                                    ticket's item carries this key itself (kefu.store.tickets), so a ticket opened
                                    unassigned, the usual case, has no view item to write until it is taken

Why an item of its own on existing indexes rather than a sixth GSI with these keys on the ticket item: the ticket
item's five GSI key pairs are all taken (customer, queue, assignee or awaiting owner, status, waiting or resolved
day), and a GSI projecting the ticket would be written on *every* ticket write (each reply, note, SLA tick). The
view item is written only when one of its keys changes (an owner taken, a status moved, an escalation, a new due
time), in the ticket's own transaction, so a list never disagrees with the ticket; it carries its keys and nothing
else. A list reads the view keys from the index (any projection serves: only keys are read) and then the tickets
themselves by key (one BatchGetItem a page), which also shows each ticket as it is now.

`ESCALATED` and `ATRISK` are one partition each: the desk's active escalated or running tickets, written at the
rate tickets change state (well under a partition's 1,000 writes a second). Sharding them would make every list
one Query per shard.
"""

from datetime import datetime
from typing import NamedTuple, TypedDict

from pynamodb.attributes import UnicodeAttribute

from kefu.clock import iso
from kefu.errors import BadCursor
from kefu.model.tickets import ACTIVE, Status, Ticket
from kefu.store import cursor as cursors
from kefu.store.models import KefuItem

VIEWS_SK = "VIEWS"
ESCALATED = "ESCALATED"
AT_RISK = "ATRISK"


class TicketViewItem(KefuItem, discriminator="ticket_view"):
    """Where a ticket shows in the owner, escalated and at-risk lists (the keys above); nothing else."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")


class ViewKeys(TypedDict):
    gsi1pk: str | None
    gsi1sk: str | None
    gsi2pk: str | None
    gsi2sk: str | None
    gsi3pk: str | None
    gsi3sk: str | None


def next_due(ticket: Ticket) -> datetime | None:
    """The earliest unmet SLA due time of an active ticket whose clock runs (None while it waits on the customer,
    once both targets are met, or for a resolved or closed ticket)."""
    if ticket.status not in ACTIVE:
        return None
    sla = ticket.sla
    dues = []
    if sla.firstResponseAt is None and sla.firstResponseDue is not None:
        dues.append(sla.firstResponseDue)
    if sla.resolvedAt is None and sla.resolutionDue is not None:
        dues.append(sla.resolutionDue)
    return min(dues, default=None)


def at_risk_key(ticket: Ticket) -> str | None:
    """The ticket's key in the at-risk list (gsi3sk under ATRISK), None while it is in none."""
    due = next_due(ticket)
    return None if due is None else f"{iso(due)}#{ticket.id}"


def keys_of(ticket: Ticket | None, *, at_risk_on_ticket: bool = False) -> ViewKeys:
    """The view item's keys for a ticket as it is (all None: it belongs in no list); without the at-risk key when
    the ticket item carries it (`at_risk_on_ticket`)."""
    keys: ViewKeys = {"gsi1pk": None, "gsi1sk": None, "gsi2pk": None, "gsi2sk": None, "gsi3pk": None, "gsi3sk": None}
    if ticket is None:
        return keys
    age = f"{iso(ticket.createdAt)}#{ticket.id}"
    if ticket.ownerId:
        keys["gsi1pk"], keys["gsi1sk"] = f"OWNER#{ticket.ownerId}#{ticket.status.value}", age
    if ticket.escalationLevel > 0 and ticket.status in ACTIVE:
        keys["gsi2pk"], keys["gsi2sk"] = ESCALATED, f"{min(ticket.escalationLevel, 999):03d}#{age}"
    risk = None if at_risk_on_ticket else at_risk_key(ticket)
    if risk is not None:
        keys["gsi3pk"], keys["gsi3sk"] = AT_RISK, risk
    return keys


def view_change(
    before: Ticket | None, after: Ticket, *, at_risk_on_ticket: tuple[bool, bool] = (False, False)
) -> tuple[str, TicketViewItem] | None:
    """What the ticket's transaction does to its view item: ("save", item) with the new keys, ("delete", item) when
    the ticket left every list, or None when its keys did not change (nothing is written). `at_risk_on_ticket`:
    whether the ticket item carried the at-risk key as read, and whether it does as written (then the view item
    does not: the key moves between the two items in the one transaction, never in both, never left behind)."""
    old = keys_of(before, at_risk_on_ticket=at_risk_on_ticket[0])
    new = keys_of(after, at_risk_on_ticket=at_risk_on_ticket[1])
    if old == new:
        return None
    item = TicketViewItem(f"TICKET#{after.id}", VIEWS_SK, ticket_id=after.id, **new)
    if not any(new.values()):
        return "delete", item
    return "save", item


# A named tuple, not a frozen dataclass (as kefu.store.tickets.LoadChange: ~2 M instructions less at import).
class Listed(NamedTuple):
    """A page of a view: the tickets' ids in list order (read by key afterwards) and the next page's cursor."""

    ticket_ids: list[str]
    next_cursor: str | None


def owned_by(owner_id: str, status: Status, *, limit: int, cursor: str | None) -> Listed:
    """An owner's tickets in a status, newest first (pattern 12), wherever they are and whoever holds them."""
    partition = f"OWNER#{owner_id}#{status.value}"
    return _listed(KefuItem.by_customer, "gsi1pk", partition, limit=limit, cursor=cursor)


def escalated(*, limit: int, cursor: str | None) -> Listed:
    """Active escalated tickets across groups (pattern 13): the highest escalation level first, then the newest."""
    return _listed(KefuItem.by_queue, "gsi2pk", ESCALATED, limit=limit, cursor=cursor)


def at_risk(before: datetime, *, limit: int, cursor: str | None, ticket_sk: str) -> Listed:
    """Active tickets with an unmet SLA target due before `before` (now plus the margin; overdue ones included),
    most urgent first (pattern 13): view items and ticket items (`ticket_sk`) alike, each ticket under one of them."""
    bound = f"{iso(before)}#~"  # every id sorts before "~": the whole instant is included
    index = KefuItem.by_assignee
    sks = (VIEWS_SK, ticket_sk)
    return _listed(index, "gsi3pk", AT_RISK, limit=limit, cursor=cursor, oldest_first=True, upper=bound, sks=sks)


def _listed(
    index,
    partition_name: str,
    partition: str,
    *,
    limit: int,
    cursor: str | None,
    oldest_first: bool = False,
    upper: str | None = None,
    sks: tuple[str, ...] = (VIEWS_SK,),
) -> Listed:
    sort_name = partition_name[:-2] + "sk"
    key_names = {"pk", "sk", partition_name, sort_name}
    start = cursors.decode(cursor, key_names=key_names, partition=(partition_name, partition))
    if start is not None and (start["sk"]["S"] not in sks or (upper and start[sort_name]["S"] > upper)):
        raise BadCursor("the cursor belongs to another listing")
    # The root model's index: no discriminator filter (these partitions hold view items, and ATRISK ticket items,
    # only; only their keys are read).
    sort_condition = getattr(KefuItem, sort_name) <= upper if upper else None
    result = index.query(
        partition,
        sort_condition,
        scan_index_forward=oldest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    # Only the keys are read: the index may project nothing else.
    ids = [item.pk.removeprefix("TICKET#") for item in result]
    return Listed(ids, cursors.encode(result.last_evaluated_key))
