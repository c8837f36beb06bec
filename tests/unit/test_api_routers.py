"""The API's capability routers, included on the first request that needs them (functions/api/routers.py): the
table of their paths is checked against the routers' real routes, and a handler that includes them late answers
as one that included them all at import."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import LambdaContext

API = Path(__file__).resolve().parents[2] / "functions" / "api"
EVENT = Path(__file__).resolve().parents[2] / "events" / "apigw_v2_create_ticket.json"
_loaded = itertools.count()


def fresh_handler() -> ModuleType:
    """functions/api/handler.py imported anew, as a cold function imports it: a resolver of its own, no router
    included yet (the route modules themselves are imported once a process, as in Lambda)."""
    name = f"kefu_api_cold_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, API / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def warm_handler() -> ModuleType:
    """A handler with every router included before its first request."""
    handler = fresh_handler()
    handler.features.include_all()
    return handler


@pytest.fixture(scope="module")
def routers() -> ModuleType:
    fresh_handler()  # puts functions/api on sys.path
    return importlib.import_module("routers")


def templates(routes: Any) -> set[tuple[str, str]]:
    return {(route.method, route.rule.pattern) for route in routes}


def module_routes(name: str) -> list[tuple[str, str]]:
    """(method, rule) of each route of a route module's Router, as written in its decorators."""
    router = importlib.import_module(name).router
    return [(method, key[0]) for key in router._routes for method in key[1]]


def core_routes() -> list[tuple[str, str]]:
    """(method, rule) of the routes the handler declares itself (those it has before any router is included)."""
    app = fresh_handler().app
    return [(route.method, route.path) for route in app._static_routes + app._dynamic_routes]


def is_param(segment: str) -> bool:
    return re.fullmatch(r"<\w+>", segment) is not None


def pattern_covers_rule(pattern: str, rule: str, routers: ModuleType) -> bool:
    """Every path `rule` matches starts with `pattern`'s segments (a parameter matches any one segment)."""
    wanted, given = routers.segments(pattern), routers.segments(rule)
    return len(given) >= len(wanted) and all(
        w == "*" or (w == g and not is_param(g)) for w, g in zip(wanted, given, strict=False)
    )


def pattern_meets_rule(pattern: str, rule: str, routers: ModuleType) -> bool:
    """Some path that `rule` matches starts with `pattern`'s segments."""
    wanted, given = routers.segments(pattern), routers.segments(rule)
    return len(given) >= len(wanted) and all(
        w == "*" or is_param(g) or w == g for w, g in zip(wanted, given, strict=False)
    )


def test_every_route_module_beside_the_handler_is_in_the_table(routers):
    beside = {path.stem for path in API.glob("*_routes.py")}
    assert set(routers.OWNERS) == beside


def test_every_route_of_a_module_is_served_by_one_of_its_patterns(routers):
    uncovered = [
        (name, method, rule)
        for name, patterns in routers.OWNERS.items()
        for method, rule in module_routes(name)
        if not any(pattern_covers_rule(pattern, rule, routers) for pattern in patterns)
    ]
    assert uncovered == []


def test_no_pattern_reaches_a_path_that_another_modules_route_or_a_core_route_serves(routers):
    others = {name: module_routes(name) for name in routers.OWNERS}
    core = core_routes()
    clashes = [
        (name, pattern, owner, rule)
        for name, patterns in routers.OWNERS.items()
        for pattern in patterns
        for owner, routes in [("handler", core), *((o, r) for o, r in others.items() if o != name)]
        for _method, rule in routes
        if pattern_meets_rule(pattern, rule, routers)
    ]
    assert clashes == []


def test_the_routers_bring_no_middlewares_exception_handlers_or_context_of_their_own(routers):
    # Included late, they would reach only the routes resolved after them; the app's serve every route alike.
    for name in routers.OWNERS:
        router = importlib.import_module(name).router
        assert (name, router._router_middlewares, router._exception_handlers, router._context) == (name, [], {}, {})


def test_a_pattern_covers_whole_segments_only(routers):
    assert routers.covers("/me", "/me/export")
    assert routers.covers("/tickets/*/rating", "/tickets/TK-1/rating")
    assert not routers.covers("/me", "/merge")
    assert not routers.covers("/tickets/*/rating", "/tickets/TK-1")
    assert not routers.covers("/tickets/*/rating", "/tickets/TK-1/ratings")


# --- a cold handler answers as a warm one -------------------------------------------------------------------------


