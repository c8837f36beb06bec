"""The supervisor console, as a supervisor uses it: the KPI dashboard drawn from a small seeded desk (every chart
rendered), the picked dimension's breakdown, the whole console in English; rosters with availability and load and
a reassignment from there; axe-core finds nothing serious on any screen."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import test_local_surveys as survey_links
from tests.waiting import wait_for

from .browser import CJK, DESK_JOURNEYS, Desk, serious_violations, shoot, visible_text

pytestmark = [pytest.mark.e2e, pytest.mark.web, DESK_JOURNEYS]

CHARTS = ("volume", "frt", "hours", "weekdays", "groups", "complaints", "satisfaction", "breakdown")


def worked_ticket(desk: Desk, subject: str, category: str, resolve: bool) -> dict:
    """A customer's ticket that its agent (routing's pick, else agent-li) answered, worked on and maybe resolved."""
    body = {"subject": subject, "description": f"{subject}: order 2001.", "category": category}
    opened = desk.api("POST", "/tickets", "demo-customer", json=body)
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    path = f"/tickets/{ticket['id']}"
    worker = ticket["assigneeId"]
    if worker is None:
        worker = "agent-li"
        taken = desk.api("POST", path + "/assign", worker, json={"take": True})
        assert taken.status_code == 200, taken.text
    for suffix, payload in (
        ("/messages", {"body": "We are on it.", "visibility": "public"}),
        ("/work", {"seconds": 300}),
    ):
        answer = desk.api("POST", path + suffix, worker, json=payload)
        assert answer.status_code in (200, 201), answer.text
    if resolve:
        resolved = {"to": "resolved", "resolution": {"kind": "answer"}}
        answer = desk.api("POST", path + "/transition", worker, json=resolved)
        assert answer.status_code == 200, answer.text
    return desk.api("GET", path, worker).json()


@pytest.fixture(scope="module")
def seeded(desk: Desk) -> list[dict]:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    report = f"/reports/kpis?from={today}&to={today}&by=day"

    def answers() -> int:
        return desk.api("GET", report, "sup-wang").json()["totals"]["csat"]["responses"]

    # Other journeys on the shared stack answer surveys too: this one's is counted from here.
    before = answers()
    tickets = [
        worked_ticket(desk, "Parcel late", "logistics", resolve=True),
        worked_ticket(desk, "Rude courier", "complaint", resolve=True),
        worked_ticket(desk, "Which size fits", "consultation", resolve=False),
    ]
    link = survey_links.issue_survey(desk.stack, tickets[0]["id"])
    token = link.rsplit("/", 1)[-1]
    answered = desk.api("POST", f"/surveys/{token}", "demo-customer", json={"csat": 5, "nps": 10})
    assert answered.status_code in (200, 201), answered.text
    # The answer reaches the KPI aggregates through the table's stream: the dashboard is read once it is there.
    wait_for(lambda: answers() > before, "the survey answer reached the KPI report", poll_s=0.3)
    return tickets


def test_a_supervisor_opens_the_dashboard_and_every_chart_renders(desk: Desk, page: Page, seeded: list[dict]):
    # When the supervisor opens the console
    page.goto(desk.url("/", "sup-wang"))
    page.get_by_test_id("nav-console").click()
    # Then every chart is drawn, with the seeded tickets in it
    for chart in CHARTS:
        figure = page.get_by_test_id(f"chart-{chart}")
        expect(figure.locator("canvas")).to_be_visible()
        assert figure.locator("canvas").bounding_box()["height"] > 100, chart
    volume = page.get_by_test_id("chart-volume")
    assert int(volume.get_attribute("data-points")) > 0
    totals = page.get_by_test_id("kpi-totals")
    expect(totals).to_contain_text(re.compile(r"\d"))
    assert int(page.get_by_test_id("chart-satisfaction").get_attribute("data-points")) > 0
    expect(page.get_by_test_id("agent-table").locator(f"tr[data-agent='{seeded[0]['assigneeId']}']")).to_be_visible()
    shoot(page, "console-dashboard")
    assert serious_violations(page) == []
    # And the breakdown follows the picked dimension, its rows named in the reader's language
    page.get_by_test_id("kpi-dimension").select_option("category")
    breakdown = page.get_by_test_id("chart-breakdown")
    breakdown.locator("summary").click()
    expect(breakdown.locator("tbody")).to_contain_text("投诉")


def test_the_console_switches_to_english_everywhere(desk: Desk, page: Page, seeded: list[dict]):
    keys = re.compile(r"\b(?:app|nav|console|kpi|teams|attention|weekday|queue|ticket|error)\.[a-zA-Z.]+\b")
    for path in ("/console", "/console/teams", "/console/attention"):
        page.goto(desk.url(path, "sup-wang"))
        page.get_by_test_id("language").select_option("en")
        expect(page.locator("h1").first).not_to_contain_text(CJK)
        page.wait_for_load_state("networkidle")
        text = visible_text(page)
        # The language picker names each language in itself; group names are the desk's data, not strings.
        leftover = [line for line in text.splitlines() if CJK.search(line) and line not in ("简体中文", "繁體中文")]
        assert leftover == [], leftover
        assert keys.findall(text) == []
        shoot(page, f"console-english-{path.rsplit('/', 1)[-1]}")
        assert serious_violations(page) == []
        page.get_by_test_id("language").select_option("zh-CN")


def test_a_supervisor_reassigns_a_ticket_from_the_group_roster(desk: Desk, page: Page, seeded: list[dict]):
    # Given an open ticket and another agent of its group
    ticket = seeded[2]
    group, holder = ticket["groupId"], ticket["assigneeId"]
    members = desk.api("GET", f"/groups/{group}/agents", "sup-wang").json()
    other = next(m["agentId"] for m in members if m["agentId"] != holder)
    # When the supervisor finds it under its agent in the group's roster and hands it to the other
    page.goto(desk.url("/console/teams", "sup-wang"))
    roster = page.get_by_test_id(f"roster-{group}")
    row = roster.locator(f"tr[data-agent='{holder}']")
    expect(row).to_contain_text(re.compile(r"\d+/\d+"))
    row.get_by_test_id("show-tickets").click()
    item = roster.locator(f"[data-ticket='{ticket['id']}']")
    item.get_by_test_id("reassign-agent").select_option(other)
    shoot(page, "console-teams")
    assert serious_violations(page) == []
    item.get_by_test_id("reassign").click()
    # Then it leaves the first agent's list and is the other's
    expect(item).to_be_hidden()
    assert desk.api("GET", f"/tickets/{ticket['id']}", "sup-wang").json()["assigneeId"] == other


def test_an_agent_does_not_get_the_console(desk: Desk, page: Page):
    page.goto(desk.url("/console", "agent-li"))
    expect(page.get_by_test_id("nav-console")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("页面不存在")
