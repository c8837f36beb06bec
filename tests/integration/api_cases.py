"""How every route of the HTTP API is called successfully (CASES), and a desk to call them on: shared by the bad
input tests (test_api_bad_input.py: requests that change the desk; test_api_refusals.py: requests refused, which
change nothing, so one desk serves a whole module) and the cost ceilings (test_cost.py).

The routes come from the function itself (`declared_routes()`), so a new route without a case here fails
`test_every_declared_route_has_a_case`. Body cases apply to the routes that take a body (POST, PUT, PATCH).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN, AGENT, CUSTOMER, SUPERVISOR, Identity, Reply, load_function
from tests.moto_images import MotoImage

# What the desk and its first needs make, kept per test process (tests/moto_images.py): the portal's records alone
# are ~1.3 s of CPU to make, and the bad-input tests need them again and again.
DESK = MotoImage("bad-input desk", "dynamodb")
KNOWLEDGE = MotoImage("knowledge records", "dynamodb", "s3")
QA = MotoImage("qa records", "dynamodb")
PORTAL = MotoImage("portal records", "dynamodb", "s3", "stepfunctions")
SURVEYED = MotoImage("surveyed ticket", "dynamodb")
PRIVACY_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:privacy"

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


def new_desk(api, env: pytest.MonkeyPatch) -> Desk:
    """The desk: group l1, AGENT's profile, a ticket of CUSTOMER's (the rest is made on first need, see Desk)."""
    ticket_id = DESK.restore_or_build(lambda: _desk(api))
    ids = {"ticketId": ticket_id, "groupId": "l1", "agentId": AGENT.sub, "customerId": CUSTOMER.sub}
    return Desk(api, ticket_id, ids, env)


def _desk(api) -> str:
    assert api("PUT", "/groups/l1", who=ADMIN, body={"name": "General enquiries"}).status == 200
    assert api("PUT", f"/agents/{AGENT.sub}", who=ADMIN, body={"name": "Zhang", "groupIds": ["l1"]}).status == 200
    opened = api("POST", "/tickets", who=CUSTOMER, body={"subject": "Parcel late", "description": "Order 1042."})
    assert opened.status == 201
    return opened.json["id"]


def knowledge_ids(api) -> dict[str, str]:
    """The knowledge index bucket, a draft article and a canned reply (made on the first knowledge route's need)."""
    import os

    from kefu.config import reload_settings
    from kefu.knowledge import published

    os.environ["KEFU_KB_BUCKET"] = "kefu-test-kb"
    reload_settings()
    published.forget()
    return KNOWLEDGE.restore_or_build(lambda: _knowledge(api))


def _knowledge(api) -> dict[str, str]:
    import boto3

    boto3.client("s3").create_bucket(Bucket="kefu-test-kb")
    article = api("POST", "/kb/articles", who=EDITOR, body=CASES["POST", "/kb/articles"].body)
    reply = api("POST", "/replies", who=SUPERVISOR, body=KB_REPLY)
    assert (article.status, reply.status) == (201, 201), (article.text, reply.text)
    return {"articleId": article.json["id"], "replyId": reply.json["id"]}


def qa_ids(api) -> dict[str, str]:
    """Reviews of AGENT's resolved tickets: one pending, two scored (one to acknowledge, one to appeal: a desk's
    routes may all be called in turn), one appealed; and a resolved ticket of theirs."""
    return QA.restore_or_build(lambda: _qa(api))


def _qa(api) -> dict[str, str]:
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
    from kefu.config import ATTACHMENTS_BUCKET_VAR, PRIVACY_STATE_MACHINE_VAR

    assert env is not None, "the desk sets the attachments bucket and the privacy state machine for its test only"
    env.setenv(PRIVACY_STATE_MACHINE_VAR, PRIVACY_MACHINE_ARN)
    env.setenv(ATTACHMENTS_BUCKET_VAR, "kefu-test-attachments")
    return PORTAL.restore_or_build(lambda: _portal(api))


def _portal(api) -> dict[str, str]:
    import boto3

    from tests.integration.conftest import open_ticket

    definition = '{"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": true}}}'
    role = "arn:aws:iam::123456789012:role/kefu-test-privacy"
    machine = boto3.client("stepfunctions").create_state_machine(name="privacy", definition=definition, roleArn=role)
    assert machine["stateMachineArn"] == PRIVACY_MACHINE_ARN
    boto3.client("s3").create_bucket(Bucket="kefu-test-attachments")
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
    return SURVEYED.restore_or_build(lambda: _surveyed(api))


def _surveyed(api) -> tuple[str, str]:
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


def patch(desk: Desk, headers: dict[str, str]) -> Reply:
    """An agent's PATCH of the desk's ticket (a priority) with `headers` (If-Match, or not)."""
    return desk.api("PATCH", f"/tickets/{desk.ticket_id}", who=AGENT, body={"priority": "P1"}, headers=headers)
