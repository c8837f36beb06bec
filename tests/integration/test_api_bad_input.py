"""Bad input on every route of the HTTP API that changes the desk it is sent to (valid requests, bodies at the size
limit, arbitrary bodies, garbage queries on every route): always a 4xx problem (RFC 9457) or a success, never a 5xx.
Each test has a desk of its own. The requests that are refused outright are in test_api_refusals.py."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import (
    AGENT,
    CUSTOMER,
    OTHER_CUSTOMER,
)
from tests.integration.api_cases import (
    CASES,
    MAX_BODY,
    ROUTES,
    Desk,
    assert_problem,
    case_for,
    new_desk,
    patch,
    route_id,
    routes,
    takes_body,
)


@pytest.fixture
def desk(api, monkeypatch) -> Desk:
    return new_desk(api, monkeypatch)


def test_every_declared_route_has_a_case():
    # Given the routes the function declares, when compared with this file's cases, then none is missing
    assert {route[:2] for route in ROUTES} == set(CASES)


@pytest.mark.parametrize("route", routes())
def test_each_route_answers_its_valid_request_with_a_success(desk, route):
    # Given the route's valid request, when sent, then a 2xx: so each refusal below is about its one bad thing
    reply = desk.send(route)
    assert 200 <= reply.status < 300, reply.text[:300]


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_body_of_exactly_256_kb_is_not_refused_for_its_size(desk, route):
    # Given a body of exactly 256 KB (with an unknown padding field), when sent, then not a 413 (the limit is inclusive)
    padded = {**case_for(route).body, "padding": ""}
    padded["padding"] = "x" * (MAX_BODY - len(json.dumps(padded)))
    assert len(json.dumps(padded).encode()) == MAX_BODY
    assert desk.send(route, body=padded).status != 413


@pytest.mark.parametrize("route", routes(takes_body))
def test_a_valid_base64_encoded_json_body_is_read(desk, route):
    # Given the route's valid body, base64-encoded as API Gateway sends binary bodies, when sent, then a 2xx
    raw = json.dumps(desk.body_of(route)).encode()
    reply = desk.send(route, raw_body=raw, headers={"content-type": "application/json"})
    assert 200 <= reply.status < 300, reply.text[:300]


def test_a_cursor_from_another_customers_listing_is_a_400(desk):
    # Given a cursor from Alice's listing, when Bob pages with it, then 400 (and none of Alice's tickets)
    desk.api("POST", "/tickets", who=CUSTOMER, body={"subject": "Second", "description": "Another one."})
    first_page = desk.api("GET", "/tickets", who=CUSTOMER, query={"limit": "1"})
    alices_cursor = first_page.json["nextCursor"]
    assert alices_cursor
    assert_problem(desk.api("GET", "/tickets", who=OTHER_CUSTOMER, query={"cursor": alices_cursor}), 400)


GARBAGE_QUERIES = [
    {"limit": "0"},
    {"limit": "abc"},
    {"status": "bogus"},
    {"cursor": "garbage"},
    {"limit": "9" * 400},
    {"cursor": "é" * 300},
]


@pytest.mark.parametrize("route", routes())
def test_garbage_query_parameters_never_cause_a_5xx(desk, route):
    # Given any route, when sent each garbage query string in turn, then never a 5xx, and any refusal is a problem
    for query in GARBAGE_QUERIES:
        reply = desk.send(route, query=query)
        assert reply.status < 500, (query, reply.text[:300])
        if reply.status >= 400:
            assert_problem(reply)


def test_a_patch_with_a_stale_if_match_is_a_412(desk):
    # Given an ETag that was current until someone else changed the ticket, when patched with it, then 412
    read_etag = desk.etag()
    assert patch(desk, {"if-match": read_etag}).status == 200
    assert_problem(
        desk.api(
            "PATCH", f"/tickets/{desk.ticket_id}", who=AGENT, body={"priority": "P2"}, headers={"if-match": read_etag}
        ),
        412,
    )


# Values the models accept somewhere, so that some bodies get past the first field and validation goes deeper.
plausible = st.sampled_from(["web", "email", "P1", "order", "public", "internal", "vip", "li.wei@example.com", "x"])


json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40) | plausible


json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def shaped_like(names: list[str]) -> st.SearchStrategy[dict]:
    """Objects that use the model's own field names (so validation goes deep), with anything as values."""
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=12), json_values, max_size=len(names) + 1)


NEW_TICKET_FIELDS = ["subject", "description", "category", "channel", "attachments", "customer", "priority", "tags"]


MESSAGE_FIELDS = ["body", "visibility", "attachments"]


PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(body=shaped_like(NEW_TICKET_FIELDS) | json_values, who=st.sampled_from([CUSTOMER, AGENT]))
def test_no_body_opening_a_ticket_causes_a_5xx(desk, body, who):
    # Given any JSON body from a customer or an agent, when a ticket is opened with it, then never a 5xx
    reply = desk.api(
        "POST", "/tickets", who=who, raw_body=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert reply.status < 500, (body, reply.text[:300])
    if reply.status >= 400:
        assert_problem(reply)


@PROPERTY_SETTINGS
@given(body=shaped_like(MESSAGE_FIELDS) | json_values, who=st.sampled_from([CUSTOMER, OTHER_CUSTOMER, AGENT]))
def test_no_body_adding_a_message_causes_a_5xx(desk, body, who):
    # Given any JSON body from the ticket's customer, a stranger or an agent, when posted as a message, then never a 5xx
    path = f"/tickets/{desk.ticket_id}/messages"
    reply = desk.api("POST", path, who=who, raw_body=json.dumps(body), headers={"content-type": "application/json"})
    assert reply.status < 500, (body, reply.text[:300])
    if reply.status >= 400:
        assert_problem(reply)


@pytest.mark.parametrize(
    "content_type",
    ["APPLICATION/JSON", "Application/Json; charset=utf-8", "application/json;charset=UTF-8", " application/json "],
)
@pytest.mark.parametrize("route", routes(takes_body), ids=route_id)
def test_application_json_in_any_letter_case_with_or_without_parameters_is_json(desk, route, content_type):
    reply = desk.send(route, raw_body=json.dumps(desk.body_of(route)), headers={"content-type": content_type})
    assert 200 <= reply.status < 300, reply.text
