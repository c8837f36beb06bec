"""Every role against every QA route: reviewers (the `qa` group alone), supervisors and admins review; agents read,
acknowledge and appeal their own reviews and read their own scorecard; supervisors and admins decide appeals;
customers reach nothing."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, SUPERVISOR
from tests.integration.qa_desk import REVIEWER, full_marks, resolved_by

ROLES = {
    "anonymous": None,
    "customer": CUSTOMER,
    "agent reviewed": AGENT,
    "another agent": AGENT_2,
    "reviewer": REVIEWER,
    "supervisor": SUPERVISOR,
    "admin": ADMIN,
}


def expect(anonymous, customer, agent, other_agent, reviewer, supervisor, admin):
    return dict(zip(ROLES, (anonymous, customer, agent, other_agent, reviewer, supervisor, admin), strict=True))


MONTH = {"month": "2026-11"}
# route → (method, path, body, query, expected status per role); {pending}, {scored}, {appealed}: AGENT's reviews
MATRIX = {
    "the queue": ("GET", "/qa/reviews", None, None, expect(401, 403, 200, 200, 200, 200, 200)),
    "an agent's reviews": (
        "GET",
        "/qa/reviews",
        None,
        {"agent": AGENT.sub},
        expect(401, 403, 200, 403, 200, 200, 200),
    ),
    "ask for a review": ("POST", "/qa/reviews", "ticket", None, expect(401, 403, 403, 403, 201, 201, 201)),
    "read a review": ("GET", "/qa/reviews/{scored}", None, None, expect(401, 403, 200, 404, 200, 200, 200)),
    "score a review": (
        "POST",
        "/qa/reviews/{pending}/score",
        full_marks(),
        None,
        expect(401, 403, 403, 403, 200, 200, 200),
    ),
    "acknowledge": ("POST", "/qa/reviews/{scored}/acknowledge", {}, None, expect(401, 403, 200, 404, 403, 403, 403)),
    "appeal": (
        "POST",
        "/qa/reviews/{scored}/appeal",
        {"reason": "The answer was right"},
        None,
        expect(401, 403, 200, 404, 403, 403, 403),
    ),
    "decide an appeal": (
        "POST",
        "/qa/reviews/{appealed}/decision",
        {"outcome": "upheld"},
        None,
        expect(401, 403, 403, 403, 403, 200, 200),
    ),
    "coverage": ("GET", "/qa/coverage", None, MONTH, expect(401, 403, 403, 403, 200, 200, 200)),
    # reviewers, supervisors and admins name the agent (400 without)
    "own scorecard": ("GET", "/qa/scorecards", None, MONTH, expect(401, 403, 200, 200, 400, 400, 400)),
    "an agent's scorecard": (
        "GET",
        "/qa/scorecards",
        None,
        {**MONTH, "agent": AGENT.sub},
        expect(401, 403, 200, 403, 200, 200, 200),
    ),
}
#: The declared route templates the matrix stands for (test_authorization_matrix checks every route is covered).
TEMPLATES = {
    ("GET", "/qa/reviews"),
    ("POST", "/qa/reviews"),
    ("GET", "/qa/reviews/{reviewId}"),
    ("POST", "/qa/reviews/{reviewId}/score"),
    ("POST", "/qa/reviews/{reviewId}/acknowledge"),
    ("POST", "/qa/reviews/{reviewId}/appeal"),
    ("POST", "/qa/reviews/{reviewId}/decision"),
    ("GET", "/qa/coverage"),
    ("GET", "/qa/scorecards"),
}
CASES = [(route, role) for route in MATRIX for role in ROLES]


def review_of(api, status: str) -> str:
    """A review of one of AGENT's resolved tickets, brought to `status` (pending, scored or appealed)."""
    made = api("POST", "/qa/reviews", who=REVIEWER, body={"ticketId": resolved_by(AGENT.sub).id}).json["id"]
    if status in ("scored", "appealed"):
        assert api("POST", f"/qa/reviews/{made}/score", who=REVIEWER, body=full_marks()).status == 200
    if status == "appealed":
        assert api("POST", f"/qa/reviews/{made}/appeal", who=AGENT, body={"reason": "r"}).status == 200
    return made


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{route} as {role}" for route, role in CASES])
def test_each_role_gets_the_answer_its_rights_allow(api, route, role):
    method, path, body, query, expected = MATRIX[route]
    for status in ("pending", "scored", "appealed"):
        if "{" + status + "}" in path:
            path = path.replace("{" + status + "}", review_of(api, status))
    if body == "ticket":
        body = {"ticketId": resolved_by(AGENT.sub).id}

    reply = api(method, path, who=ROLES[role], body=body, query=query)

    assert reply.status == expected[role], reply.text
    if reply.status >= 400 and reply.status != 401:
        assert reply.headers["content-type"] == "application/problem+json"


def test_the_matrix_names_every_qa_route(api):
    declared = {(m, p) for m, p, _ in api.module.declared_routes() if p.startswith("/qa/")}
    assert declared == TEMPLATES
