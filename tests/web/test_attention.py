"""The supervisor's "escalated and at risk" screen against the real lists (GET /tickets?escalated=true and
?atRisk=true): a P1 complaint left unanswered escalates on the stack's own clock, a P1 question is due within the
desk's at-risk margin (1 h), the supervisor sees each in its table and hands the escalated one to another agent of
its group; the dashboard's "breaches and escalations by group" counts the escalation.

The stack runs at KEFU_TIME_SCALE=SCALE (its own module, one stack): the complaint's first response (1 h) is due
3.6 real seconds after it is opened and the escalation ladder raises it to level 1 then; its next step (75 % of the
48 h resolution) comes only after about two real minutes, well after this module is done.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.local_stack import own_stack
from tests.waiting import wait_for

from .browser import Desk, missing_prerequisite, new_web_stack, serious_violations, shoot, wait_for_web

pytestmark = [pytest.mark.e2e, pytest.mark.web, own_stack("attention")]

SCALE = 1000
DESK_ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    missing = missing_prerequisite()
    if missing:
        pytest.fail(missing)
    stack, web_port = new_web_stack(tmp_path_factory.mktemp("kefu-web-attention"))
    stack.extra_env["KEFU_TIME_SCALE"] = str(SCALE)
    stack.start()
    web_url = f"http://127.0.0.1:{web_port}"
    try:
        wait_for_web(web_url)
        yield Desk(stack, web_url)
    finally:
        stack.stop_if_running()


def opened(desk: Desk, subject: str, category: str) -> dict:
    body = {"subject": subject, "description": f"{subject}. Order 3003.", "category": category, "priority": "P1"}
    answer = desk.api("POST", "/tickets", "sup-wang", json=body | {"customer": {"email": "li.si@example.com"}})
    assert answer.status_code == 201, answer.text
    return answer.json()


def listed(desk: Desk, query: str) -> list[str]:
    answer = desk.api("GET", f"/tickets?{query}=true", "sup-wang")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


@pytest.fixture(scope="module")
def attention(desk: Desk) -> tuple[dict, dict]:
    complaint = opened(desk, "Complaint: nobody answers about my broken kettle", "complaint")
    question = opened(desk, "Where is my refund", "payment")
    wait_for(lambda: complaint["id"] in listed(desk, "escalated"), lambda: desk.stack.output()[-3000:], poll_s=0.5)
    assert question["id"] in listed(desk, "atRisk")
    return desk.api("GET", f"/tickets/{complaint['id']}", "sup-wang").json(), question


def test_a_supervisor_sees_escalated_and_at_risk_tickets_and_reassigns_one(
    desk: Desk, page: Page, attention: tuple[dict, dict]
):
    complaint, question = attention
    assert complaint["escalationLevel"] >= 1
    # When the supervisor opens the attention screen
    page.goto(desk.url("/console/attention", "sup-wang"))
    escalated = page.get_by_test_id("attention-escalated").locator(f"tr[data-ticket='{complaint['id']}']")
    at_risk = page.get_by_test_id("attention-atRisk").locator(f"tr[data-ticket='{question['id']}']")
    # Then the escalated complaint is in the first table with its level, the question in the second
    expect(escalated).to_contain_text(complaint["subject"])
    expect(escalated.locator("td").nth(4)).to_have_text(str(complaint["escalationLevel"]))
    expect(at_risk).to_contain_text(question["subject"])
    # Its first response breached by the desk's clock (running ahead of this browser's): shown as overdue
    expect(escalated.locator("td.sla")).to_have_class(re.compile(r"\bsla-breached\b"))
    shoot(page, "console-attention")
    assert serious_violations(page) == []
    # And handing the complaint to another agent of its group moves it there
    members = desk.api("GET", f"/groups/{complaint['groupId']}/agents", "sup-wang").json()
    other = next(m["agentId"] for m in members if m["agentId"] != complaint["assigneeId"])
    escalated.get_by_test_id("reassign-agent").select_option(other)
    escalated.get_by_test_id("reassign").click()
    expect(escalated.locator("td").nth(6)).to_have_text(other)
    assert desk.api("GET", f"/tickets/{complaint['id']}", "sup-wang").json()["assigneeId"] == other
    # And its owner, the agent who took it first, still finds it under "tickets I own", no longer under their own
    owner = complaint["ownerId"]
    assert owner is not None and owner != other
    page.goto(desk.url("/", owner))
    page.get_by_test_id("queue-owned").click()
    page.get_by_test_id("filter-status").select_option(complaint["status"])
    expect(page.locator(f"tr[data-ticket='{complaint['id']}']")).to_be_visible()
    shoot(page, "queue-owned")
    page.get_by_test_id("queue-mine").click()
    page.get_by_test_id("filter-status").select_option(complaint["status"])
    expect(page.locator(f"tr[data-ticket='{complaint['id']}']")).to_have_count(0)


def test_the_dashboard_counts_the_escalation_by_group(desk: Desk, page: Page, attention: tuple[dict, dict]):
    complaint, _ = attention
    page.goto(desk.url("/console", "sup-wang"))
    # The stack's clock runs ahead: a period around today's desk date holds the escalation's day.
    today = datetime.now(DESK_ZONE).date()
    page.get_by_test_id("kpi-from").fill((today - timedelta(days=2)).isoformat())
    page.get_by_test_id("kpi-to").fill((today + timedelta(days=2)).isoformat())
    groups = page.get_by_test_id("chart-groups")
    groups.locator("summary").click()
    row = groups.locator("tbody tr", has=page.locator("th", has_text=complaint["groupId"]))
    # The last column is the escalations' count.
    expect(row.locator("td").last).not_to_have_text("0")
    expect(row.locator("td").last).to_have_text(str(complaint["escalationLevel"]))
    shoot(page, "console-dashboard-escalations")
