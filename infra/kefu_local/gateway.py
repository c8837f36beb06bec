"""API Gateway HTTP API in front of a function, as pure functions: an HTTP request becomes a payload
format 2.0 event, the function's answer becomes an HTTP response. No sockets here (see `server`).

What it reproduces of API Gateway:
- routes: a request is matched to a declared route (`METHOD /path/{param}`), most specific first;
  no match answers 404 `{"message":"Not Found"}`;
- the JWT authorizer: on a route that needs it, a missing or refused token answers 401
  `{"message":"Unauthorized"}` with a `www-authenticate` challenge, and the token's claims reach
  the function rendered as strings (`["agent","supervisor"]` → `"[agent supervisor]"`);
- the event: lower-cased headers and repeated query keys comma-joined, cookies split out of the
  Cookie header, a body that is not text base64-encoded;
- the response: `statusCode`/`headers`/`cookies`/`body`/`isBase64Encoded`, or any other JSON
  value taken as a 200 `application/json` body; a function that fails answers 500.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from kefu_local.tokens import InvalidToken, MissingToken, TokenVerifier

log = logging.getLogger(__name__)

LOCAL_ACCOUNT_ID = "000000000000"
LOCAL_API_ID = "kefulocal"

#: Content types API Gateway hands to the function as text; any other body is base64-encoded.
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|xml|javascript|[\w.\-]+\+(json|xml)))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    #: The path as the client sent it (percent-encoded, no query string).
    raw_path: str
    raw_query: str
    #: In the order received; a header sent twice appears twice.
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


# ---------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    """A route of the HTTP API: `method` is an HTTP method or `ANY`; `path` uses `{name}` and `{name+}`."""

    method: str
    path: str
    needs_auth: bool = True

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str] = field(default_factory=dict)


_LITERAL, _VARIABLE, _GREEDY = 0, 1, 2


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def _segment_kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _VARIABLE
    return _LITERAL


class RouteTable:
    """Matches requests to routes as API Gateway does: a literal segment beats a path variable, a
    path variable (one segment) beats a greedy `{name+}` (the rest of the path), and a route of the
    request's own method beats an `ANY` route."""

    def __init__(self, routes: Iterable[Route]):
        def specificity(route: Route) -> tuple[Any, ...]:
            kinds = tuple(_segment_kind(s) for s in _segments(route.path))
            return (*kinds, 3), route.method == "ANY"

        self.routes = sorted(routes, key=specificity)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        segments = [unquote(s) for s in raw_path.split("/")[1:]] if raw_path.strip("/") else []
        for route in self.routes:
            if route.method not in (method.upper(), "ANY"):
                continue
            parameters = _match_path(_segments(route.path), segments)
            if parameters is not None:
                return RouteMatch(route, parameters)
        return None


