"""Every role against every knowledge route: customers read published public articles only, editors write articles
and nothing else, agents read and render, supervisors and admins write replies."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, CUSTOMER, SUPERVISOR
from tests.integration.conftest import open_ticket
from tests.integration.test_knowledge_api import EDITOR, REPLY, kb, publish, write  # noqa: F401 (kb: a fixture)

ROLES = {"anonymous": None, "customer": CUSTOMER, "agent": AGENT, "supervisor": SUPERVISOR, "admin": ADMIN}
ROLES["editor"] = EDITOR


def expect(anonymous, customer, agent, supervisor, admin, editor):
    return dict(zip(ROLES, (anonymous, customer, agent, supervisor, admin, editor), strict=True))


#: Rendered by every staff role: admins have no agent record (so no agent.name), and that is not what is tested here.
RENDERABLE = {**REPLY, "body": "{{customer.name}}您好，工单 {{ticket.id}} 已受理。"}
ARTICLE = {"title": "Parcel lockers", "body": "Collect it with the code.", "language": "en", "category": "logistics"}

# route → (method, path, body, expected status per role)
MATRIX = {
    "search articles": ("GET", "/kb/articles?q=parcel", None, expect(401, 200, 200, 200, 200, 200)),
    "list articles": ("GET", "/kb/articles", None, expect(401, 200, 200, 200, 200, 200)),
    "read a public article": ("GET", "/kb/articles/{public}", None, expect(401, 200, 200, 200, 200, 200)),
    "read a draft": ("GET", "/kb/articles/{draft}", None, expect(401, 404, 200, 200, 200, 200)),
    "article history": ("GET", "/kb/articles/{draft}/history", None, expect(401, 404, 200, 200, 200, 200)),
    "write an article": ("POST", "/kb/articles", ARTICLE, expect(401, 403, 403, 201, 201, 201)),
    "change an article": ("PUT", "/kb/articles/{draft}", {"title": "New"}, expect(401, 403, 403, 200, 200, 200)),
    "publish an article": ("POST", "/kb/articles/{draft}/publish", {}, expect(401, 403, 403, 200, 200, 200)),
    "list replies": ("GET", "/replies", None, expect(401, 403, 200, 200, 200, 403)),
    "write a reply": ("POST", "/replies", REPLY, expect(401, 403, 403, 201, 201, 403)),
    "change a reply": ("PUT", "/replies/{reply}", REPLY, expect(401, 403, 403, 200, 200, 403)),
    "render a reply": ("POST", "/replies/{reply}/render", "ticket", expect(401, 403, 200, 200, 200, 403)),
    "reply usage": ("GET", "/replies/{reply}/usage", None, expect(401, 403, 200, 200, 200, 403)),
    "suggestions": ("GET", "/tickets/{ticket}/suggestions", None, expect(401, 403, 200, 200, 200, 403)),
    # The editor group grants writing, not a staff role: an editor-only login is otherwise a customer (identity.py).
    "say an article answered": (
        "POST",
        "/kb/articles/{public}/deflections",
        {},
        expect(401, 201, 403, 403, 403, 201),
    ),
}
#: The declared route templates each entry stands for (test_authorization_matrix checks every route is covered).
TEMPLATES = {
    ("GET", "/kb/articles"),
    ("GET", "/kb/articles/{articleId}"),
    ("GET", "/kb/articles/{articleId}/history"),
    ("POST", "/kb/articles"),
    ("PUT", "/kb/articles/{articleId}"),
    ("POST", "/kb/articles/{articleId}/publish"),
    ("POST", "/kb/articles/{articleId}/deflections"),
    ("GET", "/replies"),
    ("POST", "/replies"),
    ("PUT", "/replies/{replyId}"),
    ("POST", "/replies/{replyId}/render"),
    ("GET", "/replies/{replyId}/usage"),
    ("GET", "/tickets/{ticketId}/suggestions"),
}
CASES = [(route, role) for route in MATRIX for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{route} as {role}" for route, role in CASES])
def test_each_role_gets_the_answer_its_rights_allow(kb, route, role):  # noqa: F811
    method, path, body, expected = MATRIX[route]
    query = None
    if "?" in path:
        path, raw = path.split("?")
        query = dict([raw.split("=")])
    if "{public}" in path:
        path = path.replace("{public}", publish(kb, write(kb, **ARTICLE, visibility="public"))["id"])
    if "{draft}" in path:
        path = path.replace("{draft}", write(kb, **ARTICLE)["id"])
    if "{reply}" in path:
        path = path.replace("{reply}", kb("POST", "/replies", who=SUPERVISOR, body=RENDERABLE).json["id"])
    ticket = open_ticket(kb, AGENT, customer={"email": "ann@example.com", "name": "Ann"})
    path = path.replace("{ticket}", ticket["id"])
    if body == "ticket":
        body = {"ticketId": ticket["id"]}
    reply = kb(method, path, who=ROLES[role], body=body, query=query, headers={"If-Match": "*"})
    assert reply.status == expected[role], reply.text
    if reply.status >= 400:
        assert reply.headers["content-type"] == "application/problem+json"


def test_the_matrix_names_every_knowledge_route(api):
    declared = {(m, p) for m, p, _ in api.module.declared_routes() if p.startswith(("/kb/", "/replies"))}
    declared |= {(m, p) for m, p, _ in api.module.declared_routes() if p.endswith("/suggestions")}
    assert declared == TEMPLATES
    assert {(method, path.split("?")[0]) for method, path, _, _ in MATRIX.values()} >= {
        ("GET", "/kb/articles"),
        ("POST", "/kb/articles"),
        ("GET", "/replies"),
        ("POST", "/replies"),
    }
