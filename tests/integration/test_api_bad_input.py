"""Bad input on every route of the HTTP API: always a 4xx problem (RFC 9457), never a 5xx.

The routes come from the function itself (`declared_routes()`), so a new route without a case here fails
`test_every_declared_route_has_a_case`. Body cases apply to the routes that take a body (POST, PUT, PATCH).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN, AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Identity, Reply, load_function

PROBLEM = "application/problem+json"
MAX_BODY = 256 * 1024
ROUTES: list[tuple[str, str, bool]] = load_function("api").declared_routes()


@dataclass(frozen=True)
class Case:
    """How a route is called successfully: by whom, with what body, and a body of the right shape but wrong types."""

    who: Identity | None
    body: dict[str, Any] | None = None
    wrong_types: dict[str, Any] | None = None
    #: Path parameters filled from another of the desk's ids: {"ticketId": "revisitTaskId"} (a route for one kind
    #: of ticket).
    ids: dict[str, str] = field(default_factory=dict)
    #: Query parameters a successful call needs (a report's period).
    query: dict[str, str] | None = None
    #: Headers the valid request carries (If-Match on a PUT that needs it).
    headers: dict[str, str] = field(default_factory=dict)


EDITOR = Identity("editor-sun", ("editor",))
QA_REVIEWER = Identity("qa-zhou", ("qa",))
QA_ITEMS = ("greeting", "identity_check", "accuracy", "script_compliance", "empathy", "resolution", "closing")
QA_SCORES = {"items": [{"item": item, "score": 4} for item in QA_ITEMS]}
KB_REPLY = {"title": "Ticket number", "body": "Your ticket is {{ticket.id}}.", "group": "l1", "category": "general"}
KB_REPLY = {**KB_REPLY, "language": "en"}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/health"): Case(None),
    ("GET", "/openapi.json"): Case(None),
    ("GET", "/docs"): Case(None),
    ("POST", "/tickets"): Case(
        CUSTOMER,
        {"subject": "Order 1042 never arrived", "description": "It has been 9 days."},
        {"subject": 1042, "description": ["It has been", "9 days"]},
    ),
    ("GET", "/tickets"): Case(CUSTOMER),
    ("GET", "/tickets/{ticketId}"): Case(CUSTOMER),
    ("PATCH", "/tickets/{ticketId}"): Case(AGENT, {"priority": "P2"}, {"priority": 2, "tags": "vip"}),
    ("GET", "/tickets/{ticketId}/timeline"): Case(CUSTOMER),
    ("POST", "/tickets/{ticketId}/messages"): Case(CUSTOMER, {"body": "Any news?"}, {"body": {"text": "Any news?"}}),
    ("POST", "/tickets/{ticketId}/transition"): Case(AGENT, {"to": "pending"}, {"to": 3}),
    ("POST", "/tickets/{ticketId}/assign"): Case(AGENT, {"take": True}, {"take": [True]}),
    ("GET", "/groups"): Case(AGENT),
    ("PUT", "/groups/{groupId}"): Case(ADMIN, {"name": "General enquiries"}, {"name": 1, "kind": ["general"]}),
    ("GET", "/groups/{groupId}/agents"): Case(SUPERVISOR),
    ("PUT", "/agents/{agentId}"): Case(
        ADMIN, {"name": "Zhang", "groupIds": ["l1"]}, {"name": "Zhang", "groupIds": "l1"}
    ),
    ("PUT", "/agents/{agentId}/availability"): Case(SUPERVISOR, {"availability": "online"}, {"availability": True}),
    ("GET", "/surveys/{token}"): Case(None),
    ("POST", "/surveys/{token}"): Case(None, {"csat": 4, "nps": 8}, {"csat": "four", "nps": [8]}),
    ("GET", "/reports/kpis"): Case(SUPERVISOR, query={"from": "2026-11-02", "to": "2026-11-02"}),
    ("POST", "/tickets/{ticketId}/work"): Case(AGENT, {"seconds": 120}, {"seconds": "two minutes"}),
    ("POST", "/tickets/{ticketId}/revisit"): Case(
        AGENT, {"reached": True, "csat": 4}, {"reached": "yes", "csat": "four"}, ids={"ticketId": "revisitTaskId"}
    ),
    # the knowledge base (functions/api/knowledge_routes.py)
    ("GET", "/kb/articles"): Case(CUSTOMER),
    ("GET", "/kb/articles/{articleId}"): Case(AGENT),
    ("GET", "/kb/articles/{articleId}/history"): Case(AGENT),
    ("POST", "/kb/articles"): Case(
        EDITOR,
        {"title": "Parcel lockers", "body": "Collect it with the code.", "language": "en", "category": "logistics"},
        {"title": 1, "body": ["x"], "language": "en", "category": "logistics"},
    ),
    ("PUT", "/kb/articles/{articleId}"): Case(EDITOR, {"title": "Lockers"}, {"title": 5}, headers={"if-match": "*"}),
    ("POST", "/kb/articles/{articleId}/publish"): Case(EDITOR, {"note": "reviewed"}, {"note": ["reviewed"]}),
    ("GET", "/replies"): Case(AGENT),
    ("POST", "/replies"): Case(SUPERVISOR, KB_REPLY, {**KB_REPLY, "title": 1, "body": ["x"]}),
    ("PUT", "/replies/{replyId}"): Case(SUPERVISOR, KB_REPLY, {**KB_REPLY, "group": 7}),
    ("POST", "/replies/{replyId}/render"): Case(AGENT, {"ticketId": "{ticketId}"}, {"ticketId": ["TK-1"]}),
    ("GET", "/replies/{replyId}/usage"): Case(AGENT),
    ("GET", "/tickets/{ticketId}/suggestions"): Case(AGENT),
    ("GET", "/customers"): Case(AGENT, query={"q": "a"}),
    ("GET", "/customers/{customerId}"): Case(AGENT),
    ("GET", "/customers/{customerId}/tickets"): Case(AGENT),
    ("PATCH", "/customers/{customerId}"): Case(AGENT, {"note": "Wholesale buyer"}, {"note": 42, "tags": "vip"}),
    ("GET", "/customers/{customerId}/audit"): Case(ADMIN),
    ("GET", "/audit"): Case(ADMIN, query={"actor": AGENT.sub}),
    ("GET", "/me"): Case(CUSTOMER),
    ("PATCH", "/me"): Case(CUSTOMER, {"preferredLanguage": "en"}, {"preferredLanguage": 1, "name": ["x"]}),
    # quality inspection (functions/api/qa_routes.py): AGENT's reviews, pending, scored and appealed (`qa_ids`)
    ("GET", "/qa/reviews"): Case(QA_REVIEWER),
    ("POST", "/qa/reviews"): Case(QA_REVIEWER, {"ticketId": "{resolvedTicketId}"}, {"ticketId": 7}),
    ("GET", "/qa/reviews/{reviewId}"): Case(QA_REVIEWER),
    ("POST", "/qa/reviews/{reviewId}/score"): Case(QA_REVIEWER, QA_SCORES, {"items": "all five"}),
    ("POST", "/qa/reviews/{reviewId}/acknowledge"): Case(
        AGENT, {"note": "Understood"}, {"note": ["x"]}, ids={"reviewId": "acknowledgedReviewId"}
    ),
    ("POST", "/qa/reviews/{reviewId}/appeal"): Case(
        AGENT, {"reason": "The answer was right"}, {"reason": ["x"]}, ids={"reviewId": "scoredReviewId"}
    ),
    ("POST", "/qa/reviews/{reviewId}/decision"): Case(
        SUPERVISOR, {"outcome": "upheld"}, {"outcome": 1}, ids={"reviewId": "appealedReviewId"}
    ),
    ("GET", "/qa/coverage"): Case(QA_REVIEWER, query={"month": "2026-11"}),
    ("GET", "/qa/scorecards"): Case(AGENT, query={"month": "2026-11"}),
    # merging, erasing and exporting customer records (functions/api/customer_routes.py), on records of their own
    # (`privacy_ids`): the desk's customer goes on being used by the other routes
    ("POST", "/customers/{customerId}/merge"): Case(SUPERVISOR, {"from": "{absorbedCustomerId}"}, {"from": 7}),
    ("DELETE", "/customers/{customerId}"): Case(ADMIN, ids={"customerId": "erasedCustomerId"}),
    ("POST", "/customers/{customerId}/export"): Case(ADMIN),
    ("GET", "/customers/{customerId}/exports/{jobId}"): Case(ADMIN, ids={"jobId": "customerExportId"}),
    ("POST", "/me/export"): Case(CUSTOMER),
    ("GET", "/me/exports/{jobId}"): Case(CUSTOMER, ids={"jobId": "ownExportId"}),
    # files on tickets (functions/api/attachment_routes.py)
    ("GET", "/tickets/attachments/limits"): Case(CUSTOMER),
    ("POST", "/tickets/attachments/uploads"): Case(
        CUSTOMER,
        {"name": "receipt.pdf", "contentType": "application/pdf", "size": 2048},
        {"name": 1, "contentType": "application/pdf", "size": "2 KB"},
    ),
    ("GET", "/tickets/{ticketId}/attachments"): Case(
        CUSTOMER, ids={"ticketId": "attachedTicketId"}, query={"key": "{attachmentKey}"}
    ),
    # the portal: rating a resolved ticket, self-service and deflections (rating_routes.py, knowledge_routes.py)
    ("POST", "/tickets/{ticketId}/rating"): Case(
        CUSTOMER, {"csat": 5, "nps": 9}, {"csat": "five"}, ids={"ticketId": "ratedTicketId"}
    ),
    ("POST", "/tickets/{ticketId}/self-service"): Case(
        CUSTOMER, {"articleId": "{publicArticleId}"}, {"articleId": 7}, ids={"ticketId": "selfServiceTicketId"}
    ),
    ("POST", "/kb/articles/{articleId}/deflections"): Case(
        CUSTOMER, {"query": "where is my parcel"}, {"query": 7}, ids={"articleId": "publicArticleId"}
    ),
}
#: The routes whose valid request needs `portal_ids`: their records, jobs, tickets and article, or the attachments
#: bucket and privacy state machine it names in the environment.
PORTAL_ROUTES = {
    ("POST", "/customers/{customerId}/merge"),
    ("DELETE", "/customers/{customerId}"),
    ("POST", "/customers/{customerId}/export"),
    ("GET", "/customers/{customerId}/exports/{jobId}"),
    ("POST", "/me/export"),
    ("GET", "/me/exports/{jobId}"),
    ("POST", "/tickets/attachments/uploads"),
    ("GET", "/tickets/{ticketId}/attachments"),
    ("POST", "/tickets/{ticketId}/rating"),
    ("POST", "/tickets/{ticketId}/self-service"),
    ("POST", "/kb/articles/{articleId}/deflections"),
}

#: Create-or-update routes: an id that does not exist yet is not an error there.
UPSERTS = {("PUT", "/groups/{groupId}"), ("PUT", "/agents/{agentId}")}
#: An audit trail outlives its record (erased, merged): an id with no record has an empty trail, not a 404.
TRAILS = {("GET", "/customers/{customerId}/audit")}
#: A customer's word about an article refuses every article that is not published and public alike, a missing one
#: included, with a 422 (as its route documents): a 404 for a missing id only would confirm that internal and draft
#: ids exist.
CLAIMS = {("POST", "/kb/articles/{articleId}/deflections")}
#: The routes that declare query parameters (limit and cursor; /tickets also status, group and assignee).
LISTINGS = {
    ("GET", "/tickets"),
    ("GET", "/tickets/{ticketId}/timeline"),
    ("GET", "/customers"),
    ("GET", "/customers/{customerId}/tickets"),
    ("GET", "/customers/{customerId}/audit"),
    ("GET", "/audit"),
}
LISTINGS |= {("GET", "/kb/articles"), ("GET", "/kb/articles/{articleId}/history"), ("GET", "/replies")}
LISTINGS |= {("GET", "/qa/reviews")}
MISSING_IDS = {
    "ticketId": "TK-00000000",
    "groupId": "no-such-group",
    "agentId": "no-such-agent",
    "token": "A" * 70,
    "customerId": "CU-NOBODY0000",
}
MISSING_IDS |= {"articleId": "KB-00000000", "replyId": "RP-00000000"}
MISSING_IDS |= {"reviewId": "TK-00000000-R1"}
MISSING_IDS |= {"jobId": "EX-00000000"}


def route_id(route: tuple[str, str, bool]) -> str:
    return f"{route[0]} {route[1]}"


def routes(predicate=lambda method, path, protected: True) -> list:
    return [pytest.param(route, id=route_id(route)) for route in ROUTES if predicate(*route)]


def takes_body(method: str, path: str, _protected: bool) -> bool:
    # A POST that only starts something (an export) has no body to get wrong.
    return method in {"POST", "PUT", "PATCH"} and CASES.get((method, path), Case(None, {})).body is not None


def has_path_params(_method: str, path: str, _protected: bool) -> bool:
    return "{" in path


@dataclass
class Desk:
    """A desk with one group (l1), one agent profile (AGENT's) and one ticket of CUSTOMER's; for the survey routes,
    also a resolved ticket of CUSTOMER's with a survey link (`token`) and a phone-revisit task in l1
    (`revisitTaskId`), made on first need."""

    api: Any
    ticket_id: str
    ids: dict[str, str] = field(default_factory=dict)
    #: Sets the attachments bucket and the privacy state machine in the environment, for this test only.
    env: pytest.MonkeyPatch | None = None

    def path(self, template: str, ids: dict[str, str] | None = None) -> str:
        path = template
        for name, value in (ids or self.ids).items():
            path = path.replace("{" + name + "}", value)
        return path

    def etag(self, template: str = "/tickets/{ticketId}") -> str:
        """The ETag of what a PATCH route changes: the desk's ticket, the customer's record, or their own."""
        if template == "/me":
            return self.api("GET", "/me", who=CUSTOMER).headers["etag"]
        read = "/customers/{customerId}" if template.startswith("/customers/") else "/tickets/{ticketId}"
        return self.api("GET", self.path(read), who=AGENT).headers["etag"]

    def body_of(self, route: tuple[str, str, bool]) -> dict[str, Any]:
        """The case's valid body, with the desk's ids put in for `{ticketId}`-style values."""
        if route[1].startswith(("/kb/", "/replies")) and "articleId" not in self.ids:
            self.ids.update(knowledge_ids(self.api))
        if route[1].startswith("/qa/") and "reviewId" not in self.ids:
            self.ids.update(qa_ids(self.api))
        self.make_portal_ids(route)
        return {k: self.path(v) if isinstance(v, str) else v for k, v in case_for(route).body.items()}

    def query_of(self, route: tuple[str, str, bool]) -> dict[str, str] | None:
        """The case's query, with the desk's ids put in for `{attachmentKey}`-style values."""
        self.make_portal_ids(route)
        query = case_for(route).query
        return None if query is None else {k: self.path(v) for k, v in query.items()}

    def make_portal_ids(self, route: tuple[str, str, bool]) -> None:
        """`portal_ids` (and the environment they need), made on the first need of a route that uses them."""
        if route[:2] in PORTAL_ROUTES and "publicArticleId" not in self.ids:
            if "articleId" not in self.ids:
                self.ids.update(knowledge_ids(self.api))
            self.ids.update(portal_ids(self.api, self.env))

    def send(self, route: tuple[str, str, bool], *, ids: dict[str, str] | None = None, **kwargs: Any) -> Reply:
        method, template, _ = route
        case = case_for(route)
        if ids is None and ("{token}" in template or case.ids) and "token" not in self.ids:
            token, task_id = surveyed_ticket(self.api)
            self.ids.update(token=token, revisitTaskId=task_id)
        knowledge = template.startswith(("/kb/", "/replies")) or template.endswith("/suggestions")
        if knowledge and "articleId" not in self.ids:
            self.ids.update(knowledge_ids(self.api))
        if template.startswith("/qa/") and "reviewId" not in self.ids:
            self.ids.update(qa_ids(self.api))
        self.make_portal_ids(route)
        if ids is None:
            ids = {**self.ids, **{name: self.ids[alias] for name, alias in case.ids.items()}}
        kwargs.setdefault("who", case.who)
        if case.query is not None:
            kwargs["query"] = {**(self.query_of(route) or {}), **(kwargs.get("query") or {})}
        if case.body is not None and "raw_body" not in kwargs:
            kwargs.setdefault("body", self.body_of(route))
        if case.headers:
            kwargs["headers"] = {**case.headers, **kwargs.get("headers", {})}
        if method == "PATCH":
            kwargs["headers"] = {"if-match": self.etag(template), **kwargs.get("headers", {})}
        return self.api(method, self.path(template, ids), **kwargs)


def case_for(route: tuple[str, str, bool]) -> Case:
    case = CASES.get(route[:2])
    if case is None:
        pytest.fail(f"{route_id(route)} has no case in CASES: add how it is called successfully")
    return case


@pytest.fixture
def desk(api, monkeypatch) -> Desk:
    assert api("PUT", "/groups/l1", who=ADMIN, body={"name": "General enquiries"}).status == 200
    assert api("PUT", f"/agents/{AGENT.sub}", who=ADMIN, body={"name": "Zhang", "groupIds": ["l1"]}).status == 200
    opened = api("POST", "/tickets", who=CUSTOMER, body={"subject": "Parcel late", "description": "Order 1042."})
    assert opened.status == 201
    ticket_id = opened.json["id"]
    ids = {"ticketId": ticket_id, "groupId": "l1", "agentId": AGENT.sub, "customerId": CUSTOMER.sub}
    return Desk(api, ticket_id, ids, monkeypatch)


def knowledge_ids(api) -> dict[str, str]:
    """The knowledge index bucket, a draft article and a canned reply (made on the first knowledge route's need)."""
    import os

    import boto3

    from kefu.config import reload_settings
    from kefu.knowledge import published

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    os.environ["KEFU_KB_BUCKET"] = "kefu-test-kb"
    reload_settings()
    published.forget()
    article = api("POST", "/kb/articles", who=EDITOR, body=CASES["POST", "/kb/articles"].body)
    reply = api("POST", "/replies", who=SUPERVISOR, body=KB_REPLY)
    assert (article.status, reply.status) == (201, 201), (article.text, reply.text)
    return {"articleId": article.json["id"], "replyId": reply.json["id"]}


def qa_ids(api) -> dict[str, str]:
    """Reviews of AGENT's resolved tickets: one pending, two scored (one to acknowledge, one to appeal: a desk's
    routes may all be called in turn), one appealed; and a resolved ticket of theirs."""
    from tests.integration.qa_desk import resolved_by

    made = {}
    for name in ("reviewId", "scoredReviewId", "acknowledgedReviewId", "appealedReviewId"):
        made[name] = api("POST", "/qa/reviews", who=QA_REVIEWER, body={"ticketId": resolved_by(AGENT.sub).id}).json[
            "id"
        ]
    for name in ("scoredReviewId", "acknowledgedReviewId", "appealedReviewId"):
        assert api("POST", f"/qa/reviews/{made[name]}/score", who=QA_REVIEWER, body=QA_SCORES).status == 200
    appealed = api("POST", f"/qa/reviews/{made['appealedReviewId']}/appeal", who=AGENT, body={"reason": "r"})
    assert appealed.status == 200, appealed.text
    return {**made, "resolvedTicketId": resolved_by(AGENT.sub).id}


def portal_ids(api, env: pytest.MonkeyPatch | None) -> dict[str, str]:
    """Records to merge and erase, an export job of CUSTOMER's (asked by an admin and by them), and CUSTOMER's tickets
    for the portal routes: one with an uploaded file, one resolved, one waiting; and a published public article."""
    import boto3

    from kefu.config import ATTACHMENTS_BUCKET_VAR, PRIVACY_STATE_MACHINE_VAR
    from tests.integration.conftest import open_ticket

    assert env is not None, "the desk sets the attachments bucket and the privacy state machine for its test only"
    definition = '{"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": true}}}'
    role = "arn:aws:iam::123456789012:role/kefu-test-privacy"
    machine = boto3.client("stepfunctions").create_state_machine(name="privacy", definition=definition, roleArn=role)
    env.setenv(PRIVACY_STATE_MACHINE_VAR, machine["stateMachineArn"])
    boto3.client("s3").create_bucket(Bucket="kefu-test-attachments")
    env.setenv(ATTACHMENTS_BUCKET_VAR, "kefu-test-attachments")
    made = {
        "absorbedCustomerId": open_ticket(api, who=AGENT, customer={"email": "carol@example.com"})["customerId"],
        "erasedCustomerId": open_ticket(api, who=AGENT, customer={"email": "dan@example.com"})["customerId"],
        "customerExportId": api("POST", f"/customers/{CUSTOMER.sub}/export", who=ADMIN).json["id"],
        "ownExportId": api("POST", "/me/export", who=CUSTOMER).json["id"],
    }
    upload = CASES["POST", "/tickets/attachments/uploads"].body
    granted = api("POST", "/tickets/attachments/uploads", who=CUSTOMER, body=upload).json
    boto3.client("s3").put_object(
        Bucket="kefu-test-attachments",
        Key=granted["key"],
        Body=b"%PDF-1.7 " + b"x" * 2039,
        ContentType=granted["fields"]["Content-Type"],
    )
    attachment = {key: granted[key] for key in ("key", "name", "contentType", "size")}
    made |= {"attachedTicketId": open_ticket(api, attachments=[attachment])["id"], "attachmentKey": granted["key"]}
    made["ratedTicketId"] = open_ticket(api)["id"]
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert api("POST", f"/tickets/{made['ratedTicketId']}/transition", who=AGENT, body=body).status == 200
    made["selfServiceTicketId"] = open_ticket(api)["id"]
    # Out of l1's queue, so that an l1 agent going online picks up the desk's one ticket as before, not these.
    assert api("PUT", "/groups/portal", who=ADMIN, body={"name": "Portal"}).status == 200
    waiting = [made["attachedTicketId"], made["selfServiceTicketId"]]
    for ticket_id in waiting + [ticket_of(api, made[name]) for name in ("absorbedCustomerId", "erasedCustomerId")]:
        moved = api("POST", f"/tickets/{ticket_id}/assign", who=SUPERVISOR, body={"groupId": "portal"})
        assert moved.status == 200, moved.text
    article = {"title": "Where is my parcel?", "body": "Track it under My orders.", "language": "en"}
    article = {**article, "category": "logistics", "visibility": "public"}
    created = api("POST", "/kb/articles", who=EDITOR, body=article)
    assert api("POST", f"/kb/articles/{created.json['id']}/publish", who=EDITOR, body={}).status == 200
    return made | {"publicArticleId": created.json["id"]}


def ticket_of(api, customer_id: str) -> str:
    """The id of a customer's one ticket."""
    reply = api("GET", f"/customers/{customer_id}/tickets", who=AGENT)
    assert reply.status == 200, reply.text
    (ticket,) = reply.json["items"]
    return ticket["id"]


def surveyed_ticket(api) -> tuple[str, str]:
    """A resolved ticket's survey token and phone-revisit task."""
    from kefu.store import tickets as ticket_store
    from kefu.surveys import service as surveys

    opened = api("POST", "/tickets", who=CUSTOMER, body={"subject": "Refund", "description": "Order 1043."})
    body = {"to": "resolved", "resolution": {"kind": "refund"}}
    assert api("POST", f"/tickets/{opened.json['id']}/transition", who=AGENT, body=body).status == 200
    resolved = ticket_store.get(opened.json["id"])
    issued = surveys.issue_survey(resolved, campaign_id="daily-csat-survey", expires_in=timedelta(days=14))
    task = surveys.create_phone_revisit(resolved, campaign_id="weekly-call", group="l1")
    return issued.token, task.id


def assert_problem(reply: Reply, status: int | None = None) -> None:
    """A 4xx (the given one, if any) answered as application/problem+json with type, title, status and detail."""
    assert reply.status < 500, f"a {reply.status} for bad input: {reply.text[:300]}"
    assert 400 <= reply.status < 500, f"bad input was accepted with {reply.status}: {reply.text[:300]}"
    if status is not None:
        assert reply.status == status, reply.text[:300]
    assert reply.headers.get("content-type", "").split(";")[0] == PROBLEM
    problem = reply.json
    assert {"type", "title", "status", "detail"} <= set(problem), problem
    assert problem["status"] == reply.status
    assert all(isinstance(problem[name], str) and problem[name] for name in ("type", "title", "detail"))


# --- the routes themselves ----------------------------------------------------------------------------------


def test_every_declared_route_has_a_case():
    # Given the routes the function declares, when compared with this file's cases, then none is missing
    assert {route[:2] for route in ROUTES} == set(CASES)


@pytest.mark.parametrize("route", routes())
def test_each_route_answers_its_valid_request_with_a_success(desk, route):
    # Given the route's valid request, when sent, then a 2xx: so each refusal below is about its one bad thing
    reply = desk.send(route)
    assert 200 <= reply.status < 300, reply.text[:300]


# --- the body -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", routes(takes_body))
def test_malformed_json_is_a_400(desk, route):
    # Given a body cut off mid-object, when sent as JSON, then 400
    reply = desk.send(route, raw_body='{"subject": "Parcel', headers={"content-type": "application/json"})
    assert_problem(reply, 400)


@pytest.mark.parametrize("route", routes(takes_body))
def test_json_nested_too_deep_to_read_is_a_4xx(desk, route):
    # Given 100 000 nested arrays (100 KB, under the size limit), when sent, then a 4xx: the parser's
    # RecursionError must not surface as a 500
    reply = desk.send(route, raw_body="[" * 100_000, headers={"content-type": "application/json"})
    assert_problem(reply)


@pytest.mark.parametrize("route", routes(takes_body))
def test_fields_of_the_wrong_type_are_a_422(desk, route):
    # Given the right fields with values of the wrong type, when sent, then 422
    reply = desk.send(route, body=case_for(route).wrong_types)
    assert_problem(reply, 422)
    assert reply.json["errors"], "a 422 says which fields are wrong"


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"], ids=["array", "string", "number", "null"])
@pytest.mark.parametrize("route", routes(takes_body))
def test_json_that_is_not_an_object_is_a_422(desk, route, raw):
    # Given valid JSON that is not an object, when sent, then 422
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("route", routes(takes_body))
def test_an_unknown_field_is_a_422(desk, route):
    # Given a valid body plus a field the API does not know, when sent, then 422 rather than silently dropped
    reply = desk.send(route, body={**case_for(route).body, "customerTier": "vip"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_over_256_kb_is_a_413(desk, route):
    # Given a body one byte over 256 KB, when sent, then 413 before anything reads it
    padded = {**case_for(route).body, "padding": ""}
    padded["padding"] = "x" * (MAX_BODY + 1 - len(json.dumps(padded)))
    assert len(json.dumps(padded).encode()) == MAX_BODY + 1
    assert_problem(desk.send(route, body=padded), 413)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_of_exactly_256_kb_is_not_refused_for_its_size(desk, route):
    # Given a body of exactly 256 KB (with an unknown padding field), when sent, then not a 413 (the limit is inclusive)
    padded = {**case_for(route).body, "padding": ""}
    padded["padding"] = "x" * (MAX_BODY - len(json.dumps(padded)))
    assert len(json.dumps(padded).encode()) == MAX_BODY
    assert desk.send(route, body=padded).status != 413


@pytest.mark.parametrize(
    "content_type, raw",
    [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", "subject=Parcel+late&description=Order+1042"),
        ("multipart/form-data; boundary=x", None),
    ],
    ids=["text-plain", "form-encoded", "multipart"],
)
@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_that_is_not_json_by_its_content_type_is_a_415(desk, route, content_type, raw):
    # Given a body sent as text, a form or multipart, when sent, then 415
    raw_body = raw if raw is not None else json.dumps(case_for(route).body)
    reply = desk.send(route, raw_body=raw_body, headers={"content-type": content_type})
    assert_problem(reply, 415)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_without_a_content_type_is_a_415(desk, route):
    # Given a JSON body but no content-type header, when sent, then 415
    reply = desk.send(route, raw_body=json.dumps(case_for(route).body))
    assert_problem(reply, 415)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_base64_body_that_is_not_utf8_is_a_4xx(desk, route):
    # Given a base64-encoded body whose bytes are not UTF-8 (API Gateway passes binary bodies this way),
    # when sent as JSON, then a 4xx rather than a UnicodeDecodeError turned 500
    reply = desk.send(route, raw_body=b'{"subject": "\xff\xfe late"}', headers={"content-type": "application/json"})
    assert_problem(reply)


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_valid_base64_encoded_json_body_is_read(desk, route):
    # Given the route's valid body, base64-encoded as API Gateway sends binary bodies, when sent, then a 2xx
    raw = json.dumps(desk.body_of(route)).encode()
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert 200 <= reply.status < 300, reply.text[:300]


# --- who is calling -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", routes(lambda method, path, protected: protected))
def test_a_protected_route_without_a_token_is_a_401(desk, route):
    # Given a valid request without claims (no bearer token), when sent, then 401 with a Bearer challenge
    reply = desk.send(route, who=None)
    assert_problem(reply, 401)
    assert reply.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("route", routes(lambda method, path, protected: not protected))
def test_a_public_route_answers_without_a_token(desk, route):
    # Given a public route (health, the API document), when called without claims, then a 2xx
    assert 200 <= desk.send(route, who=None).status < 300


# --- ids in the path ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", routes(lambda m, p, _: "{" in p and (m, p) not in UPSERTS | TRAILS | CLAIMS))
def test_an_id_that_does_not_exist_is_a_404(desk, route):
    # Given a ticket, group or agent id nobody created, when the route is called with it, then 404
    reply = desk.send(route, ids=MISSING_IDS)
    assert_problem(reply, 404)


@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in CLAIMS))
def test_an_article_id_that_does_not_exist_is_a_422(desk, route):
    assert_problem(desk.send(route, ids=MISSING_IDS), 422)


def test_another_customers_ticket_is_a_404_not_a_403(desk):
    # Given Alice's ticket, when Bob asks for it, then 404: ids are not confirmed to strangers
    assert_problem(desk.api("GET", f"/tickets/{desk.ticket_id}", who=OTHER_CUSTOMER), 404)


@pytest.mark.parametrize("route", routes(has_path_params))
def test_an_id_too_long_to_be_a_key_is_a_4xx(desk, route):
    # Given an id of 2100 characters (a DynamoDB partition key holds at most 2048 bytes), when sent, then a 4xx
    too_long = "x" * 2100
    reply = desk.send(route, ids={name: too_long for name in MISSING_IDS})
    assert_problem(reply)


def test_a_group_id_that_agents_could_never_join_is_a_422(desk):
    # Given a group id outside the pattern agents' groupIds must match (lower-case, digits, '-', '_'), when an admin
    # creates it, then 422: otherwise the group exists but PUT /agents/{id} refuses every attempt to join it
    reply = desk.api("PUT", "/groups/Sales Team!", who=ADMIN, body={"name": "Sales"})
    assert_problem(reply, 422)


# --- query parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "-1"}, {"limit": "abc"}, {"limit": "1.5"}, {"limit": ""}],
    ids=["limit-0", "limit-101", "limit-negative", "limit-abc", "limit-fraction", "limit-empty"],
)
@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in LISTINGS))
def test_a_limit_out_of_range_or_not_a_number_is_a_422(desk, route, query):
    # Given a listing, when asked for a page size outside 1..100 or not a whole number, then 422
    assert_problem(desk.send(route, query=query), 422)


