"""The OpenAPI document is the API: schemathesis, driven by `/openapi.json`, calls every operation as each role
(the coverage phase's invalid values as one role: they are refused before a role's rules are read) and checks every
answer against the document (all of its checks: no 5xx, documented statuses, content types,
headers and schemas; valid data accepted, invalid data refused; auth not ignored).

Requests go through the local stack's API Gateway (`kefu_local.gateway`: routes, the JWT authorizer, payload 2.0
events) to the real handler, in process (a WSGI shim), against moto. Each operation starts from a desk with a
group, an agent profile, a ticket (and its customer), an article and a canned reply, so ids in paths can be real;
the examples per operation are kept low so the whole run stays within three minutes on a shared machine
(`CONTRACT_EXAMPLES` raises them).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from kefu_local.gateway import Gateway, HttpRequest, RouteTable
from kefu_local.runtime import declared_routes_of
from kefu_local.tokens import LocalUserPool
from tests.conftest import (
    ADMIN,
    AGENT,
    CUSTOMER,
    SUPERVISOR,
    Api,
    Identity,
    LambdaContext,
    create_survey_secret,
    create_tables,
    load_function,
    moto,
    reset_clients,
)

API = load_function("api")
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "5"))
ROLES: dict[str, Identity] = {"customer": CUSTOMER, "agent": AGENT, "supervisor": SUPERVISOR, "admin": ADMIN}
POOL = LocalUserPool.load_or_create(Path(__file__).resolve().parents[2] / "build" / "contract-test-keys")


@functools.cache
def gateway() -> Gateway:
    """One gateway for the run, as a deployed API has one (it keeps no state between requests)."""
    routes = RouteTable(declared_routes_of(API))
    return Gateway(routes, lambda event: API.lambda_handler(event, LambdaContext()), POOL.verifier())


REQUESTS = [0]


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI request handed to the local API Gateway, its answer handed back."""
    REQUESTS[0] += 1
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    raw_path = environ.get("RAW_URI", "").split("?", 1)[0] or environ.get("PATH_INFO", "/")
    request = HttpRequest(environ["REQUEST_METHOD"], raw_path, environ.get("QUERY_STRING", ""), headers, body)
    response = gateway().handle(request)
    reason = {200: "OK", 201: "Created"}.get(response.status, "Answer")
    start_response(f"{response.status} {reason}", list(response.headers))
    return [response.body]


def document() -> dict[str, Any]:
    return json.loads(API.openapi_json())


#: A valid request may also meet a customer record merged into another (301 naming it) or erased (410) since the
#: desk was set up: the examples erase and merge the desk's customer as they go, as admins and supervisors may.
ACCEPTED = ["2XX", "301", "401", "403", "404", "409", "410", "429"]
#: Schema-valid requests an operation may still refuse, for rules that hang on the caller's role or on the desk's
#: state, which a schema cannot state (each operation's description says them).
REFUSED_BY_RULES = {
    # group and assignee exclude each other; a cursor kefu did not issue
    "GET /tickets": ["400"],
    "GET /tickets/{ticketId}/timeline": ["400"],
    # an agent names the customer, who must exist; an Idempotency-Key reused with another body; a file that is not
    # the caller's own upload, was not uploaded, or is outside the limits
    "POST /tickets": ["400", "422"],
    # a stale or foreign ETag
    "PATCH /tickets/{ticketId}": ["412"],
    # a file that is not the caller's own upload, was not uploaded, or is outside the limits
    "POST /tickets/{ticketId}/messages": ["422"],
    # the agent or group must exist
    "POST /tickets/{ticketId}/assign": ["422"],
    # the groups must exist; an agent or group id people could use
    "PUT /agents/{agentId}": ["422"],
    "PUT /groups/{groupId}": ["422"],
    # exactly one of email, phone or q; q with a letter; no cursor with a contact point; a cursor kefu did not issue;
    # an e-mail address or phone number that is none
    "GET /customers": ["400", "422"],
    # a cursor kefu did not issue
    "GET /customers/{customerId}/tickets": ["400"],
    "GET /customers/{customerId}/audit": ["400"],
    "GET /kb/articles/{articleId}/history": ["400"],
    # an actor id no person or system could have; a cursor kefu did not issue
    "GET /audit": ["400", "422"],
    # nothing to change, or a customer's tier removed; a stale ETag
    "PATCH /customers/{customerId}": ["412", "422"],
    # nothing to change; a stale ETag
    "PATCH /me": ["412", "422"],
    # a record into itself
    "POST /customers/{customerId}/merge": ["422"],
    # a search with no words to look for (only punctuation or very common words); a cursor kefu did not issue
    "GET /kb/articles": ["400"],
    "GET /replies": ["400"],
    # an article is published by its own operation, after it is saved; a tag of white space only
    "POST /kb/articles": ["422"],
    # the same, and a stale ETag
    "PUT /kb/articles/{articleId}": ["412", "422"],
    # a stale ETag
    "POST /kb/articles/{articleId}/publish": ["412"],
    # placeholders kefu does not know; a tag of white space only
    "POST /replies": ["422"],
    "PUT /replies/{replyId}": ["422"],
    # a ticket the reply cannot be filled in for
    "POST /replies/{replyId}/render": ["422"],
    # desk dates that are no dates or out of range, a period that ends before it starts or is too long, none given
    "GET /reports/kpis": ["400"],
    # agent and reviewer exclude each other; an agent or reviewer id nobody could have; a cursor kefu did not issue
    "GET /qa/reviews": ["400"],
    # an agent id nobody could have; reviewers and supervisors must name the agent
    "GET /qa/scorecards": ["400"],
    # an article that is not a published public one (the desk's is a draft)
    "POST /tickets/{ticketId}/self-service": ["422"],
    "POST /kb/articles/{articleId}/deflections": ["422"],
}

