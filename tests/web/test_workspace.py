"""The agent workspace, as an agent uses it: find a new ticket in the queue, take it, reply, resolve it; a stale
edit meets the conflict dialog; the whole screen switches to English; axe-core finds nothing serious."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from kefu_local.seed import DEMO_PEOPLE

from .browser import CJK, DESK_JOURNEYS, Desk, serious_violations, shoot, visible_text

pytestmark = [pytest.mark.e2e, pytest.mark.web, DESK_JOURNEYS]

FIRST_LINE = ("agent-li", "sup-wang")


@pytest.fixture(scope="module", autouse=True)
def first_line_away(desk: Desk) -> Iterator[None]:
    # With l1's agents away, routing leaves a new ticket unassigned in the group's queue for someone to take.
    roster = desk.api("GET", "/groups/l1/agents", "sup-wang").json()
    before = {member["agentId"]: member["availability"] for member in roster}
    for agent in FIRST_LINE:
        desk.set_availability(agent, "away")
    yield
    # As they were: the other journeys on the shared stack count on routing reaching them.
    for agent in FIRST_LINE:
        desk.set_availability(agent, before[agent])


def name_customer(desk: Desk, customer_id: str, name: str) -> None:
    customer = desk.api("GET", f"/customers/{customer_id}", "agent-li")
    headers = {"If-Match": customer.headers["ETag"]}
    renamed = desk.api("PATCH", f"/customers/{customer_id}", "agent-li", json={"name": name}, headers=headers)
    assert renamed.status_code == 200, renamed.text


def test_an_agent_takes_a_new_ticket_replies_and_resolves_it_and_the_customer_sees_the_reply(desk: Desk, page: Page):
    # Given a customer's new ticket waiting in the first-line queue
    ticket = desk.open_ticket("demo-customer", "Where is my parcel?", "Order 1001 has not arrived.")
    name_customer(desk, ticket["customerId"], "Wang Fang")
    assert ticket["status"] == "new" and ticket["assigneeId"] is None, ticket
    # When the agent signs in, finds it in the queue and opens it
    page.goto(desk.url("/", "agent-li"))
    row = page.locator(f"tr[data-ticket='{ticket['id']}']")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("sla")).to_contain_text(re.compile(r"\d"))
    shoot(page, "workspace-queue")
    assert serious_violations(page) == []
    row.get_by_role("link").click()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Where is my parcel?")
    # And takes it, replies, and resolves it with a refund
    page.get_by_test_id("take").click()
    expect(page.get_by_test_id("ticket-assignee")).to_have_text("agent-li")
    # The customer's panel and the knowledge suggestions sit beside the conversation
    expect(page.get_by_test_id("customer-tier")).to_be_visible()
    expect(page.get_by_test_id("suggestions").locator("h2")).to_be_visible()
    # And replies with the canned logistics answer, its placeholders filled for this ticket, and a line of their own
    page.get_by_test_id("canned-replies").locator("summary").click()
    page.get_by_test_id("canned-search").fill("物流")
    canned = page.get_by_test_id("canned-replies").locator("li", has_text="物流查询答复")
    canned.get_by_test_id("canned-insert").click()
    body = page.get_by_test_id("reply-body")
    expect(body).to_have_value(re.compile(ticket["id"]))
    expect(body).to_have_value(re.compile("Wang Fang"))
    assert "{{" not in body.input_value()
    body.press("End")
    body.type(" Tracking SF1234.")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Tracking SF1234")
    expect(page.get_by_test_id("timeline")).to_contain_text(ticket["id"])
    page.get_by_test_id("visibility-internal").check()
    page.get_by_test_id("reply-body").fill("Checked with logistics by phone.")
    page.get_by_test_id("send-reply").click()
    expect(page.locator(".entry-internal.kind-note")).to_contain_text("Checked with logistics")
    shoot(page, "workspace-ticket")
    assert serious_violations(page) == []
    page.get_by_test_id("resolve").click()
    page.get_by_test_id("resolution-kind").select_option("refund")
    page.get_by_test_id("resolution-amount").fill("25")
    shoot(page, "workspace-resolve")
    page.get_by_test_id("resolve-confirm").click()
    # Then the ticket is resolved with that resolution
    expect(page.get_by_test_id("ticket-status")).to_have_text("已解决")
    stored = desk.api("GET", f"/tickets/{ticket['id']}", "agent-li").json()
    assert stored["status"] == "resolved" and stored["resolution"]["kind"] == "refund"
    assert stored["resolution"]["amount"] == 25
    # And leaving the ticket records the time worked on it
    with page.expect_request(lambda r: r.url.endswith(f"/tickets/{ticket['id']}/work") and r.method == "POST") as sent:
        page.get_by_role("link", name="返回队列").click()
    assert sent.value.post_data_json["seconds"] >= 1
    # And the customer's timeline shows the reply, not the internal note
    page.goto(desk.url(f"/portal/tickets/{ticket['id']}", "demo-customer"))
    expect(page.get_by_test_id("timeline")).to_contain_text("Tracking SF1234")
    expect(page.get_by_test_id("ticket-status")).to_have_text("已解决")
    assert "Checked with logistics" not in visible_text(page)


def test_a_stale_edit_shows_what_changed_and_the_retry_saves_on_the_latest_version(desk: Desk, page: Page):
    # Given an agent with a ticket open
    ticket = desk.open_ticket("demo-customer", "Charged twice", "Two payments for order 1002.")
    desk.api("POST", f"/tickets/{ticket['id']}/assign", "agent-li", json={"take": True})
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Charged twice")
    # When they change the priority while someone else has changed the ticket
    page.get_by_test_id("edit-priority").select_option("P1")
    current = desk.api("GET", f"/tickets/{ticket['id']}", "sup-wang")
    other = desk.api(
        "PATCH",
        f"/tickets/{ticket['id']}",
        "sup-wang",
        json={"category": "payment", "tags": ["double-charge"]},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert other.status_code == 200, other.text
    page.get_by_test_id("save-ticket").click()
    # Then the conflict dialog shows what changed
    dialog = page.get_by_test_id("conflict-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("tr[data-field='tags']")).to_contain_text("double-charge")
    shoot(page, "workspace-conflict")
    assert serious_violations(page) == []
    # And retrying applies the change on the latest version, keeping the other person's
    page.get_by_test_id("conflict-retry").click()
    expect(dialog).to_be_hidden()
    saved = desk.api("GET", f"/tickets/{ticket['id']}", "agent-li").json()
    assert saved["priority"] == "P1" and saved["tags"] == ["double-charge"] and saved["category"] == "payment"


def test_switching_to_english_changes_every_visible_string(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", "Screen flickers", "The app screen flickers on start.")
    prefixes = "app|nav|queue|ticket|status|priority|category|sla|editor|timeline|error|canned|suggest|customer"
    keys = re.compile(rf"\b(?:{prefixes})\.[a-zA-Z.]+\b")
    for path in ("/", f"/tickets/{ticket['id']}"):
        page.goto(desk.url(path, "agent-li"))
        page.wait_for_load_state("networkidle")
        page.get_by_test_id("language").select_option("en")
        expect(page.locator("h1").first).not_to_contain_text(CJK)
        page.wait_for_load_state("networkidle")
        text = visible_text(page)
        # The language picker names each language in itself; everything else is English now.
        leftover = [line for line in text.splitlines() if CJK.search(line) and line not in ("简体中文", "繁體中文")]
        assert leftover == [], leftover
        assert keys.findall(text) == []
        shoot(page, f"workspace-english{'-ticket' if path != '/' else ''}")
        assert serious_violations(page) == []
        page.get_by_test_id("language").select_option("zh-CN")


def test_the_sign_in_page_lists_the_demo_users(desk: Desk, page: Page):
    page.goto(desk.url("/sign-in"))
    users = page.get_by_test_id("demo-users")
    for person in DEMO_PEOPLE:
        expect(users.locator(f"[data-user='{person.sub}']")).to_be_visible()
    shoot(page, "sign-in")
    assert serious_violations(page) == []
    users.locator("[data-user='agent-chen']").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("queue-mine")).to_be_visible()


def test_keyboard_shortcuts_take_the_ticket_and_open_the_internal_note(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", "Coupon not applied", "The coupon code did nothing.")
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Coupon not applied")
    page.keyboard.press("t")
    expect(page.get_by_test_id("ticket-assignee")).to_have_text("agent-li")
    page.keyboard.press("n")
    expect(page.get_by_test_id("visibility-internal")).to_be_checked()
    expect(page.get_by_test_id("reply-body")).to_be_focused()
    # Typed into the editor, the same keys are text, not shortcuts
    page.keyboard.type("eta tomorrow")
    expect(page.get_by_test_id("reply-body")).to_have_value("eta tomorrow")
    expect(page.get_by_test_id("resolve-dialog")).to_have_count(0)


def test_an_agent_sets_their_availability_and_a_supervisor_sees_their_own_load(desk: Desk, page: Page):
    # agent-chen works l2 and technical: changing him leaves the first-line routing of the other journeys alone
    page.goto(desk.url("/", "agent-chen"))
    try:
        page.get_by_test_id("availability").select_option("offline")
        expect(page.get_by_test_id("load")).to_be_visible()
        roster = desk.api("GET", "/groups/l2/agents", "sup-wang").json()
        assert next(m for m in roster if m["agentId"] == "agent-chen")["availability"] == "offline"
    finally:
        desk.set_availability("agent-chen", "online")
    page.goto(desk.url("/", "sup-wang"))
    expect(page.get_by_test_id("availability")).to_have_value("away")
    expect(page.get_by_test_id("load")).to_be_visible()


XSS_SUBJECT = "<img src=x onerror=\"window.__xss='subject'\">"
XSS_BODY = "<script>window.__xss='body'</script><b onmouseover=alert(1)>bold?</b>"
XSS_NAME = "<svg onload=\"window.__xss='name'\">Mallory"
XSS_FILE = "<img src=x onerror=\"window.__xss='file'\">.pdf"


def test_html_and_script_in_a_ticket_and_its_customer_are_shown_as_text(desk: Desk, page: Page):
    # Given a ticket whose subject, body and attachment name carry markup, from a customer whose name does too (the
    # file uploaded as the portal does: a pre-signed POST, then named by its key)
    import requests

    pdf = {"name": XSS_FILE, "contentType": "application/pdf", "size": 10}
    granted = desk.api("POST", "/tickets/attachments/uploads", "demo-customer", json=pdf).json()
    uploaded = requests.post(granted["uploadUrl"], data=granted["fields"], files={"file": (XSS_FILE, b"%PDF-1.4 x")})
    assert uploaded.status_code < 300, uploaded.text
    answer = desk.api(
        "POST",
        "/tickets",
        "demo-customer",
        json={"subject": XSS_SUBJECT, "description": XSS_BODY, "attachments": [{"key": granted["key"], **pdf}]},
    )
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    name_customer(desk, ticket["customerId"], XSS_NAME)
    # When an agent opens it from the queue
    page.goto(desk.url("/", "agent-li"))
    expect(page.locator(f"tr[data-ticket='{ticket['id']}']")).to_contain_text(XSS_SUBJECT)
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    # Then every piece is shown as the text it is, and none of it ran
    expect(page.get_by_test_id("ticket-subject")).to_have_text(XSS_SUBJECT)
    expect(page.get_by_test_id("ticket-description")).to_have_text(XSS_BODY)
    expect(page.get_by_test_id("ticket-attachments")).to_contain_text(XSS_FILE)
    expect(page.get_by_test_id("customer-name")).to_have_text(XSS_NAME)
    assert page.locator("main img, main svg, main script, main b").count() == 0
    assert page.evaluate("window.__xss") is None
    shoot(page, "workspace-xss-as-text")


PROBLEM = {"type": "about:blank", "title": "x", "detail": ""}


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (403, "You are not allowed to do this."),
        (404, "Page not found"),
        (500, "The service had a problem"),
        (503, "The service had a problem"),
    ],
)
def test_an_error_reading_a_ticket_is_a_clear_message(desk: Desk, page: Page, status: int, shown: str):
    ticket = desk.open_ticket("demo-customer", f"Error {status}", "Shown as a message.")
    page.add_init_script("localStorage.setItem('kefu.lang', 'en')")
    page.route(
        f"**/api/tickets/{ticket['id']}",
        lambda route: route.fulfill(
            status=status, json=PROBLEM | {"status": status}, headers={"content-type": "application/problem+json"}
        ),
    )
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    expect(page.locator("main")).to_contain_text(shown)
    shoot(page, f"workspace-error-{status}")


def test_a_refused_transition_and_a_lost_connection_are_each_a_clear_message(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", "Refused move", "The lifecycle says no.")
    page.add_init_script("localStorage.setItem('kefu.lang', 'en')")
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Refused move")
    # A 409 from the lifecycle names what was refused
    conflict = PROBLEM | {"status": 409, "detail": "new -> pending is not allowed"}
    page.route(
        f"**/api/tickets/{ticket['id']}/transition",
        lambda route: route.fulfill(status=409, json=conflict, headers={"content-type": "application/problem+json"}),
    )
    page.get_by_test_id("to-pending").click()
    expect(page.get_by_role("alert")).to_contain_text("Not possible in the current state: new -> pending")
    # Offline, sending a reply says the server cannot be reached and keeps the text
    page.context.set_offline(True)
    try:
        page.get_by_test_id("reply-body").fill("Sent while offline")
        page.get_by_test_id("send-reply").click()
        expect(page.locator(".editor form [role=alert]")).to_contain_text("Cannot reach the server")
        expect(page.get_by_test_id("reply-body")).to_have_value("Sent while offline")
        shoot(page, "workspace-error-offline")
    finally:
        page.context.set_offline(False)


def test_an_expired_session_signs_in_again_and_returns_to_the_same_ticket(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", "Session ends", "Mid-work.")
    page.goto(desk.url(f"/tickets/{ticket['id']}", "agent-li"))
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Session ends")
    # The API refuses the token (it expired): the agent is sent to sign in, told why
    page.route(
        "**/api/tickets/**",
        lambda route: route.fulfill(status=401, json={"message": "Unauthorized"}),
    )
    expect(page).to_have_url(re.compile(r"/sign-in\?next="), timeout=20_000)
    expect(page.get_by_test_id("expired")).to_be_visible()
    page.unroute("**/api/tickets/**")
    # And signing in again brings them back to the ticket they were on
    page.get_by_test_id("demo-users").locator("[data-user='agent-li']").click()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Session ends")
