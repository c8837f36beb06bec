"""kefu's HTTP API: API Gateway v2 events in, the domain called, problem+json out on every error."""

from __future__ import annotations

import gc

# The init phase allocates tens of thousands of objects (botocore, pydantic, Powertools, the routes) and every one
# of them lives as long as the container. The cyclic collector, run during that, walks them all again and again
# and finds almost nothing to free: about a tenth of the init. It is off until the end of the first invocation,
# which makes more of the same kind (the DynamoDB client, the pieces of the domain loaded on first use): see
# `lambda_handler`.
gc.disable()
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

import functools
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

# Lambda puts the function's folder on sys.path; the tests and the local stack load this file by its location, so
# the modules beside it (problems, envelope, contract, and route modules) are found the same way there.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from kefu import lazy_packages

# Powertools' event_handler package imports every resolver it has and its data_classes package every event class;
# the API needs one resolver and a few events: each name is loaded with its own submodule (kefu.lazy_packages).
for _package in lazy_packages.POWERTOOLS:
    lazy_packages.defer(_package)

import envelope
import problems
import routers
from answers import caller_of, json_response
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponseHeader
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from problems import responses

from kefu import errors
from kefu.first_invocation import collector_on_after_first_invocation
from kefu.identity import Caller
from kefu.model.tickets import Page, Status, Ticket, TimelineEntry
from kefu.observability import logger, metrics, tracer
from kefu.tickets import policy
from kefu.tickets import service as tickets

# The bodies of the routes that open or change a ticket: loaded with the first request that takes one (its route's
# annotation, `requests.NewTicket`, is read when Powertools first validates that route's request, or writes the
# document), never for a read, which needs none of them (kefu.model.ticket_requests says what that saves).
if TYPE_CHECKING:
    from kefu.model import ticket_requests as requests
else:
    requests = lazy_packages.lazy_module("kefu.model.ticket_requests")

T = TypeVar("T", "requests.NewTicket", "requests.NewMessage")
#: Reached without a token. A survey link's signed token (in its path) is its credential, checked by the domain.
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/surveys/{token}"})
#: The ticket's version, on every answer that carries a ticket: what PATCH's If-Match names.
ETAG_HEADER: dict[str, OpenAPIResponseHeader] = {
    "ETag": {"description": "The ticket's version, for If-Match", "schema": {"type": "string"}}
}

app = APIGatewayHttpResolver(enable_validation=True)
# Every error, from any route (routers included), answered as a problem.
problems.install(app)
# Bodies hold the JSON types the document states (Powertools' own validation coerces "5" and true to numbers).
app.use([envelope.strict_types])


# Each capability's routes, in a module of their own beside this one (a Router the resolver includes), included
# with the first request for one of its paths (routers.py says why and why that is safe).
features = routers.LazyRouters(app)


# --- who is calling ----------------------------------------------------------------------------------------


def caller() -> Caller:
    return caller_of(app.current_event)


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


def with_checked_files(who: Caller, body: T) -> T:
    """The body with the files it names as S3 holds them (uploads checked: the caller's, there, within limits)."""
    if not body.attachments:
        return body
    from kefu.attachments import service as attachments

    return body.model_copy(update={"attachments": attachments.verified(who, body.attachments)})


# --- routes ------------------------------------------------------------------------------------------------


@app.get("/health", tags=["meta"], summary="Liveness")
def health():
    return {"status": "ok"}


@app.post(
    "/tickets",
    tags=["tickets"],
    summary="Open a ticket",
    description="Customers open their own tickets; `customer` and `priority` are for agents. An agent's request "
    "names the customer (`customer` with an `id`, `email` or `phone`): 422 without it. With `Idempotency-Key`, a "
    "retry answers the same ticket; the same key with another body is 422, and 409 while the first is in progress. "
    "`attachments` name files uploaded with `POST /tickets/attachments/uploads` by their `key`: 422 for a key that "
    "is not your own upload, was not uploaded, or holds a file outside the limits.",
    responses=responses(Ticket, 201, "The ticket", errors=(403, 409), headers=ETAG_HEADER),
)
def open_ticket(
    body: requests.NewTicket,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
):
    who = caller()
    if idempotency_key is not None and not idempotency_key.strip():
        raise errors.BadRequest("the Idempotency-Key header is empty")
    body = with_checked_files(who, body)
    if idempotency_key is None:
        ticket = tickets.open_ticket(who, body)
    else:
        tickets.idempotency_config().register_lambda_context(app.lambda_context)
        ticket = tickets.open_ticket_once(who, body, idempotency_key)
    metrics.add_metric(name="TicketsOpened", unit="Count", value=1)
    return ticket_response(who, ticket, 201)


