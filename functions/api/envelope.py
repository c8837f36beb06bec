"""What every request body goes through before any route: its size, its media type, and JSON a client can mean.

- Size: over the configured limit is 413.
- Media type: `application/json` in any letter case, with or without parameters (`; charset=utf-8`), is JSON;
  any other type, or none, is 415. The event reaches the resolver with the type spelled `application/json`, the
  one spelling Powertools' validation reads as JSON.
- JSON types as the document states them (`strict_types`, a middleware on every route): Powertools validates a
  body leniently (`"5"` or `true` for an integer, `0` for a boolean); the route's body model is checked again on
  the JSON text in strict mode, so a client sending what the document forbids gets 422 rather than a guess.
- JSON: a body that is not JSON, or not UTF-8, is 400; NaN and Infinity (not JSON) are 400; nesting deeper than
  `MAX_DEPTH` is 400; an integer of more than `MAX_INTEGER_DIGITS` digits (past 2^53, which JavaScript clients
  cannot hold) or a number no double holds is 422. Python's own limit (4,300 digits) would be a ValueError, a 500.

The checks answer as an API Gateway v2 response (a problem), or hand back the event to resolve.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from problems import PROBLEM, problem
from pydantic import TypeAdapter, ValidationError

from kefu.config import settings

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"
MAX_DEPTH = 32
#: 2^53 has 16 digits; a longer integer cannot be exact in a JavaScript client.
MAX_INTEGER_DIGITS = 16
LARGEST_INTEGER = 2**53


class _Unreadable(ValueError):
    """A JSON body with a value kefu does not take: its status and why."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS or abs(int(text)) > LARGEST_INTEGER:
        raise _Unreadable(422, f"the integer {text[:20]}… is out of range (at most 2^53 in magnitude)")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Unreadable(422, f"the number {text[:20]}… is out of range")
    return value


def _constant(name: str) -> Any:
    raise _Unreadable(400, f"{name} is not JSON")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a decoded body, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


def read_json(text: str) -> Any:
    """The body decoded, or _Unreadable."""
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except _Unreadable:
        raise
    except RecursionError:
        raise _Unreadable(400, "the body is nested too deeply to read") from None
    except ValueError:
        raise _Unreadable(400, "the body is not valid JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise _Unreadable(400, f"the body nests arrays and objects more than {MAX_DEPTH} deep")
    return value


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == JSON


def check(event: dict) -> tuple[dict | None, dict]:
    """(a refusal as an API Gateway v2 response, or None; the event to resolve)."""
    method = (event.get("requestContext", {}).get("http", {}) or {}).get("method", "")
    body = event.get("body")
    if not body or method not in BODY_METHODS:
        return None, event
    encoded = bool(event.get("isBase64Encoded"))
    size = len(body) * 3 // 4 if encoded else len(body.encode("utf-8"))
    limit = settings().max_body_bytes
    if size > limit:
        return refusal(413, f"the body is larger than {limit} bytes"), event
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not is_json(content_type):
        return refusal(415, f"send the body as {JSON}"), event
    if encoded:
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return refusal(400, "the body is not UTF-8 encoded JSON"), event
    else:
        text = body
    try:
        read_json(text)
    except _Unreadable as unreadable:
        return refusal(unreadable.status, unreadable.detail), event
    cleaned = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    cleaned["content-type"] = JSON
    return None, {**event, "headers": cleaned, "body": text, "isBase64Encoded": False}


def refusal(status: int, detail: str) -> dict:
    body = problem(status, detail).body
    return {"statusCode": status, "headers": {"Content-Type": PROBLEM}, "body": body, "isBase64Encoded": False}


def _integral(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def strict_types(app: Any, next_middleware: Callable[..., Response]) -> Response:
    """The route's body model checked on the JSON text in strict mode (JSON types only: no `"5"` for 5, no `0` for
    false), after Powertools' lenient validation has passed."""
    route = app.context.get("_route")
    field = route.body_field if route is not None else None
    raw = app.current_event.body
    if field is not None and raw:
        # JSON Schema's integer is any number without a fraction (2.0 is one): so is kefu's, before strict mode.
        text = json.dumps(json.loads(raw, parse_float=_integral))
        try:
            _adapter(field.type_).validate_json(text, strict=True)
        except ValidationError as err:
            found = [{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False, include_context=False)]
            raise RequestValidationError(found) from None
    return next_middleware(app)
