"""`GET /reports/kpis`: a period of desk days, broken down by time or by a dimension, read from the aggregates only
(never from the tickets): ceil(days / 100) BatchGetItem calls for the totals, one Query per day for a dimension's
rows (none for the weekdays': they are the days' totals), and for the backlog one Query plus one per month of the
period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from kefu.errors import BadRequest, Forbidden
from kefu.identity import Caller, Role
from kefu.kpis import service
from kefu.kpis.counters import DIMENSIONS, WEEKDAYS, weekday_row
from kefu.kpis.figures import figures, summed
from kefu.store import kpis as store

TIME_ROWS = ("day", "week", "month")
BREAKDOWNS = (*TIME_ROWS, *DIMENSIONS)
#: The longest period one report covers, in days.
MAX_DAYS = 400
#: The desk dates a report may name: a period's backlog and ISO weeks reach days beyond it, which must stay within
#: what `date` holds (9999-12-31 answered a 500 before this bound).
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)


def parse_period(start: str | None, end: str | None) -> tuple[date, date]:
    if not start or not end:
        raise BadRequest("a report needs both from and to (desk dates, YYYY-MM-DD)")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise BadRequest("from and to are desk dates written YYYY-MM-DD") from None
    if first < EARLIEST or last > LATEST:
        raise BadRequest(f"reports cover desk dates from {EARLIEST} to {LATEST}")
    if last < first:
        raise BadRequest(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRequest(f"a report covers at most {MAX_DAYS} days; this period has {(last - first).days + 1}")
    return first, last


def kpi_report(caller: Caller, start: str | None, end: str | None, by: str | None, agent: str | None = None) -> dict:
    """The report for the caller: supervisors and admins any breakdown; an agent only `by=agent`, their own row."""
    breakdown = by or "day"
    if breakdown not in BREAKDOWNS:
        raise BadRequest(f"by must be one of: {', '.join(BREAKDOWNS)}")
    first, last = parse_period(start, end)
    if caller.role is Role.AGENT:
        if breakdown != "agent":
            raise Forbidden("agents see their own figures only: by=agent")
        if agent not in (None, caller.sub):
            raise Forbidden("agents see their own figures only")
        return _agent_report(first, last, caller.sub)
    caller.require(Role.SUPERVISOR, Role.ADMIN)
    if agent is not None and breakdown == "agent":
        return _agent_report(first, last, agent)
    return _desk_report(first, last, breakdown)


def _period(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat(), "timeZone": service.desk_zone().key}


def _agent_report(first: date, last: date, agent_id: str) -> dict:
    days = service.desk_days(first, last)
    sort_key = store.slot_sort_key("agent", agent_id)
    found = store.day_items((day, sort_key) for day in days)
    fields = figures(summed(found.values()))
    return {"period": _period(first, last), "totals": fields, "rows": [{"key": agent_id, **fields}]}


def _desk_report(first: date, last: date, breakdown: str) -> dict:
    days = service.desk_days(first, last)
    totals_of_day = {day: values for (day, _), values in store.day_items((day, "all") for day in days).items()}
    backlog = service.backlog_at_ends(first, last)
    totals = figures(summed(totals_of_day.values()), backlog[last])
    if breakdown in TIME_ROWS:
        rows = _time_rows(days, breakdown, totals_of_day, backlog)
    elif breakdown == "weekday":
        rows = _weekday_rows(totals_of_day)
    else:
        by_key: dict[str, list[Mapping[str, int]]] = defaultdict(list)
        for day in days:
            for key, values in store.day_rows(day, breakdown).items():
                by_key[key].append(values)
        rows = [{"key": key, **figures(summed(by_key[key]))} for key in sorted(by_key)]
    return {"period": _period(first, last), "totals": totals, "rows": rows}


def _weekday_rows(totals_of_day: Mapping[date, Mapping[str, int]]) -> list[dict[str, Any]]:
    """A row per weekday, from the days' totals (kefu.kpis.counters.weekday_row: a day has one weekday)."""
    by_key: dict[str, list[Mapping[str, int]]] = defaultdict(list)
    for day, total in totals_of_day.items():
        by_key[WEEKDAYS[day.weekday()]].append(weekday_row(total))
    return [{"key": key, **figures(summed(by_key[key]))} for key in sorted(by_key)]


def row_key(day: date, breakdown: str) -> str:
    if breakdown == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if breakdown == "month":
        return day.isoformat()[:7]
    return day.isoformat()


def _time_rows(
    days: list[date],
    breakdown: str,
    totals_of_day: Mapping[date, Mapping[str, int]],
    backlog: Mapping[date, Mapping[str, int]],
) -> list[dict[str, Any]]:
    grouped: dict[str, list[date]] = defaultdict(list)
    for day in days:
        grouped[row_key(day, breakdown)].append(day)
    # A week or month row's backlog is the one at the end of its last day in the period.
    return [
        {"key": key, **figures(summed(totals_of_day.get(day, {}) for day in members), backlog[members[-1]])}
        for key, members in grouped.items()
    ]
