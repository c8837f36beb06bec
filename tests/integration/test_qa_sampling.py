"""The monthly QA sampling (functions/qa, kefu.qa.monthly) over a desk's month: every agent of a group covered (one
with no tickets as such), complaints first, reviews made pending in the queue, and a month sampled again changing
nothing."""

from __future__ import annotations

import pytest

from kefu.model.tickets import Category, Status
from kefu.qa.monthly import run
from tests.conftest import AGENT, AGENT_2, SUPERVISOR, LambdaContext, load_function
from tests.integration.qa_desk import REVIEWER, resolved_by


@pytest.fixture
def month(desk) -> dict[str, list[str]]:
    """November 2026: agent-zhang resolved 7 tickets (one a complaint), agent-li 2 (one closed), sup-wang none;
    one of agent-zhang's was resolved in October."""
    zhang = [resolved_by(AGENT.sub, f"2026-11-{day:02d}T04:00:00+00:00").id for day in range(2, 8)]
    zhang.append(resolved_by(AGENT.sub, "2026-11-20T04:00:00+00:00", category=Category.COMPLAINT).id)
    li = [
        resolved_by(AGENT_2.sub, "2026-11-03T04:00:00+00:00").id,
        resolved_by(AGENT_2.sub, "2026-11-30T23:00:00+00:00", status=Status.CLOSED).id,
    ]
    resolved_by(AGENT.sub, "2026-10-31T04:00:00+00:00")
    return {AGENT.sub: zhang, AGENT_2.sub: li}


def test_every_agent_of_the_desk_is_covered(api, month):
    report = load_function("qa").lambda_handler({"month": "2026-11"}, LambdaContext())

    assert (report["agents"], report["agentsWithoutTickets"], report["resolved"]) == (3, 1, 9)
    assert (report["sampled"], report["reviewsMade"], report["repeated"]) == (7, 7, False)
    coverage = api("GET", "/qa/coverage", who=REVIEWER, query={"month": "2026-11"}).json
    rows = {row["agentId"]: row for row in coverage["agents"]}
    assert {agent: (row["resolved"], row["sampled"], row["noTickets"]) for agent, row in rows.items()} == {
        AGENT.sub: (7, 5, False),
        AGENT_2.sub: (2, 2, False),
        SUPERVISOR.sub: (0, 0, True),
    }
    assert coverage["totals"]["agentsCovered"] == 3 and coverage["sampledAt"] is not None


def test_the_sampled_reviews_wait_in_the_queue_complaints_first(api, month):
    run("2026-11")

    queue = api("GET", "/qa/reviews", who=REVIEWER, query={"status": "pending", "reviewer": "none"}).json["items"]
    zhang = [review for review in queue if review["agentId"] == AGENT.sub]
    assert len(queue) == 7 and {review["ticketId"] for review in queue} <= {t for ts in month.values() for t in ts}
    complaint = month[AGENT.sub][-1]
    assert [review["reason"] for review in zhang if review["ticketId"] == complaint] == ["complaint"]
    assert {review["reason"] for review in zhang if review["ticketId"] != complaint} == {"random"}


def test_a_month_sampled_again_changes_nothing(api, month, aws_calls):
    first = run("2026-11")
    aws_calls.reset()

    again = load_function("qa").lambda_handler({"scheduledAt": "2026-12-01T03:00:00Z"}, LambdaContext())

    assert again["repeated"] is True and again["sampled"] == first["sampled"] == 7
    assert aws_calls.count() == {("dynamodb", "GetItem"): 1}
    assert len(api("GET", "/qa/reviews", who=REVIEWER).json["items"]) == 7


def test_a_run_cut_short_and_started_again_makes_only_the_missing_reviews(api, month, monkeypatch):
    from kefu.qa import monthly

    real = monthly.create_sampled
    made: list[str] = []

    def fails_after_three(ticket, agent, reason, at):
        if len(made) == 3:
            raise RuntimeError("cut short")
        made.append(ticket.id)
        return real(ticket, agent, reason, at)

    monkeypatch.setattr(monthly, "create_sampled", fails_after_three)
    with pytest.raises(RuntimeError):
        run("2026-11")
    monkeypatch.setattr(monthly, "create_sampled", real)

    report = run("2026-11")

    assert (report["sampled"], report["reviewsMade"]) == (7, 4)
    assert len(api("GET", "/qa/reviews", who=REVIEWER).json["items"]) == 7


def test_a_malformed_start_is_refused():
    from pydantic import ValidationError

    handler = load_function("qa")
    for event in ({}, {"month": "2026-13"}, {"month": "2026-11", "scheduledAt": "2026-12-01T03:00:00Z"}):
        with pytest.raises(ValidationError):
            handler.lambda_handler(event, LambdaContext())
