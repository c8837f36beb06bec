"""A customer rates their resolved ticket in the portal (answering the e-mailed survey when one is open), once; and
reopens it with the button only within the reopen window, as a message would."""

from __future__ import annotations

import pytest

from kefu.store import surveys as survey_store
from tests.conftest import AGENT, CUSTOMER, OTHER_CUSTOMER
from tests.integration.conftest import open_ticket
from tests.integration.test_surveys import assert_problem, issue, resolved_ticket, timeline

RATING = {"csat": 5, "nps": 9, "comment": "Quick refund, thank you"}


def rate(desk, ticket_id: str, who=CUSTOMER, **body):
    return desk("POST", f"/tickets/{ticket_id}/rating", who=who, body=body or RATING)


def test_a_resolved_ticket_is_rated_once_and_the_rating_is_on_its_public_timeline(desk):
    ticket = resolved_ticket(desk)
    reply = rate(desk, ticket["id"])
    assert reply.status == 201, reply.text
    assert (reply.json["csat"], reply.json["nps"], reply.json["channel"]) == (5, 9, "portal")
    seen = timeline(desk, ticket["id"], who=CUSTOMER)
    answered = [e for e in seen if e["kind"] == "survey" and e["data"].get("event") == "answered"]
    assert [(e["data"]["csat"], e["body"]) for e in answered] == [(5, "Quick refund, thank you")]
    assert_problem(rate(desk, ticket["id"]), 409)


def test_the_rating_answers_the_survey_a_campaign_emailed_and_its_link_then_says_answered(desk):
    ticket = resolved_ticket(desk)
    issued = issue(ticket["id"])
    reply = rate(desk, ticket["id"], csat=2)
    assert reply.status == 201, reply.text
    assert (reply.json["surveyId"], reply.json["channel"]) == (issued.survey.id, "email")
    assert survey_store.read(issued.survey.id).answer.csat == 2
    assert_problem(desk("GET", issued.link, who=None), 409)


def test_a_ticket_whose_emailed_survey_was_answered_cannot_be_rated_again(desk):
    ticket = resolved_ticket(desk)
    issued = issue(ticket["id"])
    assert desk("POST", issued.link, who=None, body={"csat": 4}).status == 201
    assert_problem(rate(desk, ticket["id"]), 409)


def test_an_open_ticket_is_not_rated_and_nobody_else_rates_it(desk):
    ticket = open_ticket(desk)
    assert_problem(rate(desk, ticket["id"]), 409)
    resolved = resolved_ticket(desk)
    assert_problem(rate(desk, resolved["id"], who=OTHER_CUSTOMER), 404)
    assert_problem(rate(desk, resolved["id"], who=AGENT), 403)


@pytest.mark.parametrize("body", [{"csat": 0}, {"csat": 6}, {"csat": 3, "nps": 11}, {}])
def test_a_rating_out_of_range_is_a_422(desk, body):
    ticket = resolved_ticket(desk)
    reply = desk("POST", f"/tickets/{ticket['id']}/rating", who=CUSTOMER, body=body)
    assert_problem(reply, 422)


def test_the_customer_reopens_a_resolved_ticket_within_the_window_and_not_after_it(desk, monkeypatch):
    recent = resolved_ticket(desk)
    reply = desk("POST", f"/tickets/{recent['id']}/transition", who=CUSTOMER, body={"to": "open"})
    assert (reply.status, reply.json["status"]) == (200, "open")

    monkeypatch.setenv("KEFU_REOPEN_WINDOW_DAYS", "0")  # any resolution is now older than the window
    old = resolved_ticket(desk)
    reply = desk("POST", f"/tickets/{old['id']}/transition", who=CUSTOMER, body={"to": "open"})
    assert_problem(reply, 409)
    assert "too long ago" in reply.json["detail"]
    assert desk("POST", f"/tickets/{old['id']}/transition", who=CUSTOMER, body={"to": "closed"}).status == 200
