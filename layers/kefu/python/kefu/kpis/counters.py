"""A ticket's facts as counters on the day x dimension aggregates, and the difference between two sets of them.

Every figure of the report is a sum of counters, so an aggregate moves by the difference between a ticket's old and
new facts (`difference`), and applying the same facts twice moves nothing. Each fact is counted on the desk day of
the instant it belongs to (its anchor), under the ticket's current dimensions:

| anchor            | counters                                                                                     |
|-------------------|----------------------------------------------------------------------------------------------|
| creation          | created, complaints, complaints closed within 48 h, first response (count, sums, within     |
|                   | target, histogram), first-response breaches                                                  |
| last resolution   | resolved, resolution (count, sums, within target, histogram), resolution breaches, reopened, |
|                   | first-contact resolutions, handle time (tickets, seconds), self-service deflections         |
| each escalation   | escalations, by level (totals and the group only: they belong to the group's queue)         |
| each survey answer| CSAT responses, sum, satisfied; NPS responses, promoters, detractors                         |

Dimension rows: `channel`, `category`, `priority`, `group`, `agent` (the owner, else the assignee) are the ticket's
own; `hour` and `weekday` are those of the anchor instant on the desk's clock. A desk day has one weekday, so its
weekday row is not stored but read from the day's total (`weekday_row`: the total without what only the totals hold),
which spares every change an aggregate written twice in its transaction (issue 22). The backlog is counted apart, as the
changes of the backlog by age bucket per day (`backlog_changes`): the count at the end of a day is their running sum.
Counts no ticket holds (the new-ticket form's deflections, revisit campaign runs) are tallies on the days' totals
only (kefu.kpis.tallies).

Percentiles are exact over durations quantized as `quantize` says (to the second under 10 minutes, to the minute
under a day, to the hour beyond), so a day's histogram stays small whatever its volume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from kefu.kpis.facts import TicketFacts

#: Dimensions a report can be broken down by, besides time.
DIMENSIONS = ("channel", "category", "priority", "group", "agent", "hour", "weekday")
#: Those with rows of their own on each day (`weekday` is the day's total: `weekday_row`).
STORED_DIMENSIONS = tuple(d for d in DIMENSIONS if d != "weekday")
#: Counters the days' totals hold and no dimension row but the group's: escalations (they belong to the group's
#: queue), and the tallies no ticket holds (kefu.kpis.tallies: form deflections, revisit runs).
TOTALS_ONLY = frozenset({"esc", "deflF", "revDue", "revDone"})
TOTAL = "all"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Backlog age buckets: the lowest age in desk days of each ("0": opened that day, "1": 1-2 days, ...).
AGE_BUCKETS = (0, 1, 3, 7)

#: (desk day, dimension, key): dimension `all` has the key "".
Slot = tuple[date, str, str]
Counters = dict[str, int]
SlotKey = TypeVar("SlotKey", bound=Hashable)


def quantize(seconds: int) -> int:
    if seconds < 600:
        return seconds
    if seconds < 86_400:
        return seconds - seconds % 60
    return seconds - seconds % 3600


def contributions(facts: TicketFacts | None, zone: ZoneInfo) -> dict[Slot, Counters]:
    """The counters the ticket adds to each slot (nothing for no facts: a ticket not yet seen)."""
    slots: dict[Slot, Counters] = defaultdict(lambda: defaultdict(int))
    if facts is None:
        return {}
    _add(slots, facts, facts.created_at, zone, _at_creation(facts))
    if facts.resolved_at is not None:
        _add(slots, facts, facts.resolved_at, zone, _at_resolution(facts))
    for at, level in facts.escalations:
        _add(slots, facts, at, zone, {"esc": 1, f"esc:L{level}": 1}, dimensions=("group",))
    for at, csat, nps in facts.surveys:
        answer = {"csatN": 1, "csatS": csat, "csatSat": int(csat >= 4)}
        if nps is not None:
            answer.update(npsN=1, npsP=int(nps >= 9), npsD=int(nps <= 6))
        _add(slots, facts, at, zone, answer)
    return {slot: {name: value for name, value in counters.items() if value} for slot, counters in slots.items()}


def _at_creation(facts: TicketFacts) -> Counters:
    counters: Counters = {"created": 1}
    if facts.complaint:
        counters.update(cmp=1, cmp48=int(facts.complaint_closed_within_48h))
    counters["frBreach"] = int(facts.first_response_breached)
    seconds = facts.first_response_seconds
    if seconds is not None:
        counters.update(_duration("frt", seconds, facts.first_response_business_seconds, facts.first_response_within))
    return counters


def _at_resolution(facts: TicketFacts) -> Counters:
    counters: Counters = {
        "resolved": 1,
        "resBreach": int(facts.resolution_breached),
        "reopened": int(facts.reopened),
        "fcr": int(facts.fcr),
        "deflT": int(facts.self_service),
    }
    seconds = facts.resolution_seconds
    if seconds is not None:
        counters.update(_duration("res", seconds, facts.resolution_business_seconds, facts.resolution_within))
    if facts.handle_seconds:
        counters.update(ahtN=1, ahtS=facts.handle_seconds)
    return counters


def _duration(prefix: str, seconds: int, business: int | None, within: bool | None) -> Counters:
    return {
        f"{prefix}N": 1,
        f"{prefix}S": seconds,
        f"{prefix}B": business if business is not None else seconds,
        f"{prefix}W": int(bool(within)),
        f"{prefix}H:{quantize(seconds)}": 1,
    }


def _add(
    slots: dict[Slot, Counters],
    facts: TicketFacts,
    at: datetime,
    zone: ZoneInfo,
    counters: Mapping[str, int],
    dimensions: Iterable[str] = STORED_DIMENSIONS,
) -> None:
    local = at.astimezone(zone)
    keys = {
        "channel": facts.channel,
        "category": facts.category,
        "priority": facts.priority,
        "group": facts.group,
        "agent": facts.agent,
        "hour": f"{local.hour:02d}",
        "weekday": WEEKDAYS[local.weekday()],
    }
    for slot in [(local.date(), TOTAL, ""), *((local.date(), d, keys[d]) for d in dimensions)]:
        for name, value in counters.items():
            slots[slot][name] += value


def weekday_row(total: Mapping[str, int]) -> Counters:
    """A day's row of its weekday (WEEKDAYS[day.weekday()]), from the day's total: every ticket counter the total
    holds is on it, but for the escalations (by level too) and the tallies."""
    return {name: value for name, value in total.items() if name not in TOTALS_ONLY and not name.startswith("esc:")}


def age_bucket(age_days: int) -> str:
    return f"b{max(b for b in AGE_BUCKETS if b <= age_days)}"


def backlog_changes(facts: TicketFacts | None, zone: ZoneInfo) -> dict[date, Counters]:
    """How the ticket changes the backlog by age bucket at the end of each desk day: +1 in a bucket on the day it
    enters it, -1 on the day it leaves it (resolved, or older). The running sum gives the backlog of any day."""
    if facts is None:
        return {}
    created = facts.created_at.astimezone(zone).date()
    candidates = {created, *(created + timedelta(days=b) for b in AGE_BUCKETS)}
    candidates.update(at.astimezone(zone).date() for at, _ in facts.openings)
    changes: dict[date, Counters] = defaultdict(lambda: defaultdict(int))
    before: str | None = None
    for day in sorted(d for d in candidates if d >= created):
        now = age_bucket((day - created).days) if facts.open_at_end_of(day, zone) else None
        if now != before:
            if before is not None:
                changes[day][before] -= 1
            if now is not None:
                changes[day][now] += 1
            before = now
    return {
        day: {k: v for k, v in counters.items() if v} for day, counters in changes.items() if any(counters.values())
    }


def difference(old: Mapping[SlotKey, Counters], new: Mapping[SlotKey, Counters]) -> dict[SlotKey, Counters]:
    """new - old, per slot and counter, without the zeros."""
    moved: dict[SlotKey, Counters] = {}
    for slot in {*old, *new}:
        before, after = old.get(slot, {}), new.get(slot, {})
        delta = {name: after.get(name, 0) - before.get(name, 0) for name in {*before, *after}}
        delta = {name: value for name, value in delta.items() if value}
        if delta:
            moved[slot] = delta
    return moved
