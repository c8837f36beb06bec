"""Keeping the KPI aggregates in step with the tickets, and reading reports from them.

`refresh(ticket_id)` is what the table's change feed calls for every ticket written, as many times and in whatever
order the records come: it computes the ticket's facts from the ticket as it is now (and its timeline, and the
customer's tickets for first-contact resolution), and moves the aggregates by the difference from the facts stored
last time, in one transaction conditioned on their revision. The same facts twice move nothing; a stale record
recomputes from the current ticket; two at once: one wins, the other computes again. A ticket changes the facts of
the customer's earlier tickets (a repeat contact ends their first-contact resolution), so those resolved within the
7 days before it was opened are refreshed too. Facts that move no counter are not written (the stored slots still
subtract what the ticket adds). `refresh_together` does the same for a batch of the change feed, its tickets' facts
sharing transactions and each aggregate moved once by their sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kefu.deployment import per_document
from kefu.kpis import counters
from kefu.model.tickets import Ticket
from kefu.store import kpis as store
from kefu.store import tickets as ticket_store

if TYPE_CHECKING:
    from kefu.kpis.facts import TicketFacts

# A ticket's facts (kefu.kpis.facts: its TicketFacts class alone is ~14 M instructions to define) are imported by the
# refreshes that compute them: the tallies (kefu.kpis.tallies), which the revisit function counts its runs with and
# which only need the desk's zone and the aggregates' store from here, do without them.

_ATTEMPTS = 8
_PAGE = 100


@per_document
def desk_zone(document: dict[str, Any]) -> ZoneInfo:
    """The desk's time zone: its days are the report's days (`kpis.time_zone` in the deployment; UTC without)."""
    return _zone((document.get("kpis") or {}).get("time_zone") or "UTC")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def refresh(ticket_id: str, *, zone: ZoneInfo | None = None) -> int:
    """Bring the aggregates in step with the ticket and the customer's earlier tickets it affects; how many facts
    changed (0: the record was a duplicate, or nothing that counts changed)."""
    zone = zone or desk_zone()
    changed, ticket, customer_tickets = _refresh_one(ticket_id, zone)
    for earlier in _affected_earlier(ticket, customer_tickets):
        changed += _refresh_one(earlier.id, zone)[0]
    return changed


def refresh_many(ticket_ids: list[str], *, zone: ZoneInfo | None = None) -> int:
    """Bring the aggregates in step with many tickets at once, for a writer nobody races: seeding the local stack
    (kefu_local.demo_month) after its writes and before the stream readers start. The same facts as `refresh`
    ticket by ticket, and so the same aggregates, for a fraction of the calls: stored facts read 100 a call, each
    customer's tickets read once, the facts written 25 a call and each aggregate moved once by the sum of its
    tickets' differences (no conditions: `refresh` is the path for everything else). How many facts changed."""
    zone = zone or desk_zone()
    computed = _compute(list(dict.fromkeys(ticket_ids)), zone)
    written = {
        ticket_id: (each.write.read, each.write.facts, each.write.slots)
        for ticket_id, each in computed.items()
        if each.write.facts != each.write.read.facts
    }
    moves: dict[tuple[str, str], dict[str, int]] = {}
    for ticket_id in written:
        for key, values in computed[ticket_id].moves.items():
            _add(moves.setdefault(key, {}), values)
    store.write_facts_in_bulk(written, moves)
    return len(written)


def refresh_together(ticket_ids: Iterable[str], *, zone: ZoneInfo | None = None) -> tuple[set[str], int]:
    """What `refresh` does for each ticket, for the tickets of one batch of the change feed at once: their stored
    facts read in one BatchGetItem, then each ticket computed from its data as it is now (each customer's tickets
    read once), and the facts of several tickets written in one transaction, each Put on its own revision, each
    aggregate they move written once by the sum of their moves (tickets of one desk day and group share the day's
    rows: five such tickets opened are 5 + 13 items instead of 5 x 14). A ticket whose facts moved on meanwhile is
    computed again, as in `refresh`. Then the customers' earlier tickets the batch's tickets affect, the same way.

    The tickets done (each with its earlier tickets) and how many facts changed. A ticket not done (its change does
    not fit one transaction, it kept losing races) is left to `refresh`, alone, where its failure is its own record's;
    so is every ticket of the batch when this raises (a ticket that cannot be read, a throttled call)."""
    zone = zone or desk_zone()
    wanted = list(dict.fromkeys(ticket_ids))
    done, changed, computed = _refresh_group(wanted, zone)
    earlier: dict[str, set[str]] = {}
    for ticket_id in done:
        earlier[ticket_id] = {t.id for t in _affected_earlier(computed[ticket_id].ticket, computed[ticket_id].customer)}
    others = list(dict.fromkeys(t for ids in earlier.values() for t in ids if t not in done))
    if others:
        others_done, others_changed, _ = _refresh_group(others, zone)
        changed += others_changed
        finished = done | others_done
        done = {t for t in done if earlier[t] <= finished}
    return {t for t in wanted if t in done}, changed


