"""The KPI aggregates are exact: whatever the ticket histories, and however the change feed delivers its records
(twice, late, out of order, some only at the end), the report equals a brute-force count from the tickets themselves.

Histories are generated (hypothesis) and played through the API at a held clock spanning several desk days; the
feed's records are ticket ids delivered to `kpis.refresh` at generated moments, repeated and reordered. The brute
force reads every ticket and its timeline and counts the way the definitions say, without the aggregates."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kefu.tickets.service  # noqa: F401 (loads the ticket modules whose clocks are held below)
from kefu.kpis import service as kpis
from kefu.kpis.counters import quantize
from kefu.kpis.facts import facts_of
from kefu.store import tickets as ticket_store
from tests.conftest import AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Identity
from tests.integration.held_clock import TICKET_WRITERS, hold_clock

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ZONE = kpis._zone("Asia/Shanghai")
CUSTOMERS = (CUSTOMER, OTHER_CUSTOMER, Identity("cust-carol", email="carol@example.com"))
FIRST_DAY, LAST_DAY = date(2026, 11, 2), date(2026, 11, 16)

OPS = ("open", "reply", "pending", "customer_message", "resolve", "work", "transfer", "self_service", "deflect")
steps = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 5),  # which ticket (of those opened so far)
        st.integers(0, 2),  # which customer, for an opening
        st.sampled_from(["consultation", "complaint", "order"]),
        st.sampled_from([0, 1, 7, 45, 180, 900, 1500, 2900]),  # minutes that pass first
        st.lists(st.integers(0, 30), max_size=3),  # records delivered now (indexes into the pending ones)
    ),
    min_size=1,
    max_size=18,
)


class Held:
    now = T0


@pytest.fixture
def held(monkeypatch):
    import kefu.kpis.tallies  # noqa: F401 (its clock is held too: a deflection counts on the day it is said)

    clock = Held()
    hold_clock(monkeypatch, lambda: clock.now, within=(*TICKET_WRITERS, "kefu.kpis.tallies"))
    monkeypatch.setattr(kpis, "desk_zone", lambda: ZONE)
    return clock


@pytest.fixture
def article(desk, monkeypatch) -> str:
    """A published public article, which customers say answered them (on their ticket, or before opening one)."""
    import boto3

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    monkeypatch.setenv("KEFU_KB_BUCKET", "kefu-test-kb")
    body = {"title": "Where is my parcel", "body": "Tracking updates every few hours.", "language": "en",
            "category": "logistics", "visibility": "public"}  # fmt: skip
    written = desk("POST", "/kb/articles", who=EDITOR, body=body)
    assert desk("POST", f"/kb/articles/{written.json['id']}/publish", who=EDITOR, body={}).status == 200
    return written.json["id"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps, finale=st.randoms(use_true_random=False))
def test_reported_figures_equal_a_brute_force_count_from_the_tickets(desk, held, article, history, finale):
    held.now = T0
    opened: list[str] = []
    pending: list[str] = []  # the feed: a record per ticket write, not yet delivered
    for op, which, customer, category, minutes, deliveries in history:
        held.now += timedelta(minutes=minutes)
        if op == "deflect":  # a customer answered on the new-ticket form: no ticket, a deflection of the day
            reply = desk("POST", f"/kb/articles/{article}/deflections", who=CUSTOMERS[customer], body={})
            assert reply.status == 201, reply.text
            DEFLECTIONS.add((CUSTOMERS[customer].sub, local_day(held.now)))
            continue
        written = play(desk, op, opened, which, CUSTOMERS[customer], category, article)
        pending.extend(written)
        for index in deliveries:  # some records now, some twice, in any order
            if pending:
                kpis.refresh(pending[index % len(pending)])
    finale.shuffle(pending)
    for ticket_id in pending + pending[: len(pending) // 2]:  # every record at least once, some again
        kpis.refresh(ticket_id)
    DESK_TICKETS.update(opened)

    reply = desk("GET", "/reports/kpis", who=SUPERVISOR, query={"from": str(FIRST_DAY), "to": str(LAST_DAY)})

    assert reply.status == 200, reply.text
    expected = brute_force(sorted(DESK_TICKETS))
    rows = {row["key"]: row for row in reply.json["rows"]}
    for day, figures in expected.items():
        assert {name: rows[str(day)][name] for name in figures} == figures, day


#: Every ticket the desk fixture's table holds: examples share it (and their customers' histories mix, as they may).
DESK_TICKETS: set[str] = set()
#: Every (customer, desk day) said on the new-ticket form that the one article answered them, over the examples.
DEFLECTIONS: set[tuple[str, date]] = set()
EDITOR = Identity("editor-sun", ("editor",), "sun@kefu.example")


def play(desk, op: str, opened: list[str], which: int, customer: Identity, category: str, article: str) -> list[str]:
    if op == "open" or not opened:
        body = {"subject": "Parcel", "description": "Where is it?", "category": category}
        reply = desk("POST", "/tickets", who=customer, body=body)
        assert reply.status == 201, reply.text
        opened.append(reply.json["id"])
        return [reply.json["id"]]
    ticket_id = opened[which % len(opened)]
    owner = next(c for c in CUSTOMERS if c.sub == ticket_store.get(ticket_id).customerId)
    calls = {
        "reply": ("POST", "messages", AGENT, {"body": "Looking into it."}),
        "pending": ("POST", "transition", AGENT, {"to": "pending"}),
        "customer_message": ("POST", "messages", owner, {"body": "Any news?"}),
        "resolve": ("POST", "transition", AGENT, {"to": "resolved", "resolution": {"kind": "answer"}}),
        "work": ("POST", "work", AGENT, {"seconds": 240}),
        "transfer": ("POST", "assign", AGENT, {"groupId": "l2"}),
        "self_service": ("POST", "self-service", owner, {"articleId": article}),
    }
    method, route, who, body = calls[op]
    reply = desk(method, f"/tickets/{ticket_id}/{route}", who=who, body=body)
    assert reply.status < 500, reply.text
    return [ticket_id] if reply.status < 300 else []  # a refused step (409) writes nothing


def brute_force(ticket_ids: list[str]) -> dict[date, dict]:
    """Per desk day: created, resolved, backlog, first response and resolution counts/means/p50/p90, rates."""
    tickets = [ticket_store.get(ticket_id) for ticket_id in ticket_ids]
    timelines = {t.id: timeline(t.id) for t in tickets}
    everyone = {t.customerId: [u for u in tickets if u.customerId == t.customerId] for t in tickets}
    facts = [facts_of(t, timelines[t.id], everyone[t.customerId]) for t in tickets]
    expected: dict[date, dict] = {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        born = [f for f in facts if local_day(f.created_at) == day]
        done = [f for f in facts if f.resolved_at and local_day(f.resolved_at) == day]
        answered = [f for f in born if f.first_response_at]
        expected[day] = {
            "created": len(born),
            "resolved": len(done),
            "backlog": sum(1 for t in tickets if open_at_end(t, timelines[t.id], day)),
            "firstResponse": duration(
                [f.first_response_seconds for f in answered],
                [f.first_response_business_seconds for f in answered],
                [f.first_response_within for f in answered],
            ),
            "resolution": duration(
                [f.resolution_seconds for f in done],
                [f.resolution_business_seconds for f in done],
                [f.resolution_within for f in done],
            ),
            "fcrRate": ratio(sum(f.fcr for f in done), len(done)),
            "reopenRate": ratio(sum(f.reopened for f in done), len(done)),
            "complaints": complaints(born),
            "handleTime": handle(done),
            "deflections": deflections(tickets, day),
        }
        day += timedelta(days=1)
    return expected


def timeline(ticket_id: str):
    return ticket_store.timeline(ticket_id, public_only=False, limit=1000, cursor=None).items


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def open_at_end(ticket, entries, day: date) -> bool:
    """Straight from the timeline's status entries: created by the end of the day, and not resolved or closed then."""
    if local_day(ticket.createdAt) > day:
        return False
    status = "new"
    for entry in entries:
        if entry.kind.value == "status" and local_day(entry.createdAt) <= day:
            status = entry.data["to"]
    return status not in ("resolved", "closed")


