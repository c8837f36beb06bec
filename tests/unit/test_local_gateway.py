"""The local HTTP API gateway: requests become API Gateway v2 events, answers become HTTP responses,
and tokens are checked as the HTTP API JWT authorizer checks them. Pure: no sockets."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from typing import Any

import jwt
import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from kefu.identity import Caller, Role
from kefu_local.gateway import (
    Gateway,
    HttpRequest,
    Route,
    RouteTable,
    build_event,
    render_claim,
    to_http_response,
)
from kefu_local.runtime import LocalFunction, is_public, routes_of
from kefu_local.tokens import LOCAL_CLIENT_ID, LOCAL_ISSUER, LocalUserPool, TokenUse

NOW = 1_795_000_000.0

# --- a tiny API, standing in for functions/api ----------------------------------------------------------

fake_api = APIGatewayHttpResolver()


@fake_api.get("/health")
def _health() -> dict:
    return {"status": "ok"}


@fake_api.get("/things/mine")
def _my_things() -> dict:
    return {"route": "mine"}


@fake_api.route("/things/<thingId>", method=["GET", "POST"])
def _thing(thingId: str) -> dict:
    event = fake_api.current_event
    authorizer = event.request_context.authorizer
    return {
        "thingId": thingId,
        "claims": authorizer.jwt_claim if authorizer else None,
        "caller": Caller.from_claims(authorizer.jwt_claim).role.value if authorizer else None,
        "query": event.query_string_parameters,
        "cookies": event.cookies,
        "body": event.decoded_body,
    }


@fake_api.get("/surveys/<token>")
def _survey(token: str) -> dict:
    return {"survey": token, "authorizer": fake_api.current_event.raw_event["requestContext"].get("authorizer")}


FAKE_PUBLIC_PATHS = ["/health", "/surveys/"]


class Calls:
    """The function behind the gateway: the fake API, remembering the events it was given."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return fake_api.resolve(event, None)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> LocalUserPool:
    return LocalUserPool.load_or_create(tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def other_pool(tmp_path_factory: pytest.TempPathFactory) -> LocalUserPool:
    return LocalUserPool.load_or_create(tmp_path_factory.mktemp("other-state"))


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def gateway(pool: LocalUserPool, calls: Calls) -> Gateway:
    routes = RouteTable(routes_of(fake_api, FAKE_PUBLIC_PATHS))
    return Gateway(routes, calls, pool.verifier(), clock=lambda: NOW)


def request(
    method: str = "GET",
    path: str = "/things/T1",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    token: str | None = None,
) -> HttpRequest:
    all_headers = [("Host", "127.0.0.1:3000"), ("User-Agent", "pytest"), *(headers or [])]
    if token is not None:
        all_headers.append(("Authorization", f"Bearer {token}"))
    return HttpRequest(method, path, query, all_headers, body, source_ip="10.1.2.3")


def agent_token(pool: LocalUserPool, **kwargs: Any) -> str:
    return pool.mint("agent-li", email="li.wei@example.com", groups=["agent", "supervisor"], now=NOW, **kwargs)


def body_of(response) -> Any:
    return json.loads(response.body)


# --- the event ------------------------------------------------------------------------------------------


def test_an_event_has_the_payload_format_2_0_shape():
    event = build_event(
        request(path="/things/T1", query="a=1"),
        route_key="GET /things/{thingId}",
        path_parameters={"thingId": "T1"},
        request_id="abc=",
        now=NOW,
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /things/{thingId}"
    assert event["rawPath"] == "/things/T1"
    assert event["rawQueryString"] == "a=1"
    assert event["pathParameters"] == {"thingId": "T1"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/things/T1",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.1.2.3",
        "userAgent": "pytest",
    }
    assert context["routeKey"] == "GET /things/{thingId}"
    assert context["stage"] == "$default"
    assert context["requestId"] == "abc="
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["domainPrefix"] == "127"
    assert context["timeEpoch"] == int(NOW * 1000)
    assert time.strptime(context["time"], "%d/%b/%Y:%H:%M:%S +0000")
    assert {"accountId", "apiId"} <= context.keys()
    assert "authorizer" not in context


def test_headers_are_lower_cased_and_a_repeated_header_is_comma_joined():
    event = build_event(
        request(headers=[("X-Tag", "one"), ("x-tag", "two"), ("Accept", "application/json")]),
        route_key="GET /things/{thingId}",
    )

    assert event["headers"]["x-tag"] == "one,two"
    assert event["headers"]["accept"] == "application/json"
    assert event["headers"]["x-forwarded-for"] == "10.1.2.3"
    assert all(name == name.lower() for name in event["headers"])


def test_cookies_are_split_out_of_the_cookie_header():
    event = build_event(
        request(headers=[("Cookie", "session=abc; theme=dark"), ("Cookie", "lang=zh")]),
        route_key="GET /things/{thingId}",
    )

    assert event["cookies"] == ["session=abc", "theme=dark", "lang=zh"]
    assert "cookie" not in event["headers"]


def test_a_repeated_query_key_is_comma_joined_and_values_are_decoded():
    event = build_event(
        request(query="status=open&status=pending&q=%E5%AE%A2%E6%9C%8D&empty="),
        route_key="GET /things/{thingId}",
    )

    assert event["rawQueryString"] == "status=open&status=pending&q=%E5%AE%A2%E6%9C%8D&empty="
    assert event["queryStringParameters"] == {"status": "open,pending", "q": "客服", "empty": ""}


def test_a_request_without_query_cookies_path_parameters_or_body_leaves_those_fields_out():
    event = build_event(request(path="/health"), route_key="GET /health")

    assert event["rawQueryString"] == ""
    assert not {"queryStringParameters", "cookies", "pathParameters", "body"} & event.keys()
    assert event["isBase64Encoded"] is False


def test_a_json_body_is_passed_as_text():
    payload = json.dumps({"subject": "包裹没到"}, ensure_ascii=False).encode()

    event = build_event(
        request("POST", headers=[("Content-Type", "application/json; charset=utf-8")], body=payload),
        route_key="POST /things/{thingId}",
    )

    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"subject": "包裹没到"}


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("application/octet-stream", b"plain bytes"),
        ("application/json", b"\xff\xfe not utf-8"),
    ],
)
def test_a_body_that_is_not_text_is_base64_encoded(content_type: str, payload: bytes):
    event = build_event(
        request("POST", headers=[("Content-Type", content_type)], body=payload),
        route_key="POST /things/{thingId}",
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_powertools_reads_what_the_event_carries(pool: LocalUserPool):
    event = build_event(
        request(
            "POST",
            path="/things/T%201",
            query="tag=a&tag=b",
            headers=[("Cookie", "session=abc"), ("Content-Type", "application/octet-stream"), ("X-Trace", "t1")],
            body=b"raw bytes",
        ),
        route_key="POST /things/{thingId}",
        path_parameters={"thingId": "T 1"},
        claims=jwt.decode(agent_token(pool), options={"verify_signature": False}),
    )

    parsed = APIGatewayProxyEventV2(event)

    assert parsed.http_method == "POST"
    assert parsed.path == "/things/T%201"
    assert parsed.path_parameters == {"thingId": "T 1"}
    assert parsed.query_string_parameters == {"tag": "a,b"}
    assert parsed.cookies == ["session=abc"]
    assert parsed.headers.get("X-Trace") == "t1"
    assert parsed.is_base64_encoded is True
    assert parsed.decoded_body == "raw bytes"
    assert parsed.request_context.authorizer.jwt_claim["cognito:groups"] == "[agent supervisor]"
    assert parsed.request_context.stage == "$default"
    assert parsed.request_context.http.source_ip == "10.1.2.3"


# --- claims, as the JWT authorizer renders them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "rendered"),
    [
        (["agent", "supervisor"], "[agent supervisor]"),
        (["agent"], "[agent]"),
        ([], "[]"),
        (1_795_000_000, "1795000000"),
        (1.5, "1.5"),
        (True, "true"),
        ("customer@example.com", "customer@example.com"),
        ({"b": 1, "a": "x"}, "map[a:x b:1]"),
    ],
)
def test_a_claim_reaches_the_function_as_a_string(claim: Any, rendered: str):
    assert render_claim(claim) == rendered


