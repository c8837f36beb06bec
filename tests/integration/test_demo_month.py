"""The demo month (kefu_local.demo_month): real domain writes under a held clock, then aggregated; a small month
here, against moto, shows in the KPI report."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kefu import clock
from kefu.identity import Caller
from kefu.kpis import reports
from kefu.kpis import service as kpis
from kefu.kpis.figures import summed
from kefu.store import kpis as kpi_store
from kefu_local.demo_month import held_clock, seed_month
from kefu_local.seed import seed_demo_data
from tests.conftest import SUPERVISOR

END = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_small_month_of_every_kind_of_traffic_is_reported(aws, monkeypatch):
    import boto3

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")  # the demo data includes the knowledge base
    monkeypatch.setenv("KEFU_KB_BUCKET", "kefu-test-kb")
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("Asia/Shanghai"))
    seed_demo_data()

    opened = seed_month(days=4, per_day=12, end=END, progress=lambda line: None)

    report = reports.kpi_report(Caller.from_claims(SUPERVISOR.claims()), "2026-11-27", "2026-11-30", "channel")
    assert report["totals"]["created"] == len(opened) > 20
    assert report["totals"]["resolved"] > 0
    assert report["totals"]["firstResponse"]["count"] > 0
    assert len(report["rows"]) >= 4  # channels
    # Aggregated in bulk: every aggregate is the sum of what its tickets' facts add, and the change feed's refresh,
    # ticket by ticket, finds nothing to move.
    stored = kpi_store.read_facts_of(opened)
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for facts in stored.values():
        for key, values in facts.slots.items():
            expected[key] = summed([expected.get(key, {}), values])
    days = [(date.fromisoformat(pk.removeprefix("KPI#")), sk) for pk, sk in expected if pk.startswith("KPI#")]
    found = kpi_store.day_items(days)
    for day, sk in days:
        held = {name: value for name, value in found[(day, sk)].items() if value}
        assert held == {n: v for n, v in expected[(f"KPI#{day}", sk)].items() if v}, (day, sk)
    assert [kpis.refresh(ticket_id) for ticket_id in opened] == [0] * len(opened)


def test_tickets_resolved_longer_than_the_quiet_period_ago_are_closed_as_the_escalation_task_closes_them(aws):
    from datetime import timedelta

    from kefu.store import tickets as store

    opened = seed_month(days=9, per_day=4, end=END, progress=lambda line: None)

    found = [store.get(ticket_id) for ticket_id in opened]
    quiet = timedelta(days=7)
    closed = [t for t in found if t.status.value == "closed"]
    assert closed, "the month's first days' resolutions are more than 7 days old"
    assert all(t.sla.closedAt == t.sla.resolvedAt + quiet for t in closed)
    assert all(t.sla.resolvedAt + quiet > END for t in found if t.status.value == "resolved")


def test_the_held_clock_is_given_back():
    real = clock.now
    with held_clock(END) as move:
        from kefu.tickets import opening

        assert opening.now() == END
        move(datetime(2026, 12, 1, tzinfo=UTC))
        assert opening.now() == datetime(2026, 12, 1, tzinfo=UTC)
        assert clock.now is real  # the clock module itself is never patched
    # Every module has the real clock back (once, the held one was put back everywhere and later tests ran frozen).
    assert opening.now is real and clock.now is real