@dataclass(frozen=True)
class _Computed:
    ticket: Ticket
    #: The customer's tickets, as read for the facts.
    customer: list[Ticket]
    facts: TicketFacts
    write: store.FactsWrite
    moves: dict[tuple[str, str], dict[str, int]]


def _refresh_group(ticket_ids: list[str], zone: ZoneInfo) -> tuple[set[str], int, dict[str, _Computed]]:
    """Refresh `ticket_ids` together (`refresh_together`): those done, how many facts changed, what was computed."""
    done: set[str] = set()
    computed: dict[str, _Computed] = {}
    changed = 0
    todo = ticket_ids
    for _ in range(_ATTEMPTS):
        if not todo:
            break
        fresh = _compute(todo, zone)
        computed.update(fresh)
        lost: list[str] = []
        # Done: what moves nothing, and what a transaction wrote (a change too large for one is left to `refresh`).
        done.update(t for t, c in fresh.items() if not c.moves)
        for chunk in _transactions([c for c in fresh.values() if c.moves]):
            moves: dict[tuple[str, str], dict[str, int]] = {}
            for each in chunk:
                for key, values in each.moves.items():
                    _add(moves.setdefault(key, {}), values)
            try:
                # A move that nets to zero over the chunk (one ticket's in, another's out) needs no write.
                store.write_facts_together([c.write for c in chunk], counters.difference({}, moves))
            except store.FactsChanged:
                lost.extend(c.write.ticket_id for c in chunk)  # none of the chunk was written: all computed again
                continue
            for each in chunk:
                announce(each.write.read.facts, each.facts)
            done.update(c.write.ticket_id for c in chunk)
            changed += len(chunk)
        todo = lost
    return done, changed, computed


def _compute(ticket_ids: list[str], zone: ZoneInfo) -> dict[str, _Computed]:
    # The stored facts first, then the data: a write that happened in between fails the revision check.
    from kefu.kpis.facts import facts_json, facts_of

    stored = store.read_facts_of(ticket_ids)
    customers: dict[str, list[Ticket]] = {}
    computed: dict[str, _Computed] = {}
    for ticket_id in ticket_ids:
        ticket = ticket_store.get(ticket_id)
        if ticket.customerId not in customers:
            customers[ticket.customerId] = _customer_tickets(ticket.customerId)
        entries = list(ticket_store.whole_timeline(ticket_id, public_only=False))
        facts = facts_of(ticket, entries, customers[ticket.customerId])
        plain = facts_json(facts)
        slots = slot_counters(facts, zone) if plain != stored[ticket_id].facts else stored[ticket_id].slots
        moves = counters.difference(stored[ticket_id].slots, slots)
        write = store.FactsWrite(ticket_id, stored[ticket_id], plain, slots)
        computed[ticket_id] = _Computed(ticket, customers[ticket.customerId], facts, write, moves)
    return computed


def _transactions(changes: list[_Computed]) -> Iterator[list[_Computed]]:
    """The changes in groups that fit one transaction each (their facts and the aggregates they move together); a
    change too large alone is in none (left to `refresh`, which says why)."""
    chunk: list[_Computed] = []
    keys: set[tuple[str, str]] = set()
    for change in changes:
        if len(change.moves) + 1 > store.MAX_TRANSACTION_ITEMS:
            continue
        if len(chunk) + 1 + len(keys | change.moves.keys()) > store.MAX_TRANSACTION_ITEMS:
            yield chunk
            chunk, keys = [], set()
        chunk.append(change)
        keys |= change.moves.keys()
    if chunk:
        yield chunk


def _affected_earlier(ticket: Ticket, customer_tickets: list[Ticket]) -> list[Ticket]:
    """The customer's earlier tickets whose facts the ticket may change: resolved within the 7 days before it was
    opened (it may be their repeat contact)."""
    from kefu.kpis.facts import REPEAT_WINDOW

    window_start = ticket.createdAt - REPEAT_WINDOW
    return [
        earlier
        for earlier in customer_tickets
        if earlier.id != ticket.id
        and (resolved := earlier.sla.resolvedAt) is not None
        and window_start <= resolved < ticket.createdAt
    ]