def test_an_unknown_status_filter_is_a_422(desk):
    # Given the ticket listing, when filtered by a status kefu does not have, then 422
    assert_problem(desk.api("GET", "/tickets", who=CUSTOMER, query={"status": "bogus"}), 422)


@pytest.mark.parametrize("route", routes(lambda m, p, _: (m, p) in LISTINGS))
def test_a_garbage_cursor_is_a_400(desk, route):
    # Given a listing, when given a cursor kefu never issued, then 400
    assert_problem(desk.send(route, query={"cursor": "garbage"}), 400)


def test_a_cursor_from_another_customers_listing_is_a_400(desk):
    # Given a cursor from Alice's listing, when Bob pages with it, then 400 (and none of Alice's tickets)
    desk.api("POST", "/tickets", who=CUSTOMER, body={"subject": "Second", "description": "Another one."})
    first_page = desk.api("GET", "/tickets", who=CUSTOMER, query={"limit": "1"})
    alices_cursor = first_page.json["nextCursor"]
    assert alices_cursor
    assert_problem(desk.api("GET", "/tickets", who=OTHER_CUSTOMER, query={"cursor": alices_cursor}), 400)


GARBAGE_QUERIES = [
    {"limit": "0"},
    {"limit": "abc"},
    {"status": "bogus"},
    {"cursor": "garbage"},
    {"limit": "9" * 400},
    {"cursor": "é" * 300},
]