def test_a_verified_tokens_claims_reach_the_function_as_strings(gateway: Gateway, pool: LocalUserPool):
    response = gateway.handle(request(token=agent_token(pool)))

    assert response.status == 200
    claims = body_of(response)["claims"]
    assert claims["cognito:groups"] == "[agent supervisor]"
    assert claims["exp"] == str(int(NOW) + 3600)
    assert claims["email_verified"] == "true"
    assert claims["sub"] == "agent-li"
    assert all(isinstance(value, str) for value in claims.values())
    assert body_of(response)["caller"] == "supervisor"


def test_a_customer_token_carries_no_groups(gateway: Gateway, pool: LocalUserPool):
    token = pool.mint_for_role(Role.CUSTOMER, "demo-customer", "customer@example.com", now=NOW)

    claims = body_of(gateway.handle(request(token=token)))["claims"]

    assert "cognito:groups" not in claims
    assert Caller.from_claims(claims).role is Role.CUSTOMER


# --- routes ---------------------------------------------------------------------------------------------


def test_path_parameters_and_route_key_come_from_the_matched_route(gateway: Gateway, calls: Calls, pool):
    response = gateway.handle(request(path="/things/TK-7F3K9Q2M", token=agent_token(pool)))

    assert body_of(response)["thingId"] == "TK-7F3K9Q2M"
    assert calls.events[0]["routeKey"] == "GET /things/{thingId}"
    assert calls.events[0]["requestContext"]["routeKey"] == "GET /things/{thingId}"
    assert calls.events[0]["pathParameters"] == {"thingId": "TK-7F3K9Q2M"}


