"""`kefu report`: the HTML page built from the API's reports (here the API function in-process, as the local
stack serves it), self-contained, with a progress report while it fetches."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from kefu.kpis import service as kpis
from kefu_local import report
from tests.conftest import SUPERVISOR
from tests.integration.conftest import open_ticket


class Answer:
    def __init__(self, reply):
        self.status_code, self.text, self._json = reply.status, reply.text, reply.json

    def json(self):
        return self._json


@pytest.fixture
def served(desk, monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))

    def get(session, url, timeout):
        parts = urlsplit(url)
        return Answer(desk("GET", parts.path, who=SUPERVISOR, query=dict(parse_qsl(parts.query))))

    monkeypatch.setattr(requests.Session, "get", get)
    return desk


def test_the_page_has_every_chart_inline_and_fetches_with_progress(served):
    ticket = open_ticket(served, channel="app")
    kpis.refresh(ticket["id"])
    today = date.fromisoformat(ticket["createdAt"][:10])
    seen: list[tuple[int, int]] = []

    fetched = report.fetch(
        "http://api.test", "token", today, today, progress=lambda done, total: seen.append((done, total))
    )
    page = report.render(fetched)

    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for title in (
        "Daily volume and backlog",
        "First response",
        "Arrivals by weekday and hour",
        "SLA breach rates and escalations by group",
        "Complaints closed within 48 h",
        "CSAT (mean, 1-5) and NPS",
        "Agents",
    ):
        assert title in page
    assert page.count("<svg") >= 8
    assert not re.search(r"<script|<link|src=|https?://", page)  # opens offline: nothing to load
    weekday = report.WEEKDAYS[today.weekday()]
    assert sum(fetched.arrivals.get((weekday, f"{h:02d}"), 0) for h in range(24)) == 1


def test_a_refused_report_says_why(served):
    with pytest.raises(report.ReportError, match=r"400: .*at most 400 days"):
        report.fetch("http://api.test", "token", date(2025, 1, 1), date(2026, 6, 1))


def test_the_command_writes_the_page(served, tmp_path):
    from typer.testing import CliRunner

    from kefu_local.cli import app

    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", "--from", "2026-11-02", "--to", "2026-11-03", "--out", str(out), "--token", "t"]
    )

    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_the_command_refuses_a_date_it_cannot_read(tmp_path):
    from typer.testing import CliRunner

    from kefu_local.cli import app

    result = CliRunner().invoke(app, ["report", "--from", "2 Nov", "--to", "2026-11-03", "--token", "t"])

    assert result.exit_code == 2
