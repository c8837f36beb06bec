"""`GET /reports/kpis` and `POST /tickets/{id}/work` through the API, against moto: the figures the aggregates give
after the change feed's records are delivered (here by calling what the KPI function calls), roles, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.kpis import service as kpis
from kefu.kpis import work

# The ticket modules whose clocks are held below, loaded here: kefu.tickets.service loads each with its first use.
from kefu.tickets import conversation, customer, handover, opening, queries, transitions  # noqa: F401
from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Api
from tests.integration.conftest import open_ticket
from tests.integration.held_clock import TICKET_WRITERS, hold_clock

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 on Monday 2 November in Shanghai
SHANGHAI = kpis._zone("Asia/Shanghai")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    held = Clock()
    hold_clock(monkeypatch, lambda: held.now, within=TICKET_WRITERS)
    monkeypatch.setattr(kpis, "desk_zone", lambda: SHANGHAI)
    return held


def deliver(*ticket_ids: str) -> None:
    for ticket_id in ticket_ids:
        kpis.refresh(ticket_id)


def report(api: Api, who=SUPERVISOR, **query: str):
    return api("GET", "/reports/kpis", who=who, query=query)


def answered_and_resolved(
    desk: Api, clock: Clock, *, reply_at: float, resolve_at: float, worked: int = 0, who=CUSTOMER
) -> str:
    ticket = open_ticket(desk, who)
    clock.at(reply_at)
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": "On it."}).status == 201
    if worked:
        assert desk("POST", f"/tickets/{ticket['id']}/work", who=AGENT, body={"seconds": worked}).status == 201
    clock.at(resolve_at)
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{ticket['id']}/transition", who=AGENT, body=body).status == 200
    return ticket["id"]


def test_a_day_of_two_tickets_reports_their_first_response_resolution_and_handle_time(desk, clock):
    first = answered_and_resolved(desk, clock, reply_at=2, resolve_at=30, worked=300)
    clock.at(60)
    second = answered_and_resolved(desk, clock, reply_at=64, resolve_at=120, worked=100, who=OTHER_CUSTOMER)
    deliver(first, second, first)  # a record delivered twice counts once

    reply = report(desk, **{"from": "2026-11-02", "to": "2026-11-02"})

    assert reply.status == 200, reply.text
    totals = reply.json["totals"]
    assert (totals["created"], totals["resolved"], totals["backlog"]) == (2, 2, 0)
    assert totals["firstResponse"]["count"] == 2
    assert totals["firstResponse"]["meanSeconds"] == 180.0  # 120 s and 240 s
    assert totals["firstResponse"]["p50Seconds"] == 120
    assert totals["firstResponse"]["p90Seconds"] == 240
    assert totals["resolution"]["meanSeconds"] == (30 * 60 + 60 * 60) / 2
    assert totals["handleTime"] == {"count": 2, "meanSeconds": 200.0}
    assert totals["fcrRate"] == 1.0 and totals["reopenRate"] == 0.0  # different customers: no repeat contact
    assert reply.json["rows"][0]["key"] == "2026-11-02"
    assert reply.json["period"] == {"from": "2026-11-02", "to": "2026-11-02", "timeZone": "Asia/Shanghai"}


def test_a_reopen_days_later_takes_the_ticket_out_of_its_resolution_day(desk, clock):
    ticket_id = answered_and_resolved(desk, clock, reply_at=2, resolve_at=30)
    deliver(ticket_id)
    clock.at(2 * 24 * 60)
    message = desk("POST", f"/tickets/{ticket_id}/messages", who=CUSTOMER, body={"body": "Still broken."})
    assert message.status == 201
    deliver(ticket_id)

    day = report(desk, **{"from": "2026-11-02", "to": "2026-11-04"}).json
    assert day["totals"]["resolved"] == 0
    assert [row["backlog"] for row in day["rows"]] == [0, 0, 1]
    assert day["rows"][2]["backlogByAge"] == {"0d": 0, "1-2d": 1, "3-6d": 0, "7d+": 0}


def test_reports_by_a_dimension_have_one_row_per_key(desk, clock):
    deliver(*(open_ticket(desk, channel=channel)["id"] for channel in ("web", "app", "app")))

    rows = report(desk, **{"from": "2026-11-02", "to": "2026-11-02", "by": "channel"}).json["rows"]
    assert [(row["key"], row["created"]) for row in rows] == [("app", 2), ("web", 1)]


def test_reports_by_weekday_have_a_row_per_weekday_of_the_period_from_the_days_totals(desk, clock):
    deliver(open_ticket(desk)["id"])
    clock.at(3 * 24 * 60)  # Thursday
    deliver(*(open_ticket(desk)["id"] for _ in range(2)))
    deliver(answered_and_resolved(desk, clock, reply_at=3 * 24 * 60 + 5, resolve_at=3 * 24 * 60 + 30))

    rows = report(desk, **{"from": "2026-11-02", "to": "2026-11-08", "by": "weekday"}).json["rows"]
    assert [(row["key"], row["created"], row["resolved"]) for row in rows] == [("mon", 1, 0), ("thu", 3, 1)]


def test_csv_is_given_for_accept_text_csv(desk, clock):
    deliver(open_ticket(desk)["id"])
    reply = desk(
        "GET",
        "/reports/kpis",
        who=ADMIN,
        query={"from": "2026-11-02", "to": "2026-11-02"},
        headers={"Accept": "text/csv"},
    )
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/csv")
    header, day, total = reply.text.strip().split("\r\n")
    assert header.startswith("key,created,resolved,backlog,")
    assert day.startswith("2026-11-02,1,0,1,") and total.startswith("total,1,0,1,")
    columns = header.split(",")
    assert columns[-6:] == [
        "deflections.count",
        "deflections.ticketsResolved",
        "deflections.withoutTicket",
        "revisitCoverage.due",
        "revisitCoverage.revisited",
        "revisitCoverage.rate",
    ]
    assert total.split(",")[-6:] == ["0", "0", "0", "0", "0", ""]  # a rate over nobody due is empty (null)


def test_an_agent_reads_their_own_figures_by_agent(desk, clock):
    ticket = open_ticket(desk)
    assert desk("POST", f"/tickets/{ticket['id']}/assign", who=AGENT, body={"take": True}).status == 200
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{ticket['id']}/transition", who=AGENT, body=body).status == 200
    deliver(ticket["id"])

    reply = report(desk, who=AGENT, **{"from": "2026-11-02", "to": "2026-11-02", "by": "agent"})

    assert reply.status == 200
    assert [row["key"] for row in reply.json["rows"]] == [AGENT.sub]
    assert (reply.json["totals"]["created"], reply.json["totals"]["resolved"]) == (1, 1)


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ({"to": "2026-11-02"}, 400, "needs both from and to"),
        ({"from": "2026-11-03", "to": "2026-11-02"}, 400, "ends (2026-11-02) before it starts"),
        ({"from": "2025-01-01", "to": "2026-02-05"}, 400, "at most 400 days"),
        ({"from": "2026-11-02", "to": "2026-11-31"}, 400, "YYYY-MM-DD"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, 400, "from 1970-01-01 to 9998-12-31"),
        ({"from": "1969-12-31", "to": "1970-01-01"}, 400, "from 1970-01-01 to 9998-12-31"),
    ],
)
def test_bad_periods_and_breakdowns_are_400_problems(desk, query, status, detail):
    reply = report(desk, **query)
    assert (reply.status, reply.headers["content-type"]) == (status, "application/problem+json")
    assert detail in reply.json["detail"]


@pytest.mark.parametrize(
    "query", [{"from": "0000000000", "to": "2026-11-02"}, {"from": "2026-11-02", "to": "2026-11-02", "by": "colour"}]
)
def test_a_period_or_breakdown_the_document_refuses_is_a_422(desk, query):
    reply = report(desk, **query)
    assert (reply.status, reply.headers["content-type"]) == (422, "application/problem+json")


def test_an_agent_may_not_read_the_desk_or_another_agent(desk):
    period = {"from": "2026-11-02", "to": "2026-11-02"}
    assert report(desk, who=AGENT, **period).status == 403
    assert report(desk, who=AGENT, by="agent", agent=AGENT_2.sub, **period).status == 403
    assert report(desk, who=CUSTOMER, by="agent", **period).status == 403


def test_work_time_out_of_range_is_refused_and_customers_cannot_record_it(desk):
    ticket = open_ticket(desk)
    for seconds in (0, -5, work.MAX_SECONDS + 1):
        assert desk("POST", f"/tickets/{ticket['id']}/work", who=AGENT, body={"seconds": seconds}).status == 422
    assert desk("POST", f"/tickets/{ticket['id']}/work", who=CUSTOMER, body={"seconds": 60}).status == 403
    assert desk("POST", "/tickets/TK-00000000/work", who=AGENT, body={"seconds": 60}).status == 404


def test_recorded_work_is_on_the_timeline(desk):
    ticket = open_ticket(desk)
    assert desk("POST", f"/tickets/{ticket['id']}/work", who=AGENT, body={"seconds": 90}).status == 201
    entries = desk("GET", f"/tickets/{ticket['id']}/timeline", who=AGENT).json["items"]
    assert [e["data"] for e in entries if e["kind"] == "work"] == [{"seconds": 90}]


def test_every_breakdown_the_domain_knows_is_one_the_document_accepts(desk):
    from kefu.kpis.reports import BREAKDOWNS

    for by in BREAKDOWNS:
        assert report(desk, **{"from": "2026-11-02", "to": "2026-11-02", "by": by}).status == 200, by