def nearest_rank(values: list[int], share: float) -> int | None:
    ordered = sorted(quantize(v) for v in values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1] if ordered else None


def duration(seconds: list[int], business: list[int], within: list[bool | None]) -> dict:
    return {
        "count": len(seconds),
        "meanSeconds": round(sum(seconds) / len(seconds), 1) if seconds else None,
        "p50Seconds": nearest_rank(seconds, 0.5),
        "p90Seconds": nearest_rank(seconds, 0.9),
        "withinTargetRate": ratio(sum(bool(w) for w in within), len(within)),
        "businessMeanSeconds": round(sum(business) / len(business), 1) if business else None,
    }


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def complaints(born) -> dict:
    counted = Counter((f.complaint, f.complaint and f.complaint_closed_within_48h) for f in born)
    total = counted[(True, True)] + counted[(True, False)]
    return {
        "count": total,
        "share": ratio(total, len(born)),
        "closedWithin48hRate": ratio(counted[(True, True)], total),
    }


def deflections(tickets, day: date) -> dict:
    """Tickets resolved now as self-service, on the day of that resolution; the form's, once a customer and day."""
    resolved = sum(
        1
        for t in tickets
        if t.status.value in ("resolved", "closed")
        and t.resolution is not None
        and t.resolution.kind.value == "self-service"
        and local_day(t.sla.resolvedAt) == day
    )
    form = sum(1 for _, said in DEFLECTIONS if said == day)
    return {"count": resolved + form, "ticketsResolved": resolved, "withoutTicket": form}


def handle(done) -> dict:
    worked = [f.handle_seconds for f in done if f.handle_seconds]
    return {"count": len(worked), "meanSeconds": round(sum(worked) / len(worked), 1) if worked else None}
