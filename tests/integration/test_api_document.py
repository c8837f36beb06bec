"""The OpenAPI document says what the API does: every problem each operation can answer, as problem+json with the
Problem schema; security per operation; the rules the server enforces across fields."""

from __future__ import annotations

import json

import pytest

from tests.conftest import load_function

API = load_function("api")
DOC = json.loads(API.openapi_json())
PROBLEM = "application/problem+json"
OPERATIONS = [
    pytest.param(method, path, operation, id=f"{method.upper()} {path}")
    for path, item in DOC["paths"].items()
    for method, operation in item.items()
]


def test_every_declared_route_is_in_the_document_but_the_document_and_its_ui():
    documented = {(method.upper(), path) for path, item in DOC["paths"].items() for method in item}
    declared = {(method, path) for method, path, _ in API.declared_routes()}
    assert declared - documented == {("GET", "/openapi.json"), ("GET", "/docs")}


def test_the_problem_schema_has_the_rfc_9457_members():
    problem = DOC["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


@pytest.mark.parametrize("method, path, operation", OPERATIONS)
def test_every_error_an_operation_documents_is_a_problem(method, path, operation):
    for status, response in operation["responses"].items():
        if int(status) >= 400 and status != "429":
            assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, status


@pytest.mark.parametrize("method, path, operation", OPERATIONS)
def test_validation_errors_are_documented_as_problems_not_as_http_validation_error(method, path, operation):
    assert "HTTPValidationError" not in json.dumps(operation)
    if "requestBody" in operation:
        assert set(operation["responses"]) >= {"400", "413", "415", "422"}


@pytest.mark.parametrize("method, path, operation", OPERATIONS)
def test_security_is_declared_per_operation_and_public_routes_have_none(method, path, operation):
    if path in API.PUBLIC_PATHS:
        assert "security" not in operation and "401" not in operation["responses"]
    else:
        assert operation["security"] == [{"bearer": []}] and "401" in operation["responses"]
    assert "security" not in DOC


@pytest.mark.parametrize(
    "method, path, statuses",
    [
        ("patch", "/tickets/{ticketId}", {"403", "404", "412", "428"}),
        ("post", "/tickets/{ticketId}/transition", {"403", "404", "409", "422"}),
        ("post", "/tickets/{ticketId}/assign", {"403", "404", "409", "422"}),
        ("get", "/surveys/{token}", {"403", "404", "409"}),
        ("post", "/tickets", {"401", "403", "409", "422"}),
    ],
)
def test_the_statuses_a_route_answers_are_documented(method, path, statuses):
    assert statuses <= set(DOC["paths"][path][method]["responses"])


def test_if_match_is_required_on_patch():
    [if_match] = [p for p in DOC["paths"]["/tickets/{ticketId}"]["patch"]["parameters"] if p["name"] == "if-match"]
    assert if_match["required"] is True


def test_assign_takes_exactly_one_of_take_agent_or_group():
    assert len(DOC["components"]["schemas"]["AssignRequest"]["oneOf"]) == 3


def test_a_reached_revisit_needs_csat_and_resolving_needs_a_resolution():
    revisit = DOC["components"]["schemas"]["RevisitAnswer"]
    assert revisit["then"]["required"] == ["csat"]
    transition = DOC["components"]["schemas"]["TransitionRequest"]
    assert transition["if"]["properties"]["to"] == {"const": "resolved"}
    assert transition["then"]["required"] == ["resolution"]


def test_rules_no_schema_can_say_are_in_the_route_descriptions():
    tickets = DOC["paths"]["/tickets"]
    assert "exclude each other" in tickets["get"]["description"]
    assert "names the customer" in tickets["post"]["description"]
