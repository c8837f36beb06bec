"""Survey pages (`/surveys/{token}`), opened from a link without signing in: answered once, then "already
answered"; an expired link and an unknown one each get their own page."""

from __future__ import annotations

import email
import json
import re
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e import test_local_surveys as survey_links

from .browser import CUSTOMER_JOURNEYS, PHONE, Desk, serious_violations, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.web, CUSTOMER_JOURNEYS]


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


def mailed_survey_link(desk: Desk, address: str) -> str:
    """The survey link in the mail the local SES sent to `address` (moto keeps what it sent: /moto-api/data.json)."""
    data = requests.get(f"{desk.stack.aws_endpoint}/moto-api/data.json", timeout=30).json()
    for message in data.get("ses", {}).get("RawMessage", []):
        if address not in {a.lower() for a in message["destinations"]}:
            continue
        mail = email.message_from_string(message["raw_data"])
        for part in mail.walk():
            if part.get_content_maintype() == "text":
                found = re.search(r"https?://\S+/surveys/[A-Za-z0-9_.~-]+", part.get_payload(decode=True).decode())
                if found:
                    return found.group(0)
    raise AssertionError(f"no survey mail to {address} in the local mail store")


def send_campaign_batch(desk: Desk, ticket: dict, scheduled_at: datetime) -> dict:
    """The revisit campaign's Send task for one target, as its state machine runs it once its quiet hours are over
    (the function named in the machine's definition, invoked through the local Lambda endpoint)."""
    sfn, lambda_ = desk.stack.client("stepfunctions"), desk.stack.client("lambda")
    (machine,) = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if "revisit" in m["name"]]
    definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    (function,) = set(re.findall(r"arn:aws:lambda:[^\"]+:function:[^\":]+", definition))
    task = {
        "action": "send",
        "campaignId": "daily-csat-survey",
        "runId": f"journey-{ticket['id']}",
        "scheduledAt": scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "batch": {"batch": "b1", "targets": [{"ticketId": ticket["id"], "customerId": ticket["customerId"]}]},
    }
    answer = lambda_.invoke(FunctionName=function, Payload=json.dumps(task).encode())
    result = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer and result["sent"] == 1, result
    return result


def test_a_survey_mailed_by_a_campaign_is_opened_from_the_mail_and_answered_once(desk: Desk, page: Page):
    # Given a customer's ticket resolved, and the daily survey campaign run three days later (its window)
    customer = "mail-reader"
    ticket = desk.open_ticket(customer, "Parcel never came", "Order 3042.")
    body = {"to": "resolved", "resolution": {"kind": "reship"}}
    resolved = desk.api("POST", f"/tickets/{ticket['id']}/transition", "agent-li", json=body).json()
    resolved_at = datetime.fromisoformat(resolved["sla"]["resolvedAt"])
    send_campaign_batch(desk, ticket, resolved_at + timedelta(days=3))
    # When the customer opens the link in the mail they got
    link = mailed_survey_link(desk, f"{customer}@example.com")
    page.goto(desk.url(urlsplit(link).path))
    expect(page.get_by_test_id("survey-form")).to_contain_text(ticket["id"])
    page.get_by_test_id("csat-5").check()
    page.get_by_test_id("survey-submit").click()
    # Then it is answered, and the same link says so afterwards
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    page.goto(desk.url(urlsplit(link).path))
    expect(page.get_by_test_id("survey-answered")).to_be_visible()


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