@pytest.mark.parametrize("route", routes())
def test_garbage_query_parameters_never_cause_a_5xx(desk, route):
    # Given any route, when sent each garbage query string in turn, then never a 5xx, and any refusal is a problem
    for query in GARBAGE_QUERIES:
        reply = desk.send(route, query=query)
        assert reply.status < 500, (query, reply.text[:300])
        if reply.status >= 400:
            assert_problem(reply)


# --- If-Match and Idempotency-Key ---------------------------------------------------------------------------


def patch(desk: Desk, headers: dict[str, str]) -> Reply:
    return desk.api("PATCH", f"/tickets/{desk.ticket_id}", who=AGENT, body={"priority": "P1"}, headers=headers)


def test_a_patch_without_if_match_is_a_428(desk):
    # Given a ticket, when patched without If-Match, then 428
    assert_problem(patch(desk, {}), 428)


def test_a_patch_with_a_stale_if_match_is_a_412(desk):
    # Given an ETag that was current until someone else changed the ticket, when patched with it, then 412
    read_etag = desk.etag()
    assert patch(desk, {"if-match": read_etag}).status == 200
    assert_problem(
        desk.api(
            "PATCH", f"/tickets/{desk.ticket_id}", who=AGENT, body={"priority": "P2"}, headers={"if-match": read_etag}
        ),
        412,
    )


