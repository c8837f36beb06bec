"""kefu's HTTP API: API Gateway v2 events in, the domain called, problem+json out on every error."""

from __future__ import annotations

import gc

# The init phase allocates tens of thousands of objects (botocore, pydantic, Powertools, the routes) and every one
# of them lives as long as the container. The cyclic collector, run during that, walks them all again and again
# and finds almost nothing to free: about a tenth of the init. It is off until the end of this module.
gc.disable()
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

import base64
import binascii
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from kefu import errors
from kefu.agents import service as agents
from kefu.config import settings
from kefu.identity import Caller
from kefu.model.agents import Agent, AgentSpec, AvailabilityUpdate, Group, GroupMember, GroupSpec
from kefu.model.surveys import RevisitAnswer, RevisitOutcome, SurveyAnswer, SurveyResult, SurveyView
from kefu.model.tickets import (
    AssignRequest,
    NewMessage,
    NewTicket,
    Page,
    Status,
    Ticket,
    TicketPatch,
    TimelineEntry,
    TransitionRequest,
)
from kefu.observability import logger, metrics, tracer
from kefu.tickets import policy
from kefu.tickets import service as tickets

PROBLEM = "application/problem+json"
#: Reached without a token. A survey link's signed token (in its path) is its credential, checked by the domain.
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/surveys/{token}"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    500: "Internal server error",
    429: "Too many requests",
}

app = APIGatewayHttpResolver(enable_validation=True)


def _sibling(name: str) -> Any:
    """A module beside this one (a capability's routes). Lambda has this folder on sys.path; the tests and the local
    stack load the handler from its file, so the sibling is loaded the same way, under a name of the handler's."""
    module_name = f"{__name__}_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


app.include_router(_sibling("kpi_routes").router)
app.include_router(_sibling("knowledge_routes").router)
app.include_router(_sibling("customer_routes").router)


def documented(model: Any, status: int = 200, description: str = "OK") -> dict:
    """The answer's schema for the OpenAPI document (routes answer with shaped Responses, so it is declared)."""
    errors_doc = {"description": "A problem (RFC 9457)", "content": {PROBLEM: {"schema": {"type": "object"}}}}
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        400: errors_doc,
    }


# --- errors: one place maps each domain error to its status --------------------------------------------


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    return Response(status_code=status, content_type=PROBLEM, body=json.dumps(body), headers=headers)


_STATUS_OF: list[tuple[type[Exception], int]] = [
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.StaleVersion, 412),
    (errors.PreconditionRequired, 428),
    (errors.Conflict, 409),
    (errors.BadRequest, 400),
    (errors.InvalidRequest, 422),
]


@app.exception_handler(errors.KefuError)
def domain_error(err: errors.KefuError) -> Response:
    status = next(code for kind, code in _STATUS_OF if isinstance(err, kind))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, str(err), headers=headers)


@app.exception_handler(RequestValidationError)
def invalid_request(err: RequestValidationError) -> Response:
    found = err.errors()
    if any(e.get("loc", ("",))[0] == "response" for e in found):
        return unexpected(err)
    if any(e.get("type") == "json_invalid" for e in found):
        return problem(400, "the body is not valid JSON")
    issues = [
        {
            "location": ".".join(str(part) for part in e.get("loc", ())),
            "message": e.get("msg"),
            "type": e.get("type"),
        }
        for e in found
    ]
    return problem(422, "the request does not match the schema", errors=issues)


@app.exception_handler(RecursionError)
def nested_too_deep(_err: RecursionError) -> Response:
    return problem(400, "the body is nested too deeply to read")


@app.exception_handler(Exception)
def unexpected(err: Exception) -> Response:
    # A 5xx is always a bug: log it whole, answer without internals.
    logger.exception("unhandled error", extra={"error": type(err).__name__})
    return problem(500, "an unexpected error occurred; it has been logged")


@app.not_found
def route_not_found(_err: NotFoundError) -> Response:
    return problem(404, "no such route")


# --- who is calling ----------------------------------------------------------------------------------------


def caller() -> Caller:
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return Caller.from_claims(claims)


