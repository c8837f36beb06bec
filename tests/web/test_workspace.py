"""The agent workspace, as an agent uses it: find a new ticket in the queue, take it, reply, resolve it; a stale
edit meets the conflict dialog; the whole screen switches to English; axe-core finds nothing serious."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kefu_local.seed import DEMO_PEOPLE

from .browser import CJK, Desk, serious_violations, shoot, visible_text

pytestmark = [pytest.mark.e2e, pytest.mark.web]

FIRST_LINE = ("agent-li", "sup-wang")


@pytest.fixture(scope="module", autouse=True)
def first_line_away(desk: Desk) -> None:
    # With l1's agents away, routing leaves a new ticket unassigned in the group's queue for someone to take.
    for agent in FIRST_LINE:
        desk.set_availability(agent, "away")


def test_an_agent_takes_a_new_ticket_replies_and_resolves_it_and_the_customer_sees_the_reply(desk: Desk, page: Page):
    # Given a customer's new ticket waiting in the first-line queue
    ticket = desk.open_ticket("demo-customer", "Where is my parcel?", "Order 1001 has not arrived.")
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
    page.get_by_test_id("reply-body").fill("Your parcel left the depot today; tracking SF1234.")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("tracking SF1234")
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
    # And the customer's timeline shows the reply, not the internal note
    page.goto(desk.url(f"/portal/tickets/{ticket['id']}", "demo-customer"))
    expect(page.get_by_test_id("timeline")).to_contain_text("tracking SF1234")
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
    keys = re.compile(r"\b(?:app|nav|queue|ticket|status|priority|category|sla|editor|timeline|error)\.[a-zA-Z.]+\b")
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