def event(method: str, path: str, *, who: Any = None, body: Any = None) -> dict:
    built = json.loads(EVENT.read_text())
    built.update(rawPath=path, rawQueryString="", queryStringParameters=None, body=None, isBase64Encoded=False)
    built["requestContext"]["http"].update(method=method, path=path)
    built["headers"] = {"host": "api.kefu.test"}
    if who is None:
        built["requestContext"].pop("authorizer", None)
    else:
        built["requestContext"]["authorizer"] = {"jwt": {"claims": who.claims(), "scopes": None}}
    if body is not None:
        built["body"] = json.dumps(body)
        built["headers"]["content-type"] = "application/json"
    return built


def requests() -> list[tuple[str, str, Any]]:
    """Requests answered without reaching AWS, for every protected route and beside them: without a token (401, or
    the schema's 422 first), with a body that breaks the schema, and paths no route serves under each module's
    patterns and the handler's own."""
    handler = fresh_handler()
    found: list[tuple[str, str, Any]] = []
    for method, path, needs_token in handler.declared_routes():
        if not needs_token:
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-1", path)
        found.append((method, concrete, None))
        if method in ("POST", "PUT", "PATCH"):
            found.append((method, concrete, [1, 2, 3]))
    for patterns in handler.routers.OWNERS.values():
        for pattern in patterns:
            found.append(("GET", pattern.replace("*", "TK-1") + "/nothing/here", None))
            found.append(("DELETE", pattern.replace("*", "TK-1"), None))
    found += [("GET", "/tickets/TK-1/nothing", None), ("GET", "/nowhere", None), ("OPTIONS", "/tickets", None)]
    return found


def answer(handler: ModuleType, method: str, path: str, body: Any) -> tuple[Any, ...]:
    reply = handler.lambda_handler(event(method, path, body=body), LambdaContext())
    return (method, path, reply["statusCode"], reply.get("headers"), reply.get("body"))


def test_a_handler_including_its_routers_on_demand_answers_as_one_that_included_them_at_import():
    # Given a handler with every router included before its first request, and a cold one,
    warm, cold = warm_handler(), fresh_handler()
    # the handler's own routes asked first, so that routers are included after routes were resolved,
    asked = sorted(requests(), key=lambda request: cold.routers.serving(request[1]) != [])
    # when both answer the same requests in turn (the cold one including each router when a request needs it),
    # then their answers are the same, the not-found and validation problems included,
    assert [answer(cold, *request) for request in asked] == [answer(warm, *request) for request in asked]
    # and the cold handler ends with the same routes.
    assert templates(cold.app._static_routes) == templates(warm.app._static_routes)
    assert templates(cold.app._dynamic_routes) == templates(warm.app._dynamic_routes)


@pytest.mark.parametrize("name", ["attachment_routes", "customer_routes", "knowledge_routes", "qa_routes"])
def test_a_modules_route_answers_on_the_first_request_of_a_cold_handler(routers, name):
    method, rule = module_routes(name)[0]
    path = re.sub(r"<(\w+)>", lambda m: f"{m.group(1)}-1", rule)
    assert answer(fresh_handler(), method, path, None) == answer(warm_handler(), method, path, None)


def test_a_request_for_a_core_route_includes_no_router():
    handler = fresh_handler()
    before = templates(handler.app._static_routes + handler.app._dynamic_routes)
    reply = handler.lambda_handler(event("GET", "/tickets/TK-1"), LambdaContext())
    assert reply["statusCode"] == 401
    assert templates(handler.app._static_routes + handler.app._dynamic_routes) == before


def test_a_path_no_pending_router_serves_is_matched_once_and_a_router_it_needs_later_is_still_included(
    routers, monkeypatch
):
    # Given a cold handler's lazy routers, with their matching of a path against the pending ones counted
    handler = fresh_handler()
    matched: list[str] = []
    serving = handler.routers.serving

    def counting(path, owners):
        matched.append(path)
        return serving(path, owners)

    monkeypatch.setattr(handler.routers, "serving", counting)
    features = handler.features
    # When a core path is asked three times, then a module's path twice
    for path in ("/tickets", "/tickets", "/tickets", "/qa/reviews", "/qa/reviews"):
        features.include_for(path)
    # Then the core path was matched once; the module's path was matched, its router included, and matched once more
    # (no pending router serves it now)
    assert matched == ["/tickets", "/qa/reviews", "/qa/reviews"]
    assert "qa_routes" not in features._pending
    assert features._none_pending == {"/tickets", "/qa/reviews"}


def test_the_document_of_a_handler_that_included_its_routers_on_demand_is_the_one_built_at_import():
    warm = warm_handler()
    cold = fresh_handler()
    for path in ("/qa/reviews", "/tickets/TK-1/rating", "/me"):  # another order than the table's
        cold.lambda_handler(event("GET", path), LambdaContext())
    assert cold.openapi_json() == warm.openapi_json()