def etag(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


_ETAG = re.compile(r'^(?:W/)?"([0-9]{1,12})"$|^([0-9]{1,12})$')


def parse_if_match(value: str | None) -> int | None:
    """The version the caller read, or None for `*` (any current version)."""
    if value is None:
        raise errors.PreconditionRequired("changing a ticket needs If-Match with the ETag you read")
    text = value.strip()
    if text == "*":
        return None
    match = _ETAG.match(text)
    if match is None:
        raise errors.StaleVersion('If-Match must be an ETag this API issued, such as "3"')
    return int(match.group(1) or match.group(2))


def ticket_response(who: Caller, ticket: Ticket, status: int = 200) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(policy.ticket_view(who, ticket)),
        headers={"ETag": etag(ticket)},
    )


def json_response(data: Any, status: int = 200) -> Response:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    return Response(status_code=status, content_type="application/json", body=json.dumps(data))


# --- routes ------------------------------------------------------------------------------------------------


@app.get("/health", tags=["meta"], summary="Liveness")
def health():
    return {"status": "ok"}


@app.post("/tickets", tags=["tickets"], summary="Open a ticket", responses=documented(Ticket, 201, "The ticket"))
def open_ticket(
    body: NewTicket,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
):
    who = caller()
    if idempotency_key is not None and not idempotency_key.strip():
        raise errors.BadRequest("the Idempotency-Key header is empty")
    if idempotency_key is None:
        ticket = tickets.open_ticket(who, body)
    else:
        tickets.idempotency_config().register_lambda_context(app.lambda_context)
        ticket = tickets.open_ticket_once(who, body, idempotency_key)
    metrics.add_metric(name="TicketsOpened", unit="Count", value=1)
    return ticket_response(who, ticket, 201)


