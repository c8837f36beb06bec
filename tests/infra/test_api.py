"""The HTTP API: a route per route the API function declares, each behind the Cognito JWT authorizer unless
public by design; throttled; JSON access logs."""

from __future__ import annotations

import json

import pytest

from kefu_infra.capabilities.api import why_public
from kefu_infra.routes import api_routes
from tests.infra.template_checks import props, resources, target

ALLOWED_PUBLIC = {"GET /health", "GET /openapi.json", "GET /docs"}


def deployed_routes(dev) -> dict[str, dict]:
    return {props(r)["RouteKey"]: props(r) for r in resources(dev.service, "AWS::ApiGatewayV2::Route").values()}


def test_the_api_deploys_exactly_the_routes_the_function_declares(dev):
    declared = {route.key for route in api_routes()}

    assert set(deployed_routes(dev)) == declared


def test_the_expected_core_routes_are_declared():
    declared = {route.key for route in api_routes()}

    assert {
        "GET /health",
        "POST /tickets",
        "GET /tickets/{ticketId}",
        "PATCH /tickets/{ticketId}",
        "POST /tickets/{ticketId}/messages",
        "PUT /agents/{agentId}/availability",
    } <= declared


def test_every_route_needs_a_cognito_token_except_the_public_ones(dev):
    (authorizer_id,) = resources(dev.service, "AWS::ApiGatewayV2::Authorizer")
    for key, route in deployed_routes(dev).items():
        path = key.split(" ", 1)[1]
        if key in ALLOWED_PUBLIC or path.startswith("/surveys/"):
            assert route.get("AuthorizationType", "NONE") == "NONE", key
        else:
            assert route.get("AuthorizationType") == "JWT", key
            assert target(route.get("AuthorizerId")) == authorizer_id, key


def test_the_authorizer_checks_cognito_tokens_for_the_app_client(dev):
    (authorizer,) = resources(dev.service, "AWS::ApiGatewayV2::Authorizer").values()
    jwt = props(authorizer)["JwtConfiguration"]

    assert props(authorizer)["AuthorizerType"] == "JWT"
    assert props(authorizer)["IdentitySource"] == ["$request.header.Authorization"]
    assert "https://cognito-idp.eu-west-1.amazonaws.com/" in json.dumps(jwt["Issuer"])
    assert "UsersAppClient" in json.dumps(jwt["Audience"])


def test_the_stage_is_throttled_as_configured_and_logs_each_request_as_json(dev):
    (stage,) = resources(dev.service, "AWS::ApiGatewayV2::Stage").values()
    settings = props(stage)
    throttle = dev.kefu.deployment.api.throttle
    log_group = target(settings["AccessLogSettings"]["DestinationArn"])

    assert settings["DefaultRouteSettings"]["ThrottlingRateLimit"] == throttle.rate
    assert settings["DefaultRouteSettings"]["ThrottlingBurstLimit"] == throttle.burst
    assert {"requestId", "routeKey", "status"} <= set(json.loads(settings["AccessLogSettings"]["Format"]))
    assert "RetentionInDays" in props(dev.service["Resources"][log_group])


def test_cors_allows_only_the_configured_origins(dev):
    (api,) = resources(dev.service, "AWS::ApiGatewayV2::Api").values()

    assert props(api)["CorsConfiguration"]["AllowOrigins"] == dev.kefu.deployment.api.cors_origins


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs", "/surveys/{token}"])
def test_public_paths_have_a_stated_reason(path):
    assert len(why_public(path)) > 30


def test_a_path_made_public_without_a_reason_stops_the_synth():
    with pytest.raises(ValueError, match=r"/tickets/\{ticketId\}.*PUBLIC_BY_DESIGN"):
        why_public("/tickets/{ticketId}")