@app.get(
    "/tickets",
    tags=["tickets"],
    summary="List tickets",
    description="Customers list their own tickets. Agents list a `group`'s tickets or their own (`assignee=me`); "
    "under the deployment's `groups` access scope only their own groups' queues (403 for another group's). "
    "Supervisors and admins list any group's or anyone's, or all by `status`. "
    "`owner=me` lists the tickets the caller owns (the agent who first took them), by `status` (default `open`), "
    "newest first, wherever they sit and whoever holds them; supervisors and admins may name any agent "
    "(`owner=<agentId>`; 403 for an agent naming another). `escalated=true` lists active escalated tickets across "
    "groups, the highest escalation level first; `atRisk=true` active tickets whose first response or resolution is "
    "due within the deployment's margin (`sla.at_risk_margin`) or overdue, most urgent first: both for supervisors "
    "and admins (403 for others), without `status` (400 with it). `group`, `assignee`, `owner`, `escalated` and "
    "`atRisk` exclude each other (400 with two). `cursor` is the previous page's `nextCursor` (400 for one kefu did "
    "not issue).",
    responses=responses(Page[Ticket], errors=(403,)),
)
def list_tickets(
    status: Annotated[Status | None, Query()] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    escalated: Annotated[bool, Query()] = False,
    atRisk: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    who = caller()
    page = tickets.list_tickets(
        who,
        status=status,
        group=group,
        assignee=assignee,
        owner=owner,
        escalated=escalated,
        at_risk=atRisk,
        limit=limit,
        cursor=cursor,
    )
    items = [policy.ticket_view(who, ticket) for ticket in page.items]
    return json_response({"items": items, "nextCursor": page.nextCursor})


@app.get(
    "/tickets/<ticketId>",
    tags=["tickets"],
    summary="Read a ticket",
    description="A customer reads their own tickets (404 for anyone else's). Agents read any, or, under the "
    "deployment's `groups` access scope, their groups' tickets and those they own, are assigned or helped on (404 "
    "for any other, as for a ticket that does not exist); supervisors and admins read any.",
    responses=responses(Ticket, headers=ETAG_HEADER),
)
def get_ticket(ticketId: str):
    who = caller()
    return ticket_response(who, tickets.get_ticket(who, ticketId))


@app.patch(
    "/tickets/<ticketId>",
    tags=["tickets"],
    summary="Change priority, category or tags",
    description="Agents only, on a ticket they reach (404 otherwise). `If-Match` with the ETag you read is "
    "required: 428 without it, 412 when the ticket changed since (read it again).",
    responses=responses(Ticket, errors=(403, 409, 412, 428), headers=ETAG_HEADER),
)
def patch_ticket(
    ticketId: str,
    body: requests.TicketPatch,
    if_match: Annotated[str | None, Header(alias="if-match", max_length=64)] = None,
):
    who = caller()
    who.require_staff()
    ticket = tickets.update_ticket(who, ticketId, body, if_match=parse_if_match(if_match))
    return ticket_response(who, ticket)


@app.get(
    "/tickets/<ticketId>/timeline",
    tags=["tickets"],
    summary="A ticket's timeline, in order",
    description="Customers see the public entries of their own tickets; agents see all entries of the tickets "
    "they reach (404 otherwise, as for reading the ticket).",
    responses=responses(Page[TimelineEntry]),
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
    description="`visibility: internal` (a note) is for agents: 403 for a customer. 409 on a closed ticket; 404 "
    "on one the caller does not reach.",
    responses=responses(TimelineEntry, 201, "The entry", errors=(403, 409)),
)
def add_message(ticketId: str, body: requests.NewMessage):
    who = caller()
    entry = tickets.add_message(who, ticketId, with_checked_files(who, body))
    return json_response(entry, 201)


@app.post(
    "/tickets/<ticketId>/transition",
    tags=["tickets"],
    summary="Move a ticket through its lifecycle",
    description="Agents move the tickets they reach (404 otherwise); customers may only reopen or close their own "
    "resolved ticket (403 otherwise). 409 on a move the lifecycle forbids. Resolving records a `resolution` (422 "
    "without it).",
    responses=responses(Ticket, errors=(403, 409), headers=ETAG_HEADER),
)
def transition(ticketId: str, body: requests.TransitionRequest):
    who = caller()
    return ticket_response(who, tickets.transition(who, ticketId, body))


@app.post(
    "/tickets/<ticketId>/assign",
    tags=["tickets"],
    summary="Take, assign to an agent, or transfer",
    description="Agents (on a ticket they reach: 404 otherwise) and supervisors; exactly one of `take`, `agentId`, "
    "`groupId`. 409 when the agent is at capacity or the ticket cannot be assigned now; 422 for an agent or group "
    "that does not exist.",
    responses=responses(Ticket, errors=(403, 409), headers=ETAG_HEADER),
)
def assign(ticketId: str, body: requests.AssignRequest):
    who = caller()
    return ticket_response(who, tickets.assign(who, ticketId, body))


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
        "",
        None,
        False,
    )
    return Response(status_code=200, content_type="text/html", body=html)


@functools.cache  # every router included (its first line), the routes are fixed; so is the document (~0.2 s to build)
def openapi_json() -> str:
    import contract

    features.include_all()
    doc = contract.document(
        app,
        public_paths=PUBLIC_PATHS,
        title="kefu",
        version="1.0.0",
        description="kefu (客服): a customer-service desk. Errors are application/problem+json (RFC 9457); request "
        "bodies are application/json (415 otherwise).",
    )
    return json.dumps(doc)


def declared_routes() -> list[tuple[str, str, bool]]:
    """(method, path template, needs a token) for each route: the infrastructure and local stack read this."""
    features.include_all()
    return [
        (route.method, route.openapi_path, route.openapi_path not in PUBLIC_PATHS)
        for route in app._static_routes + app._dynamic_routes
    ]


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handle(event: dict, context: Any) -> dict:
    refused, event = envelope.check(event)
    if refused is not None:
        return refused
    features.include_for(APIGatewayProxyEventV2(event).path)
    return app.resolve(event, context)


# End of the cold start: the first invocation builds what every later one reuses (pynamodb's botocore client, about
# a third of the cold start; the ticket modules and models loaded on first use), which the collector walked again and
# again, about 40 M instructions of the API's first request (tests/bench, issue 22): kefu.first_invocation keeps it off
# until that invocation ends, then freezes what init and it allocated.
lambda_handler = collector_on_after_first_invocation(handle)