def test_a_literal_segment_wins_over_a_path_variable(pool: LocalUserPool):
    table = RouteTable([Route("GET", "/things/{thingId}"), Route("GET", "/things/mine")])

    match = table.match("GET", "/things/mine")

    assert match is not None
    assert match.route.path == "/things/mine"
    assert match.path_parameters == {}


def test_a_greedy_variable_takes_the_rest_of_the_path_after_more_specific_routes():
    table = RouteTable([Route("ANY", "/files/{proxy+}"), Route("GET", "/files/{name}")])

    assert table.match("GET", "/files/a/b%2Fc/d").path_parameters == {"proxy": "a/b/c/d"}
    assert table.match("GET", "/files/a").route.path == "/files/{name}"
    assert table.match("DELETE", "/files/a").route.route_key == "ANY /files/{proxy+}"
    assert table.match("GET", "/files") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing-here"), ("DELETE", "/things/T1"), ("GET", "/things/T1/extra"), ("GET", "/things/")],
)
def test_an_undeclared_route_answers_404_without_calling_the_function(
    gateway: Gateway, calls: Calls, pool: LocalUserPool, method: str, path: str
):
    response = gateway.handle(request(method, path, token=agent_token(pool)))

    assert response.status == 404
    assert body_of(response) == {"message": "Not Found"}
    assert calls.events == []


def test_routes_of_a_powertools_resolver_need_a_token_unless_public():
    routes = {(route.method, route.path): route.needs_auth for route in routes_of(fake_api, FAKE_PUBLIC_PATHS)}

    assert routes == {
        ("GET", "/health"): False,
        ("GET", "/things/mine"): True,
        ("GET", "/things/{thingId}"): True,
        ("POST", "/things/{thingId}"): True,
        ("GET", "/surveys/{token}"): False,
    }


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/health", True),
        ("/health/deep", False),
        ("/surveys/{token}", True),
        ("/tickets/{ticketId}", False),
    ],
)
def test_a_path_is_public_when_listed_exactly_or_under_a_listed_prefix(path: str, public: bool):
    assert is_public(path, ["/health", "/surveys/*"]) is public