@pytest.mark.parametrize("garbage", ["not-an-etag", '"abc"', '"-1"', '""', "W/"], ids=str)
def test_a_patch_with_a_garbage_if_match_is_a_412(desk, garbage):
    # Given an If-Match that is no version of the ticket, when patched with it, then 412 (it cannot match)
    assert_problem(patch(desk, {"if-match": garbage}), 412)


@pytest.mark.parametrize("digits", ["²", "¹²"], ids=["superscript-two", "superscript-one-two"])
def test_a_patch_with_an_if_match_of_non_ascii_digits_is_a_4xx(desk, digits):
    # Given an If-Match of characters str.isdigit() accepts but int() does not (a latin-1 header can carry '²'),
    # when patched with it, then a 4xx rather than a ValueError turned 500
    assert_problem(patch(desk, {"if-match": f'"{digits}"'}))


def test_an_empty_idempotency_key_is_a_400(desk):
    # Given an Idempotency-Key header that is empty, when a ticket is opened with it, then 400: accepted as a key,
    # every later request of this customer with an empty key replays the first ticket (or is a 422) for a day
    body = CASES["POST", "/tickets"].body
    reply = desk.api("POST", "/tickets", who=CUSTOMER, body=body, headers={"idempotency-key": ""})
    assert_problem(reply, 400)