def _refresh_one(ticket_id: str, zone: ZoneInfo) -> tuple[int, Ticket, list[Ticket]]:
    from kefu.kpis.facts import facts_json, facts_of

    for _ in range(_ATTEMPTS):
        # The stored facts first, then the data: a write that happened in between fails the revision check.
        stored = store.read_facts(ticket_id)
        ticket = ticket_store.get(ticket_id)
        customer_tickets = _customer_tickets(ticket.customerId)
        facts = facts_of(ticket, list(ticket_store.whole_timeline(ticket_id, public_only=False)), customer_tickets)
        plain = facts_json(facts)
        if plain == stored.facts:
            return 0, ticket, customer_tickets
        slots = slot_counters(facts, zone)
        moves = counters.difference(stored.slots, slots)
        if not moves:
            # Facts that move no counter (a customer's message, a change of subject) are not worth a transaction:
            # the stored slots still subtract exactly what the ticket adds.
            return 0, ticket, customer_tickets
        try:
            store.write_facts(ticket_id, stored, plain, slots, moves)
        except store.FactsChanged:
            continue
        announce(stored.facts, facts)
        return 1, ticket, customer_tickets
    raise store.FactsChanged(f"the facts of ticket {ticket_id} kept changing")


def announce(before: Mapping[str, Any] | None, facts: TicketFacts) -> None:
    """CloudWatch metrics for what is new in the facts (the dashboard's business row): only after the conditional
    write that stored them succeeded, so a duplicate record or a lost race announces nothing twice."""
    from kefu.observability import metrics

    before = before or {}
    if facts.first_response_at is not None and before.get("first_response_at") is None:
        metrics.add_metric(name="FirstResponseSeconds", unit="Seconds", value=facts.first_response_seconds or 0)
    for target in ("first_response", "resolution"):
        if getattr(facts, f"{target}_breached") and not before.get(f"{target}_breached"):
            metrics.add_metric(name="SlaBreaches", unit="Count", value=1)
    for _, _, nps in facts.surveys[len(before.get("surveys") or ()) :]:
        if nps is not None:
            metrics.add_metric(name="NpsResponses", unit="Count", value=1)
            metrics.add_metric(name="NpsPromoters", unit="Count", value=int(nps >= 9))
            metrics.add_metric(name="NpsDetractors", unit="Count", value=int(nps <= 6))


def slot_counters(facts: TicketFacts, zone: ZoneInfo) -> dict[tuple[str, str], dict[str, int]]:
    """Every counter the facts add, by the key of the aggregate item that holds it."""
    slots: dict[tuple[str, str], dict[str, int]] = {}
    for (day, dimension, key), values in counters.contributions(facts, zone).items():
        slots[(store.day_key(day), store.slot_sort_key(dimension, key))] = values
    for day, values in counters.backlog_changes(facts, zone).items():
        slots[store.backlog_day_key(day)] = values
        _add(slots.setdefault(store.backlog_month_key(day), {}), values)
    # A month whose changes cancel out (in and out of a bucket within it) holds nothing.
    return {key: kept for key, values in slots.items() if (kept := {n: v for n, v in values.items() if v})}


def _customer_tickets(customer_id: str) -> list[Ticket]:
    tickets: list[Ticket] = []
    cursor: str | None = None
    while True:
        page = ticket_store.by_customer(customer_id, status=None, limit=_PAGE, cursor=cursor)
        tickets.extend(page.items)
        if not page.nextCursor:
            return tickets
        cursor = page.nextCursor


def desk_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def backlog_at_ends(start: date, end: date) -> dict[date, dict[str, int]]:
    """The backlog by age bucket at the end of each day from `start` to `end`: the running sum of its changes
    (one Query for the months before, one per month of the period)."""
    first_month = start.isoformat()[:7]
    running: dict[str, int] = {}
    for month, values in store.backlog_by_month().items():
        if month < first_month:
            _add(running, values)
    months = sorted({day.isoformat()[:7] for day in desk_days(start.replace(day=1), end)})
    changes: dict[date, dict[str, int]] = {}
    for month in months:
        changes.update(store.backlog_of_month(month))
    ends: dict[date, dict[str, int]] = {}
    day = start.replace(day=1)
    while day <= end:
        _add(running, changes.get(day, {}))
        if day >= start:
            ends[day] = dict(running)
        day += timedelta(days=1)
    return ends


def _add(total: dict[str, int], values: Mapping[str, int]) -> None:
    for name, value in values.items():
        total[name] = total.get(name, 0) + value
