"""The KPI definitions pinned on a fixture month with hand-computed answers (pure: facts, counters, figures).

The desk is in Shanghai (UTC+8). Four tickets, all opened on the desk day 2 November 2026 (one of them at 23:30 UTC
on 1 November, which is 07:30 on the 2nd in Shanghai):

- T1, 2 Nov 09:00, phone, order: a call of 300 s; an agent answers 09:02; resolved 10:00; survey CSAT 5, NPS 10.
- T2, 2 Nov 10:00, web, complaint: auto-acknowledged 10:00:30 (not a person); an agent answers 10:10; 600 s
  worked; resolved 3 Nov 10:00 (within 48 h); reopened 5 Nov 09:00, resolved 11:00; survey CSAT 2, NPS 3 on 6 Nov.
- T3, 2 Nov 07:30, email, order: never answered; escalated to level 1 at 09:30.
- T4, 2 Nov 11:00, web, payment: nothing (T1's customer, another category: not a repeat contact).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kefu.kpis import counters
from kefu.kpis.facts import TicketFacts, facts_of
from kefu.kpis.figures import figures, summed
from kefu.kpis.service import slot_counters
from kefu.model.tickets import Resolution, Status, Ticket, TimelineEntry

ZONE = ZoneInfo("Asia/Shanghai")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(tid: str, created: str, customer: str, channel: str, category: str, status: str, **extra) -> Ticket:
    return Ticket(
        id=tid,
        subject="s",
        description="d",
        status=status,
        category=category,
        priority="P3",
        channel=channel,
        customerId=customer,
        groupId=extra.pop("group", "l1"),
        ownerId=extra.pop("owner", None),
        createdAt=utc(created),
        updatedAt=utc(created),
        version=1,
        **extra,
    )


def entry(kind: str, at: str, author: str = "agent-1", role: str = "agent", visibility="public", **data):
    return TimelineEntry(
        id=f"{at}-{kind}",
        ticketId="T",
        kind=kind,
        visibility=visibility,
        authorId=author,
        authorRole=role,
        data=data,
        createdAt=utc(at),
    )


def status(at: str, was: str, to: str):
    return entry("status", at, **{"from": was, "to": to})


T1 = ticket("T1", "2026-11-02T01:00:00", "c1", "phone", "order", "resolved", owner="agent-1")
T1_TIMELINE = [
    entry("message", "2026-11-02T01:00:00", "system:intake:phone", event="created", metadata={"handleSeconds": 300}),
    entry("routing", "2026-11-02T01:00:00", "system:intake:phone", "internal", group="l1"),
    entry("reply", "2026-11-02T01:02:00"),
    status("2026-11-02T02:00:00", "open", "resolved"),
    entry("survey", "2026-11-03T02:00:00", "c1", "customer", event="answered", csat=5, nps=10),
]
T2 = ticket("T2", "2026-11-02T02:00:00", "c2", "web", "complaint", "resolved", group="complaints", owner="agent-2")
T2_TIMELINE = [
    entry("message", "2026-11-02T02:00:00", "c2", "customer", event="created"),
    entry("routing", "2026-11-02T02:00:00", "c2", "customer", "internal", group="complaints"),
    entry("reply", "2026-11-02T02:00:30", "system:email", "agent", automatic=True),
    entry("reply", "2026-11-02T02:10:00", "agent-2"),
    entry("work", "2026-11-02T02:20:00", "agent-2", visibility="internal", seconds=600),
    status("2026-11-03T02:00:00", "open", "resolved"),
    entry("message", "2026-11-05T01:00:00", "c2", "customer"),
    status("2026-11-05T01:00:00", "resolved", "open"),
    status("2026-11-05T03:00:00", "open", "resolved"),
    entry("survey", "2026-11-06T02:00:00", "c2", "customer", event="answered", csat=2, nps=3),
]
T3 = ticket("T3", "2026-11-01T23:30:00", "c3", "email", "order", "open")
T3_TIMELINE = [
    entry("routing", "2026-11-01T23:30:00", "system:email", "agent", "internal", group="l1"),
    entry("escalation", "2026-11-02T01:30:00", "system:escalation", "agent", "internal", action="raise_level", level=1),
]
T4 = ticket("T4", "2026-11-02T03:00:00", "c1", "web", "payment", "new")
T4_TIMELINE = [entry("routing", "2026-11-02T03:00:00", "c1", "customer", "internal", group="l1")]

MONTH = [(T1, T1_TIMELINE), (T2, T2_TIMELINE), (T3, T3_TIMELINE), (T4, T4_TIMELINE)]


def month_facts() -> list[TicketFacts]:
    everyone = [t for t, _ in MONTH]
    return [facts_of(t, entries, [u for u in everyone if u.customerId == t.customerId]) for t, entries in MONTH]


def aggregates() -> dict[tuple[str, str], dict[str, int]]:
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for facts in month_facts():
        for key, values in slot_counters(facts, ZONE).items():
            totals[key] = summed([totals[key], values])
    return totals


def report(first: date, last: date, sort_key: str = "all") -> tuple[dict, dict[date, dict]]:
    """Totals and day rows, as kefu.kpis.reports reads them, from the in-memory aggregates."""
    slots = aggregates()
    backlog_changes = {date.fromisoformat(sk): v for (pk, sk), v in slots.items() if pk.startswith("KPIBACKLOG#")}
    running: dict[str, int] = {}
    rows: dict[date, dict] = {}
    day = date(2026, 11, 1)
    while day <= last:
        running = summed([running, backlog_changes.get(day, {})])
        if day >= first:
            rows[day] = figures(slots.get((f"KPI#{day}", sort_key), {}), running if sort_key == "all" else None)
        day += timedelta(days=1)
    counted = [slots.get((f"KPI#{d}", sort_key), {}) for d in rows]
    return figures(summed(counted), running if sort_key == "all" else None), rows


def test_the_month_totals_are_the_hand_computed_figures():
    totals, _ = report(date(2026, 11, 1), date(2026, 11, 10))

    assert (totals["created"], totals["resolved"]) == (4, 2)
    assert totals["firstResponse"] == {
        "count": 2,
        "meanSeconds": 360.0,  # T1 120 s, T2 600 s (its automatic acknowledgement does not count)
        "p50Seconds": 120,
        "p90Seconds": 600,
        "withinTargetRate": 0.0,  # no SLA clock on these tickets: nothing met a target
        "businessMeanSeconds": 360.0,
    }
    assert totals["resolution"]["count"] == 2
    assert totals["resolution"]["meanSeconds"] == (3600 + 262_800) / 2  # T2: creation to its last resolution
    assert (totals["resolution"]["p50Seconds"], totals["resolution"]["p90Seconds"]) == (3600, 262_800)
    assert totals["handleTime"] == {"count": 2, "meanSeconds": 450.0}  # T1's call 300 s, T2's work 600 s
    assert (totals["fcrRate"], totals["reopenRate"]) == (0.5, 0.5)  # T1 first contact; T2 reopened
    assert totals["escalations"] == {"count": 1, "byLevel": {"1": 1}}
    # T2 is resolved, not closed: its loop has not ended (and its last resolution came after 48 h anyway).
    assert totals["complaints"] == {"count": 1, "share": 0.25, "closedWithin48hRate": 0.0}
    assert totals["csat"] == {"responses": 2, "mean": 3.5, "satisfiedRate": 0.5}
    assert totals["nps"] == {"responses": 2, "score": 0.0}  # one promoter, one detractor
    assert totals["slaBreachRate"] == {"firstResponse": 0.0, "resolution": 0.0}
    assert totals["backlog"] == 2 and totals["backlogByAge"] == {"0d": 0, "1-2d": 0, "3-6d": 0, "7d+": 2}


def test_days_are_the_desks_days_and_a_reopen_moves_the_resolution_to_its_last_day():
    _, rows = report(date(2026, 11, 1), date(2026, 11, 6))

    assert [rows[date(2026, 11, d)]["created"] for d in range(1, 7)] == [0, 4, 0, 0, 0, 0]  # T3: 07:30 on the 2nd
    assert [rows[date(2026, 11, d)]["resolved"] for d in range(1, 7)] == [0, 1, 0, 0, 1, 0]
    assert [rows[date(2026, 11, d)]["backlog"] for d in range(1, 7)] == [0, 3, 2, 2, 2, 2]
    assert rows[date(2026, 11, 2)]["backlogByAge"] == {"0d": 3, "1-2d": 0, "3-6d": 0, "7d+": 0}
    assert rows[date(2026, 11, 5)]["backlogByAge"] == {"0d": 0, "1-2d": 0, "3-6d": 2, "7d+": 0}
    assert rows[date(2026, 11, 2)]["complaints"]["closedWithin48hRate"] == 0.0
    assert rows[date(2026, 11, 5)]["reopenRate"] == 1.0


def test_hours_are_the_desks_clock_at_the_moment_counted():
    slots = aggregates()
    hours = {sk for (_, sk) in slots if sk.startswith("hour#")}
    by_hour = {sk: summed(v for (_, key), v in slots.items() if key == sk) for sk in hours}
    assert {sk: v["created"] for sk, v in by_hour.items() if v.get("created")} == {
        "hour#07": 1,
        "hour#09": 1,
        "hour#10": 1,
        "hour#11": 1,
    }
    assert by_hour["hour#10"]["resolved"] == 1  # T1 at 10:00 on the 2nd
    assert by_hour["hour#11"]["resolved"] == 1  # T2 at 11:00 on the 5th
    assert by_hour["hour#10"]["csatN"] == 2  # both answers came at 10:00


def test_a_repeat_contact_in_the_same_category_within_seven_days_ends_first_contact_resolution():
    repeat = ticket("T5", "2026-11-08T01:00:00", "c1", "app", "order", "new")
    facts = facts_of(T1, T1_TIMELINE, [T1, repeat])
    later = ticket("T6", "2026-11-09T03:00:00", "c1", "app", "order", "new")  # 7 days and 1 hour after
    assert facts.fcr is False
    assert facts_of(T1, T1_TIMELINE, [T1, later]).fcr is True


def test_a_transfer_away_from_the_first_group_is_not_first_contact_resolution():
    moved = T1.model_copy(update={"groupId": "l2"})
    assert facts_of(moved, T1_TIMELINE, [moved]).fcr is False


def test_a_complaint_counts_as_closed_within_48h_only_once_it_is_closed_on_a_resolution_within_48h():
    resolved_in_time = T2_TIMELINE[:6]  # resolved 3 Nov 10:00, 24 h after it was opened; never reopened
    assert facts_of(T2, resolved_in_time, [T2]).complaint_closed_within_48h is False  # resolved, not closed yet
    closed = T2.model_copy(update={"status": Status.CLOSED})
    closed_timeline = [*resolved_in_time, status("2026-11-10T02:00:00", "resolved", "closed")]
    assert facts_of(closed, closed_timeline, [closed]).complaint_closed_within_48h is True
    # Closed on a resolution that came after 48 h (the reopen's): not within the loop.
    late = [*T2_TIMELINE[:9], status("2026-11-12T03:00:00", "resolved", "closed")]
    assert facts_of(closed, late, [closed]).complaint_closed_within_48h is False


def test_counters_move_by_the_difference_and_the_same_facts_move_nothing():
    before = slot_counters(month_facts()[1], ZONE)
    assert counters.difference(before, before) == {}
    reopened = facts_of(T2, T2_TIMELINE[:-3], [T2])  # as it stood before the reopen
    moved = counters.difference(before, slot_counters(reopened, ZONE))
    assert moved[("KPI#2026-11-05", "all")]["resolved"] == -1
    assert moved[("KPI#2026-11-03", "all")]["resolved"] == 1


def test_percentiles_are_exact_over_quantized_durations():
    assert [counters.quantize(s) for s in (599, 600, 659, 86_399, 86_400, 90_000)] == [
        599,
        600,
        600,
        86_340,
        86_400,
        90_000,
    ]


def test_a_ticket_resolved_as_self_service_is_a_deflection_of_its_resolution_day_until_it_is_reopened():
    # T4 (payment, 2 Nov 11:00 Shanghai), resolved by its customer 3 Nov 01:00 UTC (09:00 in Shanghai) as self-service
    resolved = T4.model_copy(
        update={"status": Status.RESOLVED, "resolution": Resolution(kind="self-service", note="the article answered")}
    )
    timeline = [status("2026-11-03T01:00:00", "new", "resolved")]
    slots = slot_counters(facts_of(resolved, timeline, [resolved]), ZONE)
    assert slots[("KPI#2026-11-03", "all")]["deflT"] == 1
    assert slots[("KPI#2026-11-03", "category#payment")]["deflT"] == 1  # by category: the ticket's
    assert figures(slots[("KPI#2026-11-03", "all")])["deflections"] == {
        "count": 1,
        "ticketsResolved": 1,
        "withoutTicket": 0,
    }
    reopened = resolved.model_copy(update={"status": Status.OPEN})
    later = [*timeline, status("2026-11-04T01:00:00", "resolved", "open")]
    assert all("deflT" not in v for v in slot_counters(facts_of(reopened, later, [reopened]), ZONE).values())
    by_agent = resolved.model_copy(update={"resolution": Resolution(kind="answer")})
    assert all("deflT" not in v for v in slot_counters(facts_of(by_agent, timeline, [by_agent]), ZONE).values())


def test_revisit_coverage_is_revisited_over_due_and_null_when_nobody_was_due():
    assert figures({"revDue": 8, "revDone": 6})["revisitCoverage"] == {"due": 8, "revisited": 6, "rate": 0.75}
    assert figures({})["revisitCoverage"] == {"due": 0, "revisited": 0, "rate": None}
    assert figures({"deflF": 2, "deflT": 1})["deflections"] == {"count": 3, "ticketsResolved": 1, "withoutTicket": 2}


def test_a_days_weekday_row_is_its_total_without_escalations_and_tallies_as_its_channel_rows_add_up():
    slots = aggregates()
    days = {pk for pk, _ in slots if pk.startswith("KPI#")}
    assert not any(sk.startswith("weekday#") for _, sk in slots), "not stored"
    escalated = False
    for pk in days:
        total = summed([slots[(pk, "all")], {"deflF": 1, "revDue": 2, "revDone": 1}])  # a day's tallies too
        escalated = escalated or "esc" in total
        by_channel = summed(values for (day, sk), values in slots.items() if day == pk and sk.startswith("channel#"))
        assert counters.weekday_row(total) == by_channel, pk
    assert escalated, "an escalation's day is among them"
