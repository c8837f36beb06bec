"""Agents' scorecards (`GET /qa/scorecards`): the agent's month beside the group's average, from the QA coverage, the
KPI aggregates by agent and the canned replies' usage; who may read whose."""

from __future__ import annotations

import pytest

from kefu.kpis import service as kpis
from kefu.qa.monthly import run
from tests.conftest import AGENT, AGENT_2, CUSTOMER, SUPERVISOR
from tests.integration.qa_desk import REVIEWER, full_marks, resolved_by


@pytest.fixture
def scored_month(desk, monkeypatch) -> None:
    """November: agent-zhang resolved 3 tickets, agent-li 1, sup-wang none; sampled; one review of each scored (100
    and 78); agent-zhang rendered a canned reply twice."""
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    tickets = [resolved_by(AGENT.sub, f"2026-11-{day:02d}T04:00:00+00:00") for day in (3, 4, 5)]
    tickets.append(resolved_by(AGENT_2.sub, "2026-11-06T04:00:00+00:00"))
    for ticket in tickets:
        kpis.refresh(ticket.id)
    run("2026-11")
    queue = desk("GET", "/qa/reviews", who=REVIEWER).json["items"]
    first = {review["agentId"]: review["id"] for review in queue}
    desk("POST", f"/qa/reviews/{first[AGENT.sub]}/score", who=REVIEWER, body=full_marks())
    desk("POST", f"/qa/reviews/{first[AGENT_2.sub]}/score", who=REVIEWER, body=full_marks(empathy=2, resolution=1))
    reply = {
        "title": "Thanks",
        "body": "您好，感谢您的耐心。",
        "group": "l1",
        "category": "logistics",
        "language": "zh-Hans",
    }
    reply_id = desk("POST", "/replies", who=SUPERVISOR, body=reply).json["id"]
    for _ in range(2):
        rendered = desk("POST", f"/replies/{reply_id}/render", who=AGENT, body={"ticketId": tickets[0].id})
        assert rendered.status == 200, rendered.text


def test_an_agents_scorecard_sets_each_figure_beside_the_groups_average(desk, scored_month):
    card = desk("GET", "/qa/scorecards", who=AGENT, query={"month": "2026-11"})

    assert card.status == 200, card.text
    figures = card.json
    assert (figures["agentId"], figures["agents"]) == (AGENT.sub, 3)
    assert figures["qaScore"] == {"agent": 100.0, "group": 89.0}
    assert figures["passRate"] == {"agent": 1.0, "group": 0.5}
    assert figures["qaReviews"] == {"agent": 1, "group": 0.67}
    assert figures["volume"] == {"agent": 3, "group": 1.33}
    assert figures["cannedReplyUses"] == {"agent": 2, "group": 0.67}
    assert figures["escalations"] == {"agent": 0, "group": 0.0}
    assert figures["csat"] == {"agent": None, "group": None}


def test_reviewers_name_the_agent_and_agents_read_only_their_own(desk, scored_month):
    other = desk("GET", "/qa/scorecards", who=REVIEWER, query={"month": "2026-11", "agent": AGENT_2.sub})
    assert other.status == 200 and other.json["qaScore"]["agent"] == 78.0
    assert desk("GET", "/qa/scorecards", who=REVIEWER, query={"month": "2026-11"}).status == 400
    assert desk("GET", "/qa/scorecards", who=AGENT, query={"month": "2026-11", "agent": AGENT_2.sub}).status == 403
    assert desk("GET", "/qa/scorecards", who=CUSTOMER, query={"month": "2026-11"}).status == 403
    assert desk("GET", "/qa/scorecards", who=AGENT, query={"month": "2026-13"}).status == 422


def test_an_agent_with_no_tickets_has_a_scorecard_of_nothing_beside_the_group(desk, scored_month):
    card = desk("GET", "/qa/scorecards", who=SUPERVISOR, query={"month": "2026-11", "agent": "me"}).json

    assert card["volume"] == {"agent": 0, "group": 1.33}
    assert card["qaScore"] == {"agent": None, "group": 89.0}
