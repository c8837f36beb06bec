"""The QA review workflow through the HTTP API: asking for a review, scoring it on its rubric, the agent's
acknowledgement or appeal within the window, a supervisor's decision, calibration, and who may do what (4xx
problems for everything else)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from kefu import clock
from kefu.qa import reviews
from tests.conftest import AGENT, AGENT_2, CUSTOMER, SUPERVISOR, Identity
from tests.integration.qa_desk import REVIEWER, REVIEWER_2, full_marks, resolved_by

PROBLEM = "application/problem+json"


@pytest.fixture
def review(api) -> dict:
    ticket = resolved_by(AGENT.sub)
    made = api("POST", "/qa/reviews", who=REVIEWER, body={"ticketId": ticket.id})
    assert made.status == 201, made.text
    return made.json


def later(monkeypatch, days: float) -> None:
    moment = clock.now() + timedelta(days=days)
    monkeypatch.setattr(reviews, "clock", SimpleNamespace(now=lambda: moment))


def test_a_reviewer_scores_a_review_and_the_agent_acknowledges_it(api, review):
    assert review["status"] == "pending" and review["month"] == "2026-11" and review["rubric"]["version"] == "1"

    scored = api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks(empathy=2, resolution=1))

    assert scored.status == 200, scored.text
    assert (scored.json["total"], scored.json["passed"], scored.json["reviewerId"]) == (78.0, False, REVIEWER.sub)
    mine = api("GET", "/qa/reviews", who=AGENT, query={"agent": "me"}).json["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(review["id"], "scored")]
    acknowledged = api("POST", f"/qa/reviews/{review['id']}/acknowledge", who=AGENT, body={})
    assert acknowledged.status == 200 and acknowledged.json["status"] == "acknowledged"


def test_the_queue_lists_pending_reviews_nobody_holds_then_the_reviewers_own(api, review):
    queue = api("GET", "/qa/reviews", who=REVIEWER, query={"status": "pending", "reviewer": "none"}).json["items"]
    assert [r["id"] for r in queue] == [review["id"]]

    api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks())

    assert api("GET", "/qa/reviews", who=REVIEWER, query={"reviewer": "none"}).json["items"] == []
    held = api("GET", "/qa/reviews", who=REVIEWER, query={"status": "scored", "reviewer": "me", "month": "2026-11"})
    assert [r["id"] for r in held.json["items"]] == [review["id"]]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (full_marks(greeting=6), "'greeting' scores 0..5, got 6"),
        ({"items": [*full_marks()["items"], {"item": "speed", "score": 1}]}, "'speed' is not an item of rubric 1"),
        ({"items": full_marks()["items"][:-1]}, "'closing' is not scored"),
        ({"items": [*full_marks()["items"], {"item": "closing", "score": 1}]}, "item 'closing' is scored twice"),
    ],
)
def test_scores_outside_the_rubric_are_422_naming_the_item(api, review, body, detail):
    reply = api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=body)

    assert reply.status == 422 and reply.headers["content-type"] == PROBLEM
    assert reply.json["detail"] == detail


def test_nobody_scores_a_review_of_their_own_ticket(api, review):
    agent_in_qa = Identity(AGENT.sub, ("agent", "qa"))

    reply = api("POST", f"/qa/reviews/{review['id']}/score", who=agent_in_qa, body=full_marks())

    assert reply.status == 403 and reply.headers["content-type"] == PROBLEM


def test_a_review_held_by_one_reviewer_is_409_for_another(api, review):
    api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks())

    reply = api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER_2, body=full_marks())

    assert reply.status == 409


def test_an_appeal_after_the_window_is_409(api, review, monkeypatch):
    api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks(accuracy=0))
    later(monkeypatch, days=7.01)

    reply = api("POST", f"/qa/reviews/{review['id']}/appeal", who=AGENT, body={"reason": "The answer was right"})

    assert reply.status == 409 and "window" in reply.json["detail"]
    assert api("POST", f"/qa/reviews/{review['id']}/acknowledge", who=AGENT, body={}).status == 409


def test_a_supervisor_overturns_an_appeal_and_the_review_leaves_the_agents_score(api, review):
    scored = api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks(accuracy=0)).json
    assert (scored["total"], scored["fatalFailed"]) == (0.0, ["accuracy"])
    appealed = api("POST", f"/qa/reviews/{review['id']}/appeal", who=AGENT, body={"reason": "The answer was right"})
    assert appealed.status == 200 and appealed.json["appeal"]["reason"] == "The answer was right"
    assert api("POST", f"/qa/reviews/{review['id']}/decision", who=AGENT, body={"outcome": "overturned"}).status == 403
    assert api("POST", f"/qa/reviews/{review['id']}/decision", who=REVIEWER, body={"outcome": "upheld"}).status == 403
    before = api("GET", "/qa/coverage", who=SUPERVISOR, query={"month": "2026-11"}).json["agents"][0]
    assert (before["scoredReviews"], before["qaScore"]) == (1, 0.0)

    decided = api(
        "POST", f"/qa/reviews/{review['id']}/decision", who=SUPERVISOR, body={"outcome": "overturned", "note": "ok"}
    )

    assert decided.status == 200 and decided.json["decision"]["by"] == SUPERVISOR.sub
    after = api("GET", "/qa/coverage", who=SUPERVISOR, query={"month": "2026-11"}).json["agents"][0]
    assert (after["reviewed"], after["scoredReviews"], after["qaScore"]) == (1, 0, None)
    again = api("POST", f"/qa/reviews/{review['id']}/decision", who=SUPERVISOR, body={"outcome": "upheld"})
    assert again.status == 409


def test_two_reviewers_of_one_ticket_see_their_agreement(api, review):
    second = api(
        "POST", "/qa/reviews", who=SUPERVISOR, body={"ticketId": review["ticketId"], "reviewerId": REVIEWER_2.sub}
    )
    assert second.status == 201 and second.json["calibration"] is True and second.json["id"].endswith("-R2")
    api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks())
    api("POST", f"/qa/reviews/{second.json['id']}/score", who=REVIEWER_2, body=full_marks(empathy=3, closing=0))

    shown = api("GET", f"/qa/reviews/{review['id']}", who=REVIEWER).json["agreement"]

    # empathy spread 2/5, closing 5/5 over 7 items: 1 - 1.4/7
    assert shown["reviews"] == 2 and shown["totalSpread"] == 9.0 and shown["agreement"] == 0.8
    assert shown["itemsDisputed"] == ["empathy", "closing"]
    coverage = api("GET", "/qa/coverage", who=REVIEWER, query={"month": "2026-11"}).json
    assert (coverage["totals"]["sampled"], coverage["totals"]["reviewed"], coverage["totals"]["qaScore"]) == (
        1,
        1,
        100.0,
    )


def test_an_agent_reads_only_their_own_reviews(api, review):
    assert api("GET", f"/qa/reviews/{review['id']}", who=AGENT).status == 200
    assert api("GET", f"/qa/reviews/{review['id']}", who=AGENT_2).status == 404
    assert api("GET", "/qa/reviews", who=AGENT_2, query={"agent": AGENT.sub}).status == 403
    assert api("GET", "/qa/reviews", who=AGENT_2).json["items"] == []
    assert api("GET", "/qa/reviews", who=CUSTOMER).status == 403
    assert api("POST", f"/qa/reviews/{review['id']}/acknowledge", who=AGENT_2, body={}).status == 404


def test_a_review_of_an_open_ticket_is_409_and_of_an_unknown_one_404(api):
    from tests.integration.conftest import open_ticket

    ticket = open_ticket(api)

    assert api("POST", "/qa/reviews", who=REVIEWER, body={"ticketId": ticket["id"]}).status == 409
    assert api("POST", "/qa/reviews", who=REVIEWER, body={"ticketId": "TK-ZZZZZZZZ"}).status == 404
    assert api("GET", "/qa/reviews/not-a-review", who=REVIEWER).status == 404
    for unknown in (f"{ticket['id']}-R1", f"{ticket['id']}-R01", "X" * 2000 + "-R1", f"{ticket['id']}-R٣"):
        assert api("GET", f"/qa/reviews/{unknown}", who=REVIEWER).status == 404, unknown
    assert api("GET", "/qa/reviews", who=REVIEWER, query={"agent": "me", "reviewer": "me"}).status == 400


def test_a_rubric_changed_mid_month_leaves_earlier_reviews_on_theirs(api, review, tmp_path, monkeypatch):
    import json

    from kefu import deployment

    rubric = {
        "version": "2",
        "pass_mark": 60,
        "items": [{"id": "accuracy", "name": "Accuracy", "weight": 1, "max": 3, "fatal": True}],
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps({"qa": {"rubric": rubric}}), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    newer = api("POST", "/qa/reviews", who=SUPERVISOR, body={"ticketId": resolved_by(AGENT_2.sub).id}).json

    old = api("POST", f"/qa/reviews/{review['id']}/score", who=REVIEWER, body=full_marks(empathy=2, resolution=1))
    new = api(
        "POST", f"/qa/reviews/{newer['id']}/score", who=REVIEWER, body={"items": [{"item": "accuracy", "score": 2}]}
    )

    assert (old.status, old.json["rubric"]["version"], old.json["total"]) == (200, "1", 78.0)
    assert (new.status, new.json["rubric"]["version"], new.json["total"], new.json["passed"]) == (200, "2", 66.7, True)
    # Correcting the newer review with the older rubric's items: refused, naming them.
    wrong = api("POST", f"/qa/reviews/{newer['id']}/score", who=REVIEWER, body=full_marks())
    assert wrong.status == 422 and "'greeting' is not an item of rubric 2" in wrong.json["detail"]