# --- the JWT authorizer ---------------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_with_401(gateway: Gateway, calls: Calls):
    response = gateway.handle(request())

    assert response.status == 401
    assert body_of(response) == {"message": "Unauthorized"}
    assert response.header("www-authenticate") == "Bearer"
    assert calls.events == []


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


REFUSALS = {
    "expired": (lambda pool, other: agent_token(pool, ttl_seconds=-1), "the token has expired"),
    "not yet valid": (
        lambda pool, other: agent_token(pool, extra_claims={"nbf": int(NOW) + 600}),
        "the token is not valid yet",
    ),
    "tampered": (lambda pool, other: tampered(agent_token(pool)), "the token signature is invalid"),
    "signed by another key": (
        lambda pool, other: agent_token(other),
        "the token's kid does not match a key of the issuer",
    ),
    "wrong audience": (
        lambda pool, other: agent_token(pool, extra_claims={"aud": "another-app-client"}),
        "the token does not have a valid audience",
    ),
    "wrong issuer": (
        lambda pool, other: agent_token(pool, extra_claims={"iss": "https://cognito-idp.example/pool"}),
        "the token does not have a valid issuer",
    ),
    "unsigned": (
        lambda pool, other: jwt.encode({"sub": "x", "exp": int(NOW) + 60}, None, algorithm="none"),
        "the token is not signed with RS256",
    ),
    "not a jwt": (lambda pool, other: "not-a-token", "the token could not be parsed"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_token_the_authorizer_refuses_answers_401_with_its_reason(
    gateway: Gateway, calls: Calls, pool: LocalUserPool, other_pool: LocalUserPool, case: str
):
    make_token, reason = REFUSALS[case]

    response = gateway.handle(request(token=make_token(pool, other_pool)))

    assert response.status == 401
    assert body_of(response) == {"message": "Unauthorized"}
    assert response.header("www-authenticate") == (
        f'Bearer scope="" error="invalid_token" error_description="{reason}"'
    )
    assert calls.events == []


def test_an_access_token_is_checked_by_its_client_id(gateway: Gateway, pool: LocalUserPool):
    token = pool.mint("agent-li", groups=["agent"], token_use=TokenUse.ACCESS, now=NOW)

    response = gateway.handle(request(token=token))

    assert response.status == 200
    assert body_of(response)["claims"]["client_id"] == LOCAL_CLIENT_ID
    assert body_of(response)["claims"]["token_use"] == "access"


def test_an_access_token_for_another_client_is_refused(gateway: Gateway, pool: LocalUserPool):
    token = pool.mint("agent-li", token_use=TokenUse.ACCESS, now=NOW, extra_claims={"client_id": "other"})

    assert gateway.handle(request(token=token)).status == 401


def test_the_token_may_come_without_the_bearer_prefix(gateway: Gateway, pool: LocalUserPool):
    response = gateway.handle(request(headers=[("Authorization", agent_token(pool))]))

    assert response.status == 200


@pytest.mark.parametrize("path", ["/health", "/surveys/s3cr3t"])
def test_a_public_route_needs_no_token_and_gets_no_authorizer(gateway: Gateway, calls: Calls, path: str):
    response = gateway.handle(request(path=path))

    assert response.status == 200
    assert "authorizer" not in calls.events[0]["requestContext"]


# --- the response ---------------------------------------------------------------------------------------


def test_status_headers_cookies_and_body_become_the_http_response():
    response = to_http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "ETag": '"1"'},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": '{"id":"TK-1"}',
            "isBase64Encoded": False,
        },
        request_id="rid=",
    )

    assert response.status == 201
    assert ("ETag", '"1"') in response.headers
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Path=/", "b=2"]
    assert response.header("apigw-requestid") == "rid="
    assert response.body == b'{"id":"TK-1"}'


