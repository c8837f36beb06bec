"""Survey pages (`/surveys/{token}`), opened from a link without signing in: answered once, then "already
answered"; an expired link and an unknown one each get their own page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import test_local_surveys as survey_links

from .browser import PHONE, Desk, serious_violations, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.web]


def resolved_ticket(desk: Desk, subject: str) -> str:
    ticket = desk.open_ticket("demo-customer", subject, "Order 1042.")
    body = {"to": "resolved", "resolution": {"kind": "reship"}}
    answer = desk.api("POST", f"/tickets/{ticket['id']}/transition", "agent-li", json=body)
    assert answer.status_code == 200, answer.text
    return ticket["id"]


def test_a_survey_link_is_answered_once_then_shows_already_answered(desk: Desk, page: Page):
    # Given a survey link for a resolved ticket, opened at phone width by someone not signed in
    ticket_id = resolved_ticket(desk, "Parcel late")
    link = survey_links.issue_survey(desk.stack, ticket_id)
    page.set_viewport_size(PHONE)
    page.goto(desk.url(link))
    form = page.get_by_test_id("survey-form")
    expect(form).to_contain_text(ticket_id)
    shoot(page, "survey-form")
    assert serious_violations(page) == []
    # When they answer it
    page.get_by_test_id("csat-4").check()
    page.get_by_test_id("nps-9").check()
    page.get_by_test_id("comment").fill("<b>Quick</b> and kind")
    page.get_by_test_id("survey-submit").click()
    # Then it is recorded, and opening the link again says it was answered
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    page.goto(desk.url(link))
    expect(page.get_by_test_id("survey-answered")).to_be_visible()
    shoot(page, "survey-answered")
    assert serious_violations(page) == []


def test_an_expired_link_has_its_own_page(desk: Desk, page: Page, monkeypatch: pytest.MonkeyPatch):
    ticket_id = resolved_ticket(desk, "Parcel late again")
    monkeypatch.setattr(survey_links, "ISSUE", survey_links.ISSUE.replace("timedelta(days=14)", "timedelta(seconds=1)"))
    link = survey_links.issue_survey(desk.stack, ticket_id)
    time.sleep(1.5)
    page.goto(desk.url(link))
    expect(page.get_by_test_id("survey-expired")).to_be_visible()
    shoot(page, "survey-expired")
    assert serious_violations(page) == []


def test_an_unknown_link_has_its_own_page(desk: Desk, page: Page):
    page.goto(desk.url("/surveys/not-a-token-kefu-signed"))
    expect(page.get_by_test_id("survey-unknown")).to_be_visible()
    shoot(page, "survey-unknown")
    assert serious_violations(page) == []