#: How a request the document does not allow may be refused: schemathesis' own list, and 413 (a body larger than the
#: API accepts is refused by its size before any route reads it).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def refused_by_rules() -> dict[str, list[str]]:
    """REFUSED_BY_RULES, and 413 for every operation that takes a body: the schema counts a text's characters, the
    API's limit (KEFU_MAX_BODY_BYTES, 256 KiB) the body's bytes, so a body within every maxLength can still be larger
    than the API accepts (a message's 100,000 characters are up to 400 KB in UTF-8, more JSON-escaped), which the
    document's 413 on those operations says."""
    refused = {name: list(extra) for name, extra in REFUSED_BY_RULES.items()}
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                refused.setdefault(f"{method.upper()} {path}", []).append("413")
    return refused


def config(phases: dict[str, Any]) -> SchemathesisConfig:
    """The run's configuration, with the phases given (the stateful phase always off)."""
    return SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-name": name,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + extra}},
                }
                for name, extra in refused_by_rules().items()
            ],
            "generation": {"max-examples": EXAMPLES},
            "phases": {"stateful": {"enabled": False}, **phases},
            "checks": {
                "enabled": True,
                # PATCH without If-Match is 428 Precondition Required (RFC 6585), as the document says; 403 first for
                # a caller whose role may not change tickets at all.
                "missing_required_header": {"expected-statuses": [403, 428]},
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                # (5xx stays a failure: its own check.)
                "negative_data_rejection": {"expected-statuses": REFUSALS},
                # API Gateway HTTP APIs answer an undeclared method on a declared path 404 (no route), not 405 with
                # Allow; the local gateway does as they do. Every other check is on.
                "unsupported_method": {"enabled": False},
            },
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        }
    )


#: An undeclared method meets the gateway's "no route" 404 before any function runs (see `unsupported_method` in
#: the checks), so the coverage phase does not spend requests on them.
_COVERAGE = {"unexpected-methods": []}
#: Every role: the examples, the fuzzing (valid and invalid data), and the coverage phase's valid boundary values,
#: whose answers hang on who asks.
schema = schemathesis.openapi.from_dict(
    document(), config=config({"coverage": {**_COVERAGE, "generation": {"mode": "positive"}}})
)
schema.app = wsgi_app
#: One role: the coverage phase's invalid values (~3/4 of its requests). The API refuses those before any rule of
#: the caller's role is read (the gateway's authorizer, then the operation's validation, kefu.api: its handler's
#: middlewares), so every role meets the same refusal; one role's run checks them all.
refusals = schemathesis.openapi.from_dict(
    document(),
    config=config(
        {
            "examples": {"enabled": False},
            "fuzzing": {"enabled": False},
            "coverage": {**_COVERAGE, "generation": {"mode": "negative"}},
        }
    ),
)
refusals.app = wsgi_app


