"""The AWS calls of the QA routes, under a ceiling per route (as tests/integration/test_cost.py).

A later capability may raise a ceiling only with its reason written beside it.
"""

from __future__ import annotations

import pytest

from tests.conftest import AGENT, SUPERVISOR
from tests.integration.qa_desk import REVIEWER, full_marks, resolved_by

TABLE = "kefu-test"


@pytest.fixture
def review(api) -> dict:
    ticket = resolved_by(AGENT.sub)
    return api("POST", "/qa/reviews", who=REVIEWER, body={"ticketId": ticket.id}).json


def calls(aws_calls, api, method: str, path: str, status: int = 200, **kwargs) -> list[str]:
    aws_calls.reset()
    reply = api(method, path, **kwargs)
    assert reply.status == status, reply.text
    # Every call is on the domain table (a BatchGetItem names its tables in its request, not as one table).
    assert all(s == "dynamodb" and t in (TABLE, None) for s, _, t in aws_calls.calls), aws_calls.calls
    return [operation for _, operation, _ in aws_calls.calls]


def test_the_queue_and_an_agents_reviews_are_one_query_then_one_read_by_key(api, review, aws_calls):
    # Issue 22: the indexes hold keys; a page that found reviews reads them by key in one BatchGetItem.
    one_page = (["Query"], ["Query", "BatchGetItem"])
    assert calls(aws_calls, api, "GET", "/qa/reviews", who=REVIEWER) in one_page
    assert calls(aws_calls, api, "GET", "/qa/reviews", who=REVIEWER, query={"agent": AGENT.sub}) in one_page
    assert calls(aws_calls, api, "GET", "/qa/reviews", who=AGENT) in one_page


def test_asking_for_a_review_is_three_calls(api, aws_calls):
    ticket = resolved_by(AGENT.sub)
    # The ticket, the reviews it has (the next number), the review and its agent's month in one transaction.
    assert calls(aws_calls, api, "POST", "/qa/reviews", 201, who=REVIEWER, body={"ticketId": ticket.id}) == [
        "GetItem",
        "Query",
        "TransactWriteItems",
    ]


def test_reading_a_review_is_three_calls(api, review, aws_calls):
    # The review, the ticket's findings, the ticket's reviews (calibration).
    assert sorted(calls(aws_calls, api, "GET", f"/qa/reviews/{review['id']}", who=REVIEWER)) == [
        "GetItem",
        "GetItem",
        "Query",
    ]


def test_scoring_answering_and_deciding_are_two_calls_each(api, review, aws_calls):
    path = f"/qa/reviews/{review['id']}"
    # The review, then the review and its agent's month in one transaction.
    assert calls(aws_calls, api, "POST", f"{path}/score", who=REVIEWER, body=full_marks()) == [
        "GetItem",
        "TransactWriteItems",
    ]
    assert calls(aws_calls, api, "POST", f"{path}/appeal", who=AGENT, body={"reason": "r"}) == ["GetItem", "PutItem"]
    assert calls(aws_calls, api, "POST", f"{path}/decision", who=SUPERVISOR, body={"outcome": "overturned"}) == [
        "GetItem",
        "TransactWriteItems",
    ]


def test_a_months_coverage_is_one_query(api, review, aws_calls):
    assert calls(aws_calls, api, "GET", "/qa/coverage", who=REVIEWER, query={"month": "2026-11"}) == ["Query"]


def test_a_scorecard_is_five_calls(api, review, aws_calls):
    aws_calls.reset()
    assert api("GET", "/qa/scorecards", who=AGENT, query={"month": "2026-11"}).status == 200
    # The agent's KPI aggregates and the desk's for the month's days (one BatchGetItem each, up to 100 days), the
    # month's coverage rows, the agent's canned-reply usage, the replies (one Query per 100).
    assert aws_calls.count() == {("dynamodb", "BatchGetItem"): 2, ("dynamodb", "Query"): 3}
