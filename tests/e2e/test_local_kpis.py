"""The local stack runs the KPI aggregation from the table's changes: a ticket opened over HTTP shows in the report."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import requests

from . import local_stack
from .local_stack import LocalStackProcess, new_stack

pytestmark = pytest.mark.e2e


def test_a_ticket_opened_over_http_is_counted_in_the_report(running_stack: LocalStackProcess):
    customer = running_stack.token("--role", "customer")
    supervisor = running_stack.token("--role", "supervisor")
    opened = requests.post(
        f"{running_stack.url}/tickets",
        json={"subject": "Where is my parcel?", "description": "Order 1001."},
        headers={"Authorization": f"Bearer {customer}"},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    day = date.fromisoformat(opened.json()["createdAt"][:10])
    # Desk days are Shanghai's: the UTC date's desk day is that day or the next.
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}

    deadline, created = time.monotonic() + 20, 0
    while time.monotonic() < deadline and not created:
        report = requests.get(
            f"{running_stack.url}/reports/kpis",
            params=period,
            headers={"Authorization": f"Bearer {supervisor}"},
            timeout=10,
        )
        assert report.status_code == 200, report.text
        created = report.json()["totals"]["created"]
        time.sleep(0.25)

    assert created == 1
    assert report.json()["period"]["timeZone"] == "Asia/Shanghai"


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