@app.get("/tickets", tags=["tickets"], summary="List tickets", responses=documented(Page[Ticket]))
def list_tickets(
    status: Annotated[Status | None, Query()] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    who = caller()
    page = tickets.list_tickets(who, status=status, group=group, assignee=assignee, limit=limit, cursor=cursor)
    items = [policy.ticket_view(who, ticket) for ticket in page.items]
    return json_response({"items": items, "nextCursor": page.nextCursor})


@app.get("/tickets/<ticketId>", tags=["tickets"], summary="Read a ticket", responses=documented(Ticket))
def get_ticket(ticketId: str):
    who = caller()
    return ticket_response(who, tickets.get_ticket(who, ticketId))


@app.patch(
    "/tickets/<ticketId>",
    tags=["tickets"],
    summary="Change priority, category or tags",
    responses=documented(Ticket),
)
def patch_ticket(
    ticketId: str,
    body: TicketPatch,
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
):
    who = caller()
    who.require_staff()
    ticket = tickets.update_ticket(who, ticketId, body, if_match=parse_if_match(if_match))
    return ticket_response(who, ticket)


@app.get(
    "/tickets/<ticketId>/timeline",
    tags=["tickets"],
    summary="A ticket's timeline, in order",
    responses=documented(Page[TimelineEntry]),
)
def get_timeline(
    ticketId: str,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    page = tickets.timeline(caller(), ticketId, limit=limit, cursor=cursor)
    return json_response(page)


@app.post(
    "/tickets/<ticketId>/messages",
    tags=["tickets"],
    summary="Add a message or an internal note",
    responses=documented(TimelineEntry, 201),
)
def add_message(ticketId: str, body: NewMessage):
    entry = tickets.add_message(caller(), ticketId, body)
    return json_response(entry, 201)


@app.post(
    "/tickets/<ticketId>/transition",
    tags=["tickets"],
    summary="Move a ticket through its lifecycle",
    responses=documented(Ticket),
)
def transition(ticketId: str, body: TransitionRequest):
    who = caller()
    return ticket_response(who, tickets.transition(who, ticketId, body))


@app.post(
    "/tickets/<ticketId>/assign",
    tags=["tickets"],
    summary="Take, assign to an agent, or transfer",
    responses=documented(Ticket),
)
def assign(ticketId: str, body: AssignRequest):
    who = caller()
    return ticket_response(who, tickets.assign(who, ticketId, body))


@app.post(
    "/tickets/<ticketId>/revisit",
    tags=["surveys"],
    summary="Record a revisit call (agents): the customer's answer when reached, else a note",
    responses=documented(RevisitOutcome),
)
def record_revisit(ticketId: str, body: RevisitAnswer):
    from kefu.surveys import service as surveys

    return json_response(surveys.record_revisit(caller(), ticketId, body))


@app.get(
    "/surveys/<token>",
    tags=["surveys"],
    summary="A revisit survey: its questions and the ticket it is about (no token: the link is the credential)",
    responses=documented(SurveyView),
)
def show_survey(token: str):
    from kefu.surveys import service as surveys

    return json_response(surveys.show_survey(token))


@app.post(
    "/surveys/<token>",
    tags=["surveys"],
    summary="Answer a revisit survey, once: CSAT 1-5, NPS 0-10, a comment",
    responses=documented(SurveyResult, 201, "The recorded answer"),
)
def answer_survey(token: str, body: SurveyAnswer):
    from kefu.surveys import service as surveys

    return json_response(surveys.answer_survey(token, body), 201)


@app.get("/groups", tags=["agents"], summary="The groups", responses=documented(list[Group]))
def list_groups():
    return json_response(agents.list_groups(caller()))


@app.put(
    "/groups/<groupId>",
    tags=["agents"],
    summary="Create or update a group (admins)",
    responses=documented(Group),
)
def put_group(groupId: str, body: GroupSpec):
    return json_response(agents.upsert_group(caller(), groupId, body))


@app.get(
    "/groups/<groupId>/agents",
    tags=["agents"],
    summary="A group's agents with availability and load",
    responses=documented(list[GroupMember]),
)
def group_agents(groupId: str):
    return json_response(agents.group_roster(caller(), groupId))


@app.put(
    "/agents/<agentId>",
    tags=["agents"],
    summary="Create or update an agent (admins)",
    responses=documented(Agent),
)
def put_agent(agentId: str, body: AgentSpec):
    return json_response(agents.upsert_agent(caller(), agentId, body))


@app.put(
    "/agents/<agentId>/availability",
    tags=["agents"],
    summary="Set availability (`me` for yourself)",
    responses=documented(Agent),
)
def put_availability(agentId: str, body: AvailabilityUpdate):
    return json_response(tickets.set_availability(caller(), agentId, body))


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():
    # Generated on request, so the schema machinery costs nothing on the cold start of the other routes.
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@app.get("/docs", include_in_schema=False)
def swagger_ui():
    from pathlib import Path

    from aws_lambda_powertools.event_handler.openapi import swagger_ui as assets
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    folder = Path(assets.__file__).parent
    html = generate_swagger_html(
        openapi_json().replace("</", "<\\/"),
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
        None,
        None,
        False,
    )
    return Response(status_code=200, content_type="text/html", body=html)


def openapi_json() -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return app.get_openapi_json_schema(
        title="kefu",
        version="1.0.0",
        description="kefu (客服): a customer-service desk. Errors are application/problem+json (RFC 9457).",
        security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearer": []}],
    )


# --- the envelope: checks that come before any route -----------------------------------------------------


def check_envelope(event: dict) -> dict | None:
    """Body size and media type, refused (as an API Gateway v2 answer) before validation reads the body."""
    method = (event.get("requestContext", {}).get("http", {}) or {}).get("method", "")
    body = event.get("body")
    if not body or method not in _BODY_METHODS:
        return None
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8"))
    if size > settings().max_body_bytes:
        return _early_problem(413, f"the body is larger than {settings().max_body_bytes} bytes")
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _early_problem(400, "the body is not UTF-8 encoded JSON")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return _early_problem(415, "send the body as application/json")
    return None


def _early_problem(status: int, detail: str) -> dict:
    response = problem(status, detail)
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM},
        "body": response.body,
        "isBase64Encoded": False,
    }


def declared_routes() -> list[tuple[str, str, bool]]:
    """(method, path template, needs a token) for each route: the infrastructure and local stack read this."""
    return [
        (route.method, route.openapi_path, route.openapi_path not in PUBLIC_PATHS)
        for route in app._static_routes + app._dynamic_routes
    ]


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: Any) -> dict:
    refused = check_envelope(event)
    if refused is not None:
        return refused
    return app.resolve(event, context)


# End of init. What it allocated is moved out of the collector's generations for good (nothing of it is garbage),
# so the collections that requests trigger never walk it again, and the collector is back on.
gc.freeze()
gc.enable()
