"""The local stack runs the KPI aggregation from the table's changes: a ticket opened over HTTP shows in the report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from kefu.identity import Role
from kefu_local.seed import demo_person
from kefu_local.tokens import LocalUserPool
from tests.waiting import wait_for

from . import local_stack
from .local_stack import DEFAULT_STACK, LocalStackProcess, new_stack

pytestmark = pytest.mark.e2e

#: An agent of this test's own, in the logistics group where no demo agent sits: the report's row of this agent
#: counts this test's ticket alone, whatever the other modules sharing the stack open.
AGENT = "agent-kpis-e2e"


@DEFAULT_STACK
def test_a_ticket_opened_over_http_is_counted_in_the_report(running_stack: LocalStackProcess):
    # The tokens are minted by the stack's own user pool, as `kefu local token` mints them (without its process).
    pool = LocalUserPool.load_or_create(running_stack.state_dir)
    customer, supervisor, admin = (
        {"Authorization": f"Bearer {pool.mint_for_role(role, demo_person(role).sub, demo_person(role).email)}"}
        for role in (Role.CUSTOMER, Role.SUPERVISOR, Role.ADMIN)
    )
    agent = {"Authorization": f"Bearer {pool.mint_for_role(Role.AGENT, AGENT, 'kpis.e2e@example.com')}"}
    profile = {"name": "KPI e2e", "email": "kpis.e2e@example.com", "groupIds": ["logistics"]}
    added = requests.put(f"{running_stack.url}/agents/{AGENT}", json=profile, headers=admin, timeout=10)
    assert added.status_code == 200, added.text
    availability = f"{running_stack.url}/agents/me/availability"
    online = requests.put(availability, json={"availability": "online"}, headers=agent, timeout=10)
    assert online.status_code == 200, online.text
    try:
        # A lost parcel goes to the logistics group, where the agent is the only one online: theirs
        opened = requests.post(
            f"{running_stack.url}/tickets",
            json={"subject": "My parcel is lost", "description": "Order 1001 shows delivered but never came."},
            headers=customer,
            timeout=10,
        )
    finally:
        # Offline again: what other modules open never reaches this agent.
        offline = requests.put(availability, json={"availability": "offline"}, headers=agent, timeout=10)
        assert offline.status_code == 200, offline.text
    assert opened.status_code == 201, opened.text
    assert opened.json()["ownerId"] == AGENT, opened.json()
    day = date.fromisoformat(opened.json()["createdAt"][:10])
    # Desk days are Shanghai's: the UTC date's desk day is that day or the next.
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}

    def agents_row() -> dict:
        report = requests.get(
            f"{running_stack.url}/reports/kpis",
            params={**period, "by": "agent", "agent": AGENT},
            headers=supervisor,
            timeout=10,
        )
        assert report.status_code == 200, report.text
        return report.json()

    # The counters follow the table's stream: read once the ticket has reached them.
    report = wait_for(lambda: (found := agents_row())["rows"][0]["created"] and found, "the ticket in the report")
    assert [(row["key"], row["created"]) for row in report["rows"]] == [(AGENT, 1)]
    assert report["period"]["timeZone"] == "Asia/Shanghai"
    # And the desk's totals count it too (with whatever else the shared stack holds that day)
    totals = requests.get(f"{running_stack.url}/reports/kpis", params=period, headers=supervisor, timeout=10)
    assert totals.status_code == 200, totals.text
    assert totals.json()["totals"]["created"] >= 1


def test_a_stack_started_with_a_demo_month_reports_it(tmp_path, monkeypatch):
    monkeypatch.setattr(local_stack, "STARTUP_TIMEOUT_S", 240)  # the month is written before the API answers
    stack = new_stack(tmp_path, {"KEFU_LOCAL_SEED_MONTH": "1"})  # about one ticket a day keeps the test short
    try:
        stack.start()
        supervisor = stack.token("--role", "supervisor")
        today = date.today()
        period = {"from": (today - timedelta(days=31)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
        report = requests.get(
            f"{stack.url}/reports/kpis",
            params={**period, "by": "channel"},
            headers={"Authorization": f"Bearer {supervisor}"},
            timeout=30,
        )
    finally:
        stack.kill()

    assert report.status_code == 200, report.text
    assert report.json()["totals"]["created"] >= 15
    assert report.json()["totals"]["resolved"] > 0