def test_an_idempotency_key_longer_than_255_characters_is_a_422(desk):
    # Given an Idempotency-Key of 256 characters, when a ticket is opened with it, then 422
    body = CASES["POST", "/tickets"].body
    reply = desk.api("POST", "/tickets", who=CUSTOMER, body=body, headers={"idempotency-key": "k" * 256})
    assert_problem(reply, 422)


def test_an_infinite_refund_amount_is_a_422(desk):
    # Given a resolution whose amount is 1e999 (read as infinity), when a ticket is resolved with it, then 422:
    # accepted, every later answer about the ticket carries a bare `Infinity`, which JSON parsers refuse
    reply = desk.api(
        "POST",
        f"/tickets/{desk.ticket_id}/transition",
        who=AGENT,
        raw_body='{"to": "resolved", "resolution": {"kind": "refund", "amount": 1e999}}',
        headers={"content-type": "application/json"},
    )
    assert_problem(reply, 422)


# --- arbitrary bodies ---------------------------------------------------------------------------------------

# Values the models accept somewhere, so that some bodies get past the first field and validation goes deeper.
plausible = st.sampled_from(["web", "email", "P1", "order", "public", "internal", "vip", "li.wei@example.com", "x"])
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40) | plausible
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def shaped_like(names: list[str]) -> st.SearchStrategy[dict]:
    """Objects that use the model's own field names (so validation goes deep), with anything as values."""
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=12), json_values, max_size=len(names) + 1)


