"""The OpenAPI document clients generate code from: Powertools' generated document, completed with what it cannot
know by itself.

- Every operation lists the problems it can answer, as application/problem+json with the `Problem` schema: its
  own (declared with `problems.responses(errors=...)`), plus those every route shares: 400 always; 401 when it
  needs a token; 404 when its path names a resource; 413, 415 and 422 when it takes a body; 422 when it has
  parameters. API Gateway's own answers (429 throttled; 401 from the JWT authorizer) are `{"message": ...}`.
- Security per operation: a bearer JWT everywhere but the public paths, which declare none.
- Cross-field rules the models enforce in code, in the schema where JSON Schema can say them (`RULES`), and
  headers the server requires though Powertools models them optional (`REQUIRED_HEADERS`).

Built on request (`/openapi.json`, `/docs`), never at init.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from envelope import LARGEST_INTEGER
from problems import PROBLEM, PROBLEM_SCHEMA, problem_response

BEARER = "bearer"
#: Who the token's `cognito:groups` make the caller (kefu.identity, kefu.knowledge.access, kefu.qa.reviews).
BEARER_DESCRIPTION = (
    "A Cognito access or ID token. Roles come from its `cognito:groups` claim: none, a customer; `agent`, "
    "`supervisor`, `admin` (staff); `editor`, people who write and publish knowledge-base articles without working "
    "tickets; `qa`, the quality inspection team (质检), who review and score agents' tickets "
    "(`/qa/reviews`, `/qa/coverage`, `/qa/scorecards`) without working tickets either."
)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

PROBLEM_COMPONENT: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details. 422s list what did not match in `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "description": "A URI naming the kind of problem (`about:blank`: the status says it)",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong with this request, for a person"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
GATEWAY_MESSAGE: dict[str, Any] = {
    "title": "GatewayMessage",
    "description": "An answer from API Gateway itself, before kefu is reached",
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}

#: Rules a request body's model checks in code, said in JSON Schema (component name → keywords added to it).
RULES: dict[str, dict[str, Any]] = {
    "AssignRequest": {
        "description": "Exactly one of: take it yourself (`take: true`), hand it to an agent (`agentId`), transfer "
        "it to a group (`groupId`).",
        "oneOf": [
            {"required": ["take"], "properties": {"take": {"const": True}}},
            {"required": ["agentId"], "properties": {"agentId": {"type": "string"}}},
            {"required": ["groupId"], "properties": {"groupId": {"type": "string"}}},
        ],
    },
    "RevisitAnswer": {
        "description": "Reached: `csat` is required (`nps` and `comment` optional). Not reached: no scores; "
        "`comment` is the note left on the task.",
        "if": {"required": ["reached"], "properties": {"reached": {"const": True}}},
        "then": {"required": ["csat"], "properties": {"csat": {"type": "integer"}}},
        "else": {"properties": {"csat": {"type": "null"}, "nps": {"type": "null"}}},
    },
    "TransitionRequest": {
        "description": "Resolving a ticket (`to: resolved`) records its `resolution`.",
        "if": {"required": ["to"], "properties": {"to": {"const": "resolved"}}},
        "then": {"required": ["resolution"], "properties": {"resolution": {"type": "object"}}},
    },
}
#: A tag as `NewTicket` and `TicketPatch` take it (surrounding spaces are trimmed, letters lowered).
TAG = {"type": "string", "pattern": r"^\s*[\w\-:.]{1,40}\s*$"}
#: List items the models check in code (component → property → item schema).
ITEMS: dict[str, dict[str, dict[str, Any]]] = {"NewTicket": {"tags": TAG}, "TicketPatch": {"tags": TAG}}
#: Headers the route requires though its signature keeps them optional to answer their absence itself
#: (operation → header names): PATCH without If-Match is 428, not a schema error.
REQUIRED_HEADERS: dict[tuple[str, str], set[str]] = {
    ("patch", "/tickets/{ticketId}"): {"if-match"},
    ("patch", "/customers/{customerId}"): {"if-match"},
    ("patch", "/me"): {"if-match"},
    ("put", "/kb/articles/{articleId}"): {"if-match"},
}


def document(app: APIGatewayHttpResolver, *, public_paths: Iterable[str], **info: Any) -> dict[str, Any]:
    """The whole document as a dict: `app`'s routes (with the routers it includes), completed as above."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    generated = app.get_openapi_json_schema(
        security_schemes={BEARER: HTTPBearer(bearerFormat="JWT", description=BEARER_DESCRIPTION)}, **info
    )
    doc = json.loads(generated)
    # Powertools lists paths in the order routes were added, and routers are added when first needed (routers.py):
    # sorted, the document is the same whatever requests came first.
    doc["paths"] = dict(sorted(doc.get("paths", {}).items()))
    doc.pop("security", None)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_COMPONENT
    schemas["GatewayMessage"] = GATEWAY_MESSAGE
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    for name, rule in RULES.items():
        if name in schemas:
            schemas[name] = {**schemas[name], **rule}
    for name, properties in ITEMS.items():
        for prop, items in properties.items():
            _set_items(schemas.get(name, {}).get("properties", {}).get(prop, {}), items)
    for component in schemas.values():
        _bound_integers(component)
    public = set(public_paths)
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _complete(item[method], method, path, needs_token=path not in public)
    return doc


