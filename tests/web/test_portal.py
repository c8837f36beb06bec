"""The customer portal, at phone and desktop widths: open a ticket, see an agent's reply and the new status arrive
without reloading, reopen and close; never another customer's ticket; HTML and script shown as text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kefu_local.tokens import LocalUserPool

from .browser import CJK, CUSTOMER_JOURNEYS, DESKTOP, PHONE, Desk, serious_violations, shoot, visible_text
from .conftest import new_context

pytestmark = [pytest.mark.e2e, pytest.mark.web, CUSTOMER_JOURNEYS]

XSS_SUBJECT = "<img src=x onerror=\"window.__xss='subject'\">"
#: A small PNG (its signature and a few bytes: the portal and kefu check the declared type and the size, not pixels).
PHOTO = {"name": "lid.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(range(64))}
XSS_BODY = "<script>window.__xss='body'</script><b onmouseover=alert(1)>bold?</b>"


def customers_tickets(desk: Desk) -> list[dict]:
    """Every ticket of the demo customer, page after page: the journeys on the shared stack open theirs too."""
    items: list[dict] = []
    cursor = None
    while True:
        page = desk.api("GET", "/tickets", "demo-customer", params={"limit": 100, "cursor": cursor}).json()
        items.extend(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            return items


def resolve(desk: Desk, ticket_id: str, kind: str) -> None:
    body = {"to": "resolved", "resolution": {"kind": kind}}
    answer = desk.api("POST", f"/tickets/{ticket_id}/transition", "agent-li", json=body)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_a_customer_opens_a_ticket_and_sees_the_reply_and_status_arrive_without_reloading(
    desk: Desk, browser: Browser, viewport: dict[str, int]
):
    context = new_context(browser, viewport)
    page = context.new_page()
    width = viewport["width"]
    # Given the customer signed in on the portal
    page.goto(desk.url("/portal", "demo-customer"))
    page.get_by_test_id("new-ticket").click()
    # When they open a ticket through the form
    page.get_by_test_id("subject").fill(f"Lid cracked ({width})")
    page.get_by_test_id("category").select_option("after_sales")
    page.get_by_test_id("description").fill("The lid of order 1042 arrived cracked.")
    # With a photo, uploaded straight to the bucket once the limits shown under the picker allow it
    expect(page.get_by_test_id("file-limits")).to_contain_text("10 MB")
    page.get_by_test_id("file-input").set_input_files(PHOTO)
    expect(page.get_by_test_id("attached-files")).to_contain_text("lid.png")
    shoot(page, f"portal-new-{width}")
    assert serious_violations(page) == []
    page.get_by_test_id("submit").click()
    # Then they see it received, with what happens next and their photo, which downloads as it was sent
    expect(page.get_by_test_id("ticket-subject")).to_have_text(f"Lid cracked ({width})")
    ticket_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("next-step")).to_be_visible()
    with page.expect_download() as downloaded:
        page.get_by_test_id("ticket-files").get_by_test_id("download").click()
    assert downloaded.value.suggested_filename == "lid.png"
    assert Path(downloaded.value.path()).read_bytes() == PHOTO["buffer"]
    # And when an agent answers and resolves it through the API, the page shows both without a reload
    page.evaluate("window.__sameDocument = true")
    reply = desk.api(
        "POST", f"/tickets/{ticket_id}/messages", "agent-li", json={"body": "We are sending a new lid today."}
    )
    assert reply.status_code == 201, reply.text
    resolve(desk, ticket_id, "reship")
    expect(page.get_by_test_id("timeline")).to_contain_text("We are sending a new lid today.")
    expect(page.get_by_test_id("ticket-status")).to_have_text("已解决")
    assert page.evaluate("window.__sameDocument") is True
    # And they rate the resolution, once
    page.get_by_test_id("rating-4").check()
    page.get_by_test_id("rating-comment").fill("<b>New lid</b> came fast")
    shoot(page, f"portal-conversation-{width}")
    assert serious_violations(page) == []
    page.get_by_test_id("rating-submit").click()
    expect(page.get_by_test_id("rated")).to_contain_text("4/5")
    expect(page.get_by_test_id("timeline")).to_contain_text("<b>New lid</b> came fast")
    # And they can reopen it, and close it once resolved again
    page.get_by_test_id("reopen").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("处理中")
    resolve(desk, ticket_id, "answer")
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("已关闭")
    page.goto(desk.url("/portal"))
    expect(page.get_by_test_id("my-tickets")).to_contain_text(f"Lid cracked ({width})")
    shoot(page, f"portal-list-{width}")
    assert serious_violations(page) == []
    context.close()


def test_an_oversized_or_unaccepted_file_is_refused_before_upload(desk: Desk, page: Page):
    page.goto(desk.url("/portal/new", "demo-customer"))
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/local/s3/" in r.url or "/uploads" in r.url else None)
    big = {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * (10 * 1024 * 1024)}
    page_file = {"name": "page.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"}
    page.get_by_test_id("file-input").set_input_files([big, page_file])
    refused = page.get_by_test_id("file-refused")
    expect(refused).to_contain_text("scan.pdf")
    expect(refused).to_contain_text("page.html")
    assert uploads == []
    assert page.get_by_test_id("attached-files").count() == 0
    shoot(page, "portal-file-refused")
    assert serious_violations(page) == []


def test_a_double_submit_opens_one_ticket(desk: Desk, page: Page):
    page.goto(desk.url("/portal/new", "demo-customer"))
    page.get_by_test_id("subject").fill("Double tap")
    page.get_by_test_id("description").fill("Pressed twice.")
    before = len(customers_tickets(desk))
    page.get_by_test_id("submit").dblclick()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Double tap")
    after = customers_tickets(desk)
    assert len(after) == before + 1
    assert [t["subject"] for t in after].count("Double tap") == 1


def test_another_customers_ticket_gives_the_not_found_page(desk: Desk, page: Page):
    theirs = desk.open_ticket("someone-else", "Private matter", "Not for other eyes.")
    page.goto(desk.url(f"/portal/tickets/{theirs['id']}", "demo-customer"))
    expect(page.get_by_test_id("not-found")).to_be_visible()
    assert "Private matter" not in visible_text(page)
    shoot(page, "portal-not-found")
    assert serious_violations(page) == []


def test_html_and_script_in_a_ticket_are_shown_as_text(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", XSS_SUBJECT, XSS_BODY)
    for path, user in ((f"/portal/tickets/{ticket['id']}", "demo-customer"), (f"/tickets/{ticket['id']}", "agent-li")):
        page.goto(desk.url(path, user))
        expect(page.get_by_test_id("ticket-subject")).to_contain_text(XSS_SUBJECT)
        expect(page.get_by_test_id("ticket-description")).to_have_text(XSS_BODY)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        assert page.locator("main img, main script, main b").count() == 0
    page.goto(desk.url("/", "agent-li"))
    page.get_by_test_id("filter-status").select_option("open")
    page.get_by_test_id("queue-mine").click()
    expect(page.get_by_test_id("queue")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    shoot(page, "xss-as-text")


def test_a_session_that_expires_mid_form_signs_in_again_and_keeps_what_was_typed(desk: Desk, page: Page):
    # Given a customer typing a new ticket
    page.goto(desk.url("/portal/new", "demo-customer"))
    page.get_by_test_id("subject").fill("Session ran out")
    page.get_by_test_id("description").fill("Typed before the session expired.")
    # When their session has expired by the time they submit
    expired = LocalUserPool.load_or_create(desk.stack.state_dir).mint(
        "demo-customer", email="customer@example.com", now=time.time() - 7200, ttl_seconds=60
    )
    page.evaluate("(token) => localStorage.setItem('kefu.token', token)", expired)
    page.get_by_test_id("submit").click()
    # Then they sign in again and come back to the form as they left it
    expect(page.get_by_test_id("demo-users")).to_be_visible()
    shoot(page, "portal-session-expired")
    page.locator("[data-user='demo-customer']").click()
    expect(page.get_by_test_id("subject")).to_have_value("Session ran out")
    expect(page.get_by_test_id("description")).to_have_value("Typed before the session expired.")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Session ran out")


def test_a_submit_that_failed_offline_is_retried_with_the_same_idempotency_key(desk: Desk, page: Page):
    page.goto(desk.url("/portal/new", "demo-customer"))
    page.get_by_test_id("subject").fill("Sent from a train")
    page.get_by_test_id("description").fill("The tunnel cut the connection.")
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key", "")) if r.method == "POST" else None)
    page.context.set_offline(True)
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("alert")).to_be_visible()
    shoot(page, "portal-offline")
    page.context.set_offline(False)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Sent from a train")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    mine = customers_tickets(desk)
    assert [t["subject"] for t in mine].count("Sent from a train") == 1


def test_the_portal_switches_to_english_and_back_to_traditional_chinese(desk: Desk, page: Page):
    ticket = desk.open_ticket("demo-customer", "Wrong colour", "Ordered blue, got red.")
    for path in ("/portal", f"/portal/tickets/{ticket['id']}", "/portal/new"):
        page.goto(desk.url(path, "demo-customer"))
        page.wait_for_load_state("networkidle")
        page.get_by_test_id("language").select_option("en")
        expect(page.locator("h1").first).not_to_contain_text(CJK)
        leftover = [line for line in visible_text(page).splitlines() if CJK.search(line)]
        assert leftover == ["简体中文", "繁體中文"], leftover
        page.get_by_test_id("language").select_option("zh-TW")
        expect(page.locator("nav")).to_contain_text("我的工單")
        page.get_by_test_id("language").select_option("zh-CN")


def test_an_article_found_while_typing_solves_it_and_no_ticket_is_opened(desk: Desk, page: Page):
    page.set_viewport_size(PHONE)
    before = len(customers_tickets(desk))
    page.goto(desk.url("/portal/new", "demo-customer"))
    page.get_by_test_id("subject").fill("退货退款")
    page.get_by_test_id("description").fill("收到的商品有问题，想退货，运费谁出？")
    expect(page.get_by_test_id("suggestion").first).to_be_visible()
    shoot(page, "portal-suggestions-375")
    assert serious_violations(page) == []
    page.get_by_test_id("suggestion").first.get_by_test_id("solved").click()
    expect(page.get_by_test_id("deflected")).to_be_visible()
    shoot(page, "portal-deflected-375")
    assert len(customers_tickets(desk)) == before
    # The draft went with it: the form is empty again
    page.goto(desk.url("/portal/new"))
    expect(page.get_by_test_id("subject")).to_have_value("")


def test_the_article_offered_on_a_new_ticket_resolves_it(desk: Desk, page: Page):
    answer = desk.api(
        "POST",
        "/tickets",
        "demo-customer",
        json={"subject": "快递什么时候到？", "description": "订单 5042 的物流一直没有更新。", "category": "logistics"},
    )
    assert answer.status_code == 201, answer.text
    page.goto(desk.url(f"/portal/tickets/{answer.json()['id']}", "demo-customer"))
    offered = page.get_by_test_id("offered-article")
    expect(offered).to_be_visible()
    shoot(page, "portal-offered-article")
    assert serious_violations(page) == []
    offered.get_by_test_id("ticket-solved").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("已解决")
    expect(page.get_by_test_id("offered-article")).to_have_count(0)


@pytest.mark.parametrize(
    ("viewport", "language", "saved", "title"),
    [(PHONE, "en", "Saved.", "My profile"), (DESKTOP, "zh-Hant", "已儲存。", "我的資料")],
    ids=["375px", "1280px"],
)
def test_the_customer_changes_their_name_language_and_contact_preferences(
    desk: Desk, browser: Browser, viewport: dict[str, int], language: str, saved: str, title: str
):
    context = new_context(browser, viewport)
    page = context.new_page()
    name = f"Ann Demo {viewport['width']}"
    page.goto(desk.url("/portal", "demo-customer"))
    page.get_by_test_id("profile-link").click()
    page.get_by_test_id("profile-name").fill(name)
    page.get_by_test_id("profile-language").select_option(language)
    page.get_by_test_id("contact-phone").uncheck()
    shoot(page, f"portal-profile-{viewport['width']}")
    assert serious_violations(page) == []
    page.get_by_test_id("profile-save").click()
    # Saved, and the page now speaks the preferred language
    expect(page.get_by_test_id("profile-notice")).to_have_text(saved)
    expect(page.locator("h1")).to_have_text(title)
    me = desk.api("GET", "/me", "demo-customer").json()
    assert (me["name"], me["preferredLanguage"], me["contactPreferences"]) == (
        name,
        language,
        {"email": True, "phone": False, "notifications": True, "notifyBy": None, "timeZone": None},
    )
    context.close()