def _match_path(template: list[str], segments: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(template):
        kind = _segment_kind(part)
        if kind == _GREEDY:
            rest = segments[index:]
            if not rest or not any(rest):
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(segments):
            return None
        if kind == _VARIABLE:
            if not segments[index]:
                return None
            parameters[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return parameters if len(template) == len(segments) else None


# ---------------------------------------------------------------------------------------------- claims


def render_claim(value: Any) -> str:
    """A claim as the HTTP API JWT authorizer hands it on: always a string, arrays as `[a b]`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(render_claim(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{key}:{render_claim(value[key])}" for key in sorted(value)) + "]"
    if value is None:
        return ""
    return str(value)


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {name: render_claim(value) for name, value in claims.items()}


# ---------------------------------------------------------------------------------------------- event


def new_request_id() -> str:
    """Shaped like API Gateway's (`JKJaXmPLvHcESHA=`)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def _is_text(content_type: str | None, body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type is None:
        return True
    media_type = content_type.split(";", 1)[0].strip()
    return bool(_TEXT_TYPES.match(media_type))


def _combine_headers(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    combined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        combined[key] = f"{combined[key]},{value}" if key in combined else value
    return combined, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    return parameters


def build_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    now: float | None = None,
    api_id: str = LOCAL_API_ID,
    account_id: str = LOCAL_ACCOUNT_ID,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends for `request`.

    `claims` are the verified token's claims for a route behind the JWT authorizer, None for a
    route without one (the event then has no `authorizer`).
    """
    moment = time.time() if now is None else now
    request_id = request_id or new_request_id()
    headers, cookies = _combine_headers(request.headers)
    headers["x-amzn-trace-id"] = _trace_id(moment)
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers.setdefault("x-forwarded-proto", "http")
    domain_name = headers.get("host", "localhost")

    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(":", 1)[0].split(".", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(moment, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(moment * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": render_claims(claims), "scopes": None}}

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        event["queryStringParameters"] = _query_parameters(request.raw_query)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["requestContext"] = context
    if request.body:
        if _is_text(headers.get("content-type"), request.body):
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


# ---------------------------------------------------------------------------------------------- response


def gateway_error(status: int, message: str, request_id: str, **headers: str) -> HttpResponse:
    """An answer API Gateway gives itself, without calling the function."""
    extra = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return HttpResponse(
        status,
        [("content-type", "application/json"), *extra, ("apigw-requestid", request_id)],
        json.dumps({"message": message}, separators=(",", ":")).encode(),
    )


def to_http_response(result: Any, request_id: str) -> HttpResponse:
    """The HTTP response API Gateway makes of what the function returned (payload format 2.0)."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        # Without a statusCode, API Gateway takes the whole answer as a JSON body.
        return HttpResponse(
            200,
            [("content-type", "application/json"), ("apigw-requestid", request_id)],
            json.dumps(result).encode(),
        )
    try:
        status = int(result["statusCode"])
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            payload = base64.b64decode(body, validate=True)
        else:
            payload = str(body).encode("utf-8")
    except (TypeError, ValueError, AttributeError):
        log.exception("the function returned a response API Gateway cannot use: %r", result)
        return gateway_error(500, "Internal Server Error", request_id)
    headers.append(("apigw-requestid", request_id))
    return HttpResponse(status, headers, payload)


# ---------------------------------------------------------------------------------------------- gateway


def bearer_token(headers: Iterable[tuple[str, str]]) -> str | None:
    """The token of the Authorization header, with or without its `Bearer ` prefix."""
    value = next((v for k, v in headers if k.lower() == "authorization"), None)
    if value is None:
        return None
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def challenge(error: InvalidToken) -> str:
    """The `www-authenticate` value API Gateway's JWT authorizer sends with a 401."""
    if isinstance(error, MissingToken):
        return "Bearer"
    return f'Bearer scope="" error="invalid_token" error_description="{error.description}"'


Function = Callable[[dict[str, Any]], Any]


class Gateway:
    """One HTTP API: its routes, its JWT authorizer and the function every route integrates with."""

    def __init__(
        self,
        routes: RouteTable,
        function: Function,
        verifier: TokenVerifier,
        *,
        api_id: str = LOCAL_API_ID,
        account_id: str = LOCAL_ACCOUNT_ID,
        clock: Callable[[], float] = time.time,
    ):
        self.routes = routes
        self.function = function
        self.verifier = verifier
        self.api_id = api_id
        self.account_id = account_id
        self.clock = clock

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        now = self.clock()
        match = self.routes.match(request.method, request.raw_path)
        if match is None:
            return gateway_error(404, "Not Found", request_id)
        claims = None
        if match.route.needs_auth:
            try:
                claims = self._authorize(request, now)
            except InvalidToken as refusal:
                log.info("401 %s %s: %s", request.method, request.raw_path, refusal.description)
                return gateway_error(401, "Unauthorized", request_id, www_authenticate=challenge(refusal))
        event = build_event(
            request,
            route_key=match.route.route_key,
            path_parameters=match.path_parameters,
            claims=claims,
            request_id=request_id,
            now=now,
            api_id=self.api_id,
            account_id=self.account_id,
        )
        try:
            result = self.function(event)
        except Exception:
            log.exception("the function failed on %s %s", request.method, request.raw_path)
            return gateway_error(500, "Internal Server Error", request_id)
        return to_http_response(result, request_id)

    def _authorize(self, request: HttpRequest, now: float) -> dict[str, Any]:
        token = bearer_token(request.headers)
        if token is None:
            raise MissingToken()
        return self.verifier.verify(token, now=now)