def _complete(operation: dict[str, Any], method: str, path: str, *, needs_token: bool) -> None:
    responses = operation.setdefault("responses", {})
    # Powertools documents a validation error on every operation, as application/json; kefu answers it as a
    # problem, and only where there is something to validate.
    responses.pop("422", None)
    for status in _shared_problems(operation, path, needs_token=needs_token):
        responses.setdefault(str(status), problem_response(status))
    if needs_token:
        operation["security"] = [{BEARER: []}]
        responses["401"]["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}
    else:
        operation.pop("security", None)
    responses["429"] = {
        "description": "Throttled by API Gateway",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}},
    }
    _require_headers(operation, REQUIRED_HEADERS.get((method, path), ()))
    for content in responses.values():
        for media, body in content.get("content", {}).items():
            if media == PROBLEM:
                body["schema"] = PROBLEM_SCHEMA


def _shared_problems(operation: dict[str, Any], path: str, *, needs_token: bool) -> list[int]:
    """The problems every operation of its kind can answer: what it reads can be malformed, its token missing, its
    ids unknown, its body too large or of another type."""
    parameters = operation.get("parameters", [])
    validated = "requestBody" in operation or any(p.get("in") != "path" for p in parameters)
    shared = []
    if validated or parameters:
        shared.append(400)
    if needs_token:
        shared.append(401)
    if re.search(r"\{[^}]+\}", path):
        shared.append(404)
    if "requestBody" in operation:
        shared += [413, 415]
    if validated:
        shared.append(422)
    return shared


def _require_headers(operation: dict[str, Any], headers: Iterable[str]) -> None:
    """Headers the route requires (If-Match on PATCH), marked required and no longer nullable in the document."""
    for header in headers:
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name", "").lower() == header:
                parameter["required"] = True
                schema = parameter.get("schema", {})
                if "anyOf" in schema:
                    parameter["schema"] = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema)


def _set_items(schema: dict[str, Any], items: dict[str, Any]) -> None:
    """`items` on an array schema, or on the array branch of an optional one (`anyOf: [array, null]`)."""
    for branch in [schema, *schema.get("anyOf", [])]:
        if branch.get("type") == "array":
            branch["items"] = items


def _bound_integers(schema: Any) -> None:
    """Every integer within ±2^53 (what JavaScript clients hold exactly, and what the API reads: `envelope`)."""
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            schema.setdefault("maximum", LARGEST_INTEGER)
            schema.setdefault("minimum", -LARGEST_INTEGER)
        for value in schema.values():
            _bound_integers(value)
    elif isinstance(schema, list):
        for value in schema:
            _bound_integers(value)