@pytest.fixture(scope="module")
def desk() -> Iterator[dict[str, str]]:
    """One desk for the whole run (as a client meets one: it fills up as the examples go): a group (l1), AGENT's
    profile, a ticket of CUSTOMER's, an article and a canned reply, the ids the operations' paths name."""
    with moto():
        reset_clients()
        create_tables()
        create_survey_secret()
        knowledge_base()
        attachments_bucket()
        privacy_jobs()
        api = Api()
        assert api("PUT", "/groups/l1", who=ADMIN, body={"name": "General enquiries"}).status == 200
        assert api("PUT", f"/agents/{AGENT.sub}", who=ADMIN, body={"name": "Zhang", "groupIds": ["l1"]}).status == 200
        opened = api("POST", "/tickets", who=CUSTOMER, body={"subject": "Parcel late", "description": "Order 1042."})
        assert opened.status == 201
        article = {"title": "Where is my parcel?", "body": "Track it under My orders.", "language": "en"}
        written = api("POST", "/kb/articles", who=ADMIN, body={**article, "category": "logistics"})
        assert written.status == 201
        reply = {"title": "Parcel late", "body": "Sorry, {{customer.name}}.", "group": "l1", "language": "en"}
        canned = api("POST", "/replies", who=ADMIN, body={**reply, "category": "logistics"})
        assert canned.status == 201, canned.text
        yield {
            "ticketId": opened.json["id"],
            "groupId": "l1",
            "agentId": AGENT.sub,
            "customerId": opened.json["customerId"],
            "articleId": written.json["id"],
            "replyId": canned.json["id"],
        }
        os.environ.pop("KEFU_KB_BUCKET")
        os.environ.pop("KEFU_ATTACHMENTS_BUCKET")
        os.environ.pop("KEFU_PRIVACY_STATE_MACHINE_ARN")
    print(f"\ncontract: {REQUESTS[0]} requests ({EXAMPLES} examples an operation and phase)", file=sys.stderr)


def knowledge_base() -> None:
    """The bucket the published knowledge base lives in, as the deployment names it to the function."""
    import boto3

    from kefu.config import reload_settings
    from kefu.knowledge import published

    boto3.client("s3").create_bucket(Bucket="kefu-contract-kb")
    os.environ["KEFU_KB_BUCKET"] = "kefu-contract-kb"
    reload_settings()
    published.forget()


def attachments_bucket() -> None:
    """The bucket ticket files are uploaded to, as the deployment names it to the function."""
    import boto3

    from kefu.config import reload_settings

    boto3.client("s3").create_bucket(Bucket="kefu-contract-attachments")
    os.environ["KEFU_ATTACHMENTS_BUCKET"] = "kefu-contract-attachments"
    reload_settings()


def privacy_jobs() -> None:
    """A privacy state machine that records the erasures and exports asked for (their steps are not the API's)."""
    import boto3

    from kefu.config import PRIVACY_STATE_MACHINE_VAR, reload_settings

    definition = '{"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": true}}}'
    machine = boto3.client("stepfunctions").create_state_machine(
        name="kefu-contract-privacy", definition=definition, roleArn="arn:aws:iam::123456789012:role/kefu-contract"
    )
    os.environ[PRIVACY_STATE_MACHINE_VAR] = machine["stateMachineArn"]
    reload_settings()


@functools.cache
def token_for(role: str) -> str:
    """One token a role for the run (valid for an hour), as a client keeps the one it signed in with."""
    who = ROLES[role]
    return POOL.mint(who.sub, email=who.email, groups=who.groups)


@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
# The desk is shared by every example, as a real one is by its clients.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_matches_the_document(case, role, desk):
    call_and_validate(case, role, desk)


@refusals.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_invalid_request_is_refused_as_the_document_says(case, desk):
    """An invalid value the operation's validation does not catch would reach its rules, where a role that may not
    call the operation is refused (403) whatever the value: the case goes again as the next role until one is not
    refused for its role, so the value meets the operation as a caller who may call it."""
    with_real_ids(case, desk)
    for role in ROLES_FOR_REFUSALS:
        token = None if leaves_out_the_token(case) else {"Authorization": f"Bearer {token_for(role)}"}
        response = case.call(headers=token)
        if response.status_code != 403:
            break
    case.validate_response(response, headers=token)


#: Staff first: most operations are theirs.
ROLES_FOR_REFUSALS = ["admin", "agent", "customer", "supervisor"]
assert sorted(ROLES_FOR_REFUSALS) == sorted(ROLES), "every role, so that no operation is met only as one refused"


def call_and_validate(case, role: str, desk: dict[str, str]) -> None:
    with_real_ids(case, desk)
    token = None if leaves_out_the_token(case) else {"Authorization": f"Bearer {token_for(role)}"}
    case.call_and_validate(headers=token)


def with_real_ids(case, desk: dict[str, str]) -> None:
    """Real ids half of the time, so operations get past their 404 and answer with their own statuses."""
    if case.path_parameters and zlib.crc32(repr(case.body).encode()) % 2 == 0:
        for name in case.path_parameters:
            if name in desk:
                case.path_parameters[name] = desk[name]


def leaves_out_the_token(case) -> bool:
    """A case whose headers are negative only for lacking Authorization means to go without a token: adding the
    role's would turn it into a request the document allows, which the API then (rightly) does not refuse. (A case
    that leaves out another required header, If-Match, keeps the token: it is about that header.)"""
    component = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if component is None or component.mode is not GenerationMode.NEGATIVE:
        return False
    sent = {name.lower() for name in case.headers or {}}
    required = {parameter.name.lower() for parameter in case.operation.headers if parameter.is_required}
    return "authorization" not in sent and required - {"authorization"} <= sent