NEW_TICKET_FIELDS = ["subject", "description", "category", "channel", "attachments", "customer", "priority", "tags"]
MESSAGE_FIELDS = ["body", "visibility", "attachments"]
PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(body=shaped_like(NEW_TICKET_FIELDS) | json_values, who=st.sampled_from([CUSTOMER, AGENT]))
def test_no_body_opening_a_ticket_causes_a_5xx(desk, body, who):
    # Given any JSON body from a customer or an agent, when a ticket is opened with it, then never a 5xx
    reply = desk.api(
        "POST", "/tickets", who=who, raw_body=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert reply.status < 500, (body, reply.text[:300])
    if reply.status >= 400:
        assert_problem(reply)


@PROPERTY_SETTINGS
@given(body=shaped_like(MESSAGE_FIELDS) | json_values, who=st.sampled_from([CUSTOMER, OTHER_CUSTOMER, AGENT]))
def test_no_body_adding_a_message_causes_a_5xx(desk, body, who):
    # Given any JSON body from the ticket's customer, a stranger or an agent, when posted as a message, then never a 5xx
    path = f"/tickets/{desk.ticket_id}/messages"
    reply = desk.api("POST", path, who=who, raw_body=json.dumps(body), headers={"content-type": "application/json"})
    assert reply.status < 500, (body, reply.text[:300])
    if reply.status >= 400:
        assert_problem(reply)


# --- media types and numbers (issue 14) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["APPLICATION/JSON", "Application/Json; charset=utf-8", "application/json;charset=UTF-8", " application/json "],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_application_json_in_any_letter_case_with_or_without_parameters_is_json(desk, route, content_type):
    reply = desk.send(route, raw_body=json.dumps(desk.body_of(route)), headers={"content-type": content_type})
    assert 200 <= reply.status < 300, reply.text


@pytest.mark.parametrize(
    "content_type",
    ["application/merge-patch+json", "application/problem+json", "application/json-patch+json", "text/json"],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_any_other_json_like_media_type_is_a_415(desk, route, content_type):
    reply = desk.send(route, raw_body=json.dumps(desk.body_of(route)), headers={"content-type": content_type})
    assert_problem(reply, 415)


@pytest.mark.parametrize(
    "number",
    ["1" * 4301, "-" + "9" * 5000, "9007199254740993", "1e400", "-1e999"],
    ids=["4301-digits", "5000-digits-negative", "past-2^53", "float-overflow", "negative-float-overflow"],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_a_number_out_of_range_anywhere_in_a_body_is_a_422(desk, route, number):
    case = case_for(route)
    raw = json.dumps({**case.body, "extra": "N"}).replace('"N"', number)
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 422)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(desk, constant):
    raw = f'{{"subject": "Parcel late", "description": "x", "priority": {constant}}}'
    reply = desk.api("POST", "/tickets", who=AGENT, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 400)


@pytest.mark.parametrize("depth", [33, 1000])
def test_nesting_deeper_than_32_is_a_400(desk, depth):
    raw = '{"subject": "Parcel late", "description": "x", "tags": ' + "[" * depth + "]" * depth + "}"
    reply = desk.api("POST", "/tickets", who=CUSTOMER, raw_body=raw, headers={"content-type": "application/json"})
    assert_problem(reply, 400)
    assert "deep" in reply.json["detail"]


def test_a_correctly_signed_survey_link_whose_expiry_no_date_holds_is_a_404(desk):
    import base64

    from kefu.surveys import tokens

    route = ("GET", "/surveys/{token}", False)
    desk.send(route)  # makes the desk's survey link
    data = bytearray(base64.urlsafe_b64decode(desk.ids["token"] + "=="))
    data[15:20] = (0xFFFFFFFFFF).to_bytes(5, "big")
    _, key = tokens._keyring().current()
    data[20:] = tokens._mac(key, bytes(data[:20]))
    forged = base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")
    for method in ("GET", "POST"):
        reply = desk.send((method, "/surveys/{token}", False), ids={"token": forged})
        assert_problem(reply, 404)