def test_a_base64_body_is_decoded_and_multi_value_headers_are_repeated():
    response = to_http_response(
        {
            "statusCode": 200,
            "multiValueHeaders": {"Vary": ["Accept", "Origin"]},
            "body": base64.b64encode(b"\x00\x01binary").decode(),
            "isBase64Encoded": True,
        },
        request_id="rid=",
    )

    assert response.body == b"\x00\x01binary"
    assert [v for k, v in response.headers if k == "Vary"] == ["Accept", "Origin"]


@pytest.mark.parametrize("answer", [{"status": "ok"}, ["a", 1], "text", None])
def test_an_answer_without_a_status_code_is_a_200_json_body(answer: Any):
    response = to_http_response(answer, request_id="rid=")

    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert json.loads(response.body) == answer


def test_an_answer_api_gateway_cannot_use_is_a_500():
    response = to_http_response({"statusCode": "two hundred"}, request_id="rid=")

    assert response.status == 500
    assert body_of(response) == {"message": "Internal Server Error"}


def test_a_function_that_raises_answers_500(pool: LocalUserPool):
    def failing(event: dict) -> dict:
        raise RuntimeError("boom")

    gateway = Gateway(RouteTable([Route("GET", "/health", needs_auth=False)]), failing, pool.verifier())

    response = gateway.handle(request(path="/health"))

    assert response.status == 500
    assert body_of(response) == {"message": "Internal Server Error"}
    assert response.header("apigw-requestid")


# --- tokens ---------------------------------------------------------------------------------------------


def test_the_signing_key_is_made_once_and_kept_private(tmp_path):
    first = LocalUserPool.load_or_create(tmp_path)
    second = LocalUserPool.load_or_create(tmp_path)

    assert first.kid == second.kid
    assert second.verifier().verify(first.mint("u1", now=time.time()))["sub"] == "u1"
    (key_file,) = tmp_path.iterdir()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_minted_id_token_has_cognitos_claims(pool: LocalUserPool):
    token = pool.mint_for_role(Role.SUPERVISOR, "sup-wang", "wang.fang@example.com", now=NOW)

    claims = pool.verifier().verify(token, now=NOW + 1)

    assert claims["iss"] == LOCAL_ISSUER
    assert claims["aud"] == LOCAL_CLIENT_ID
    assert claims["token_use"] == "id"
    assert claims["cognito:groups"] == ["agent", "supervisor"]
    assert claims["email"] == "wang.fang@example.com"
    assert claims["exp"] == int(NOW) + 3600
    assert jwt.get_unverified_header(token)["kid"] == pool.kid


# --- the in-process function ----------------------------------------------------------------------------


def test_a_handler_file_runs_in_process_with_a_lambda_context(tmp_path):
    handler_file = tmp_path / "handler.py"
    handler_file.write_text(
        "def lambda_handler(event, context):\n"
        "    return {'name': context.function_name, 'arn': context.invoked_function_arn,\n"
        "            'memory': context.memory_limit_in_mb, 'request': context.aws_request_id,\n"
        "            'remaining': context.get_remaining_time_in_millis(), 'event': event}\n"
    )

    function = LocalFunction("kefu-test", handler_file, timeout_seconds=10)
    first, second = function({"n": 1}), function({"n": 2})

    assert function.module.__name__.startswith("kefu_local_function_kefu_test_")
    assert first["name"] == "kefu-test"
    assert first["arn"].endswith(":function:kefu-test")
    assert first["memory"] == 512
    assert 9_000 < first["remaining"] <= 10_000
    assert first["request"] != second["request"]
    assert second["event"] == {"n": 2}
