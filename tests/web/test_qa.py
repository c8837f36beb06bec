"""Quality inspection as the desk works it, in the browser: a reviewer of the `qa` group scores a review item by item
(the total and verdict computed as they type, the server's own answer after submitting), the agent reviewed finds it
in their reviews, appeals it with a reason and reads their scorecard, a supervisor overturns the appeal and the
month's coverage shows the ticket reviewed. The resolved ticket and its review are seeded through the HTTP API;
axe-core checks each screen."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from kefu_local.tokens import LocalUserPool

from .browser import CJK, DESK_JOURNEYS, Desk, serious_violations, shoot, visible_text

pytestmark = [pytest.mark.e2e, pytest.mark.web, DESK_JOURNEYS]

AGENT = "agent-li"
#: Not a demo user: a member of the inspection team only (the `qa` group), as Cognito would sign them in.
REVIEWER = "qa-lin"
#: Points per rubric item (the built-in rubric: weights 10/15/25/15/10/20/5 of 100, each out of 5): 95.0, a pass.
POINTS = {
    "greeting": 5,
    "identity_check": 5,
    "accuracy": 5,
    "script_compliance": 5,
    "empathy": 3,
    "resolution": 5,
    "closing": 4,
}


def reviewer_token(desk: Desk) -> str:
    pool = LocalUserPool.load_or_create(desk.stack.state_dir)
    return pool.mint(REVIEWER, email="lin.qa@example.com", groups=["qa"])


def as_reviewer(desk: Desk, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {reviewer_token(desk)}"}
    return requests.request(method, f"{desk.stack.url}{path}", headers=headers, timeout=15, **kwargs)


def resolved_by_agent(desk: Desk) -> dict:
    """A customer's ticket that agent-li answered and resolved (the supervisor of the group is away meanwhile, so
    routing hands it to agent-li: a supervisor does not decide an appeal of their own)."""
    roster = desk.api("GET", "/groups/l1/agents", "sup-wang").json()
    before = next(member["availability"] for member in roster if member["agentId"] == "sup-wang")
    desk.set_availability("sup-wang", "offline")
    try:
        body = {"subject": "Which size fits", "description": "Which size fits a 30 cm box?", "category": "consultation"}
        opened = desk.api("POST", "/tickets", "demo-customer", json=body)
        assert opened.status_code == 201, opened.text
    finally:
        # As it was: other journeys on the same stack may count on it.
        desk.set_availability("sup-wang", before)
    ticket = opened.json()
    path = f"/tickets/{ticket['id']}"
    if ticket["assigneeId"] is None:
        taken = desk.api("POST", path + "/assign", AGENT, json={"take": True})
        assert taken.status_code == 200, taken.text
    for suffix, payload in (
        ("/messages", {"body": "Hello, the 30 cm box takes size M. Have a nice day!", "visibility": "public"}),
        ("/transition", {"to": "resolved", "resolution": {"kind": "answer"}}),
    ):
        answer = desk.api("POST", path + suffix, AGENT, json=payload)
        assert answer.status_code in (200, 201), answer.text
    return ticket


@pytest.fixture(scope="module")
def review(desk: Desk) -> dict:
    ticket = resolved_by_agent(desk)
    asked = as_reviewer(desk, "POST", "/qa/reviews", json={"ticketId": ticket["id"]})
    assert asked.status_code == 201, asked.text
    made = asked.json()
    assert made["agentId"] == AGENT and made["status"] == "pending"
    return made


def sign_in_as_reviewer(desk: Desk, page: Page) -> None:
    page.goto(desk.url("/sign-in"))
    page.evaluate("token => localStorage.setItem('kefu.token', token)", reviewer_token(desk))


def test_a_reviewer_scores_the_agent_appeals_and_a_supervisor_decides(desk: Desk, page: Page, review: dict):
    row = f"tr[data-review='{review['id']}']"

    # The reviewer (qa group only) lands in the QA queue: the reviewers' screens, neither appeals nor "my reviews"
    sign_in_as_reviewer(desk, page)
    page.goto(desk.url("/"))
    expect(page.get_by_test_id("qa-nav-queue")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("qa-nav-coverage")).to_be_visible()
    expect(page.get_by_test_id("qa-nav-appeals")).to_have_count(0)
    expect(page.get_by_test_id("qa-nav-mine")).to_have_count(0)
    expect(page.locator(row)).to_be_visible()
    shoot(page, "qa-queue")
    assert serious_violations(page) == []
    page.locator(row).get_by_role("link", name=review["id"]).click()

    # Each rubric item shows its weight and fatal flag; points outside the scale are refused on the item itself
    form = page.get_by_test_id("qa-score-form")
    expect(form.locator("fieldset[data-item='accuracy']").get_by_test_id("fatal")).to_be_visible()
    expect(form.locator("fieldset[data-item='greeting']").get_by_test_id("fatal")).to_have_count(0)
    form.get_by_test_id("score-greeting").fill("7")
    expect(form.get_by_test_id("problem-greeting")).to_be_visible()
    # The total and the verdict follow the points as they are typed, as the server computes them
    for item, points in POINTS.items():
        form.get_by_test_id(f"score-{item}").fill(str(points))
    form.get_by_test_id("comment-empathy").fill("Answered correctly but briskly.")
    expect(form.get_by_test_id("problem-greeting")).to_have_count(0)
    expect(form.get_by_test_id("qa-preview")).to_contain_text("95.0")
    shoot(page, "qa-score")
    assert serious_violations(page) == []
    # A 422 from the server lands on the item it names (this answer stands in for one once: the form refuses what
    # the server would before sending it)
    unscorable = "'empathy' scores 0..5, got 7"
    problem = {"type": "about:blank", "title": "Unprocessable", "status": 422, "detail": unscorable}
    score_route = "**/api/qa/reviews/*/score"
    refused = {"status": 422, "json": problem, "content_type": "application/problem+json"}
    page.route(score_route, lambda route: route.fulfill(**refused))
    form.get_by_test_id("qa-submit-score").click()
    expect(form.get_by_test_id("problem-empathy")).to_contain_text(unscorable)
    page.unroute(score_route)
    form.get_by_test_id("qa-submit-score").click()
    # And after submitting, the server's answer is shown
    answer = page.get_by_test_id("qa-server-answer")
    expect(answer).to_contain_text("95.0")
    expect(answer.get_by_test_id("verdict")).to_have_attribute("data-passed", "true")

    # The agent finds it among their reviews, open to answer, and appeals it with a reason
    page.goto(desk.url("/qa/mine", AGENT))
    expect(page.get_by_test_id("qa-nav-queue")).to_have_count(0)
    mine = page.locator(row)
    expect(mine.locator("[data-status]")).to_have_attribute("data-status", "scored")
    assert serious_violations(page) == []
    mine.get_by_role("link", name=review["id"]).click()
    expect(page.get_by_test_id("qa-window")).to_have_attribute("data-window", "open")
    expect(page.get_by_test_id("qa-scores").locator("tr[data-item='empathy']")).to_contain_text("3 / 5")
    page.get_by_test_id("qa-appeal").click()
    expect(page.get_by_label("申诉理由")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("申诉理由").fill("The customer thanked me for the quick answer; empathy deserves more.")
    shoot(page, "qa-appeal")
    assert serious_violations(page) == []
    # Had the window closed meanwhile, the server's 409 would be said plainly (this answer stands in for it once)
    closed = f"the window to answer review {review['id']} closed at 2026-12-01T00:00:00+00:00"
    problem = {"type": "about:blank", "title": "Conflict", "status": 409, "detail": closed}
    appeal_route = "**/api/qa/reviews/*/appeal"
    conflict = {"status": 409, "json": problem, "content_type": "application/problem+json"}
    page.route(appeal_route, lambda route: route.fulfill(**conflict))
    page.get_by_test_id("qa-appeal").click()
    expect(page.get_by_test_id("qa-refusal")).to_contain_text(closed)
    page.unroute(appeal_route)
    page.get_by_test_id("qa-appeal").click()
    expect(page.get_by_test_id("qa-review")).to_have_attribute("data-status", "appealed")
    expect(page.get_by_test_id("qa-history")).to_contain_text("empathy deserves more")
    # Their scorecard for the month puts the review's total beside the group's average (theirs alone here)
    page.goto(desk.url(f"/qa/scorecards?month={review['month']}"))
    score = page.get_by_test_id("qa-card").locator("tr[data-figure='qaScore']")
    expect(score.get_by_test_id("agent-value")).to_have_text("95.0")
    expect(score.get_by_test_id("group-value")).to_have_text("95.0")
    shoot(page, "qa-scorecard")
    assert serious_violations(page) == []

    # A supervisor finds the appeal with its reason and overturns it
    page.goto(desk.url("/qa/appeals", "sup-wang"))
    appeal = page.locator(f"article[data-review='{review['id']}']")
    expect(appeal.get_by_test_id("qa-appeal-reason-shown")).to_contain_text("empathy deserves more")
    appeal.get_by_test_id("outcome-overturned").check()
    shoot(page, "qa-appeals")
    assert serious_violations(page) == []
    appeal.get_by_test_id("qa-decide").click()
    expect(page.get_by_test_id("qa-decided")).to_contain_text(review["id"])
    expect(appeal).to_have_count(0)
    decided = desk.api("GET", f"/qa/reviews/{review['id']}", "sup-wang").json()
    assert decided["status"] == "overturned" and decided["decision"]["by"] == "sup-wang"

    # And the month's coverage counts the ticket reviewed, the overturned review out of the agent's QA score
    page.goto(desk.url(f"/qa/coverage?month={review['month']}", "sup-wang"))
    covered = page.get_by_test_id("qa-coverage").locator(f"tr[data-agent='{AGENT}']")
    expect(covered).to_contain_text("100%")
    shoot(page, "qa-coverage")
    assert serious_violations(page) == []
    # In English, nothing on the screen is left in Chinese (but the language picker's own names)
    page.get_by_test_id("language").select_option("en")
    expect(page.locator("h1")).to_have_text("QA coverage")
    lines = visible_text(page).splitlines()
    leftover = [line for line in lines if CJK.search(line) and line not in ("简体中文", "繁體中文")]
    assert leftover == [], leftover
