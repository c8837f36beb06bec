"""Every error as application/problem+json (RFC 9457), and how a route documents the problems it answers.

One place maps each domain error to its status (`STATUS_OF`); `install` puts the handlers on the resolver, so a
route in any module (a Powertools `Router` included with `app.include_router`) answers problems without doing
anything. A route documents its success answer and the problems its domain can raise with `responses(...)`; the
problems every route shares (400, 401 on routes that need a token, 404 on paths naming a resource, 413/415/422 on
routes that take a body) are added to each operation by the document itself (`contract.py`).

    @router.get("/kb/articles/<articleId>", responses=responses(Article, errors=(403,)))
    def get_article(articleId: str): ...
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from kefu import errors
from kefu.observability import logger

PROBLEM = "application/problem+json"
#: The Problem schema's place in the document (`contract.py` defines it).
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
TITLES = {
    301: "Moved permanently",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    408: "Request timeout",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    410: "Gone",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}
#: What each status means on any route, for the document (a route may say more in its own description).
MEANINGS = {
    400: "The request is malformed: not JSON, a parameter out of range, parameters that contradict each other",
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "No such resource (or the caller may not know that it exists)",
    409: "The request contradicts the resource's current state",
    412: "If-Match names a version that is no longer the current one",
    413: "The body is larger than the API accepts",
    415: "The body is not application/json",
    422: "The body or a parameter does not match the schema, or breaks a rule stated in the operation",
    428: "This change needs If-Match with the ETag you read",
    301: "The resource lives on under another id, named in `Location` and the problem's `location`",
    410: "The resource was removed on purpose (a customer record erased); the problem says what is left",
}

#: Domain error → HTTP status, most specific first. The only place that decides it.
STATUS_OF: list[tuple[type[Exception], int]] = [
    (errors.Moved, 301),
    (errors.Gone, 410),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.StaleVersion, 412),
    (errors.PreconditionRequired, 428),
    (errors.Conflict, 409),
    (errors.BadRequest, 400),
    (errors.InvalidRequest, 422),
]


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    return Response(status_code=status, content_type=PROBLEM, body=json.dumps(body), headers=headers)


def status_of(err: errors.KefuError) -> int:
    return next(code for kind, code in STATUS_OF if isinstance(err, kind))


def domain_error(err: errors.KefuError) -> Response:
    status = status_of(err)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(err, errors.Moved):
        return problem(status, str(err), headers={"Location": err.location}, location=err.location, **err.extra)
    if isinstance(err, errors.Gone):
        return problem(status, str(err), **err.extra)
    return problem(status, str(err), headers=headers)


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


def nested_too_deep(_err: RecursionError) -> Response:
    return problem(400, "the body is nested too deeply to read")


def unexpected(err: Exception) -> Response:
    # A 5xx is always a bug: log it whole, answer without internals.
    logger.exception("unhandled error", extra={"error": type(err).__name__})
    return problem(500, "an unexpected error occurred; it has been logged")


def route_not_found(_err: NotFoundError) -> Response:
    return problem(404, "no such route")


def install(app: APIGatewayHttpResolver) -> None:
    """Every error `app` (and the routers it includes) can meet, answered as a problem."""
    app.exception_handler(errors.KefuError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.exception_handler(RecursionError)(nested_too_deep)
    app.exception_handler(Exception)(unexpected)
    app.not_found(route_not_found)


def problem_response(status: int, description: str | None = None) -> OpenAPIResponse:
    """One documented problem answer."""
    return {
        "description": description or MEANINGS.get(status, TITLES[status]),
        "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
    }


def responses(
    model: Any = None,
    status: int = 200,
    description: str = "OK",
    *,
    errors: Iterable[int] = (),
    headers: dict[str, OpenAPIResponseHeader] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's `responses=`: its answer (`model` as application/json) and the problems its domain raises beyond
    the ones every route shares (which the document adds by itself), e.g. `errors=(403, 409)`."""
    answer: OpenAPIResponse = {"description": description}
    if model is not None:
        answer["content"] = {"application/json": {"model": model}}
    if headers:
        answer["headers"] = headers
    documented: dict[int, OpenAPIResponse] = {status: answer}
    for code in errors:
        documented[code] = problem_response(code)
    return documented
