"""The web app in AWS: a private bucket read by CloudFront through origin access control only, the security
headers (CSP without inline scripts, HSTS), the app's routes answered with index.html, the runtime configuration
written at deploy; Cognito's hosted sign-in with the code flow to the stage's callback URLs; the stage file's `web`
section checked when it is read."""

from __future__ import annotations

import json
import re

import pytest

from kefu_infra.capabilities.web import content_security_policy
from tests.infra.template_checks import props, resources
from tests.infra.test_config import dev_settings, errors_of


@pytest.fixture(scope="module")
def web(dev) -> dict:
    assert dev.kefu.web is not None
    return dev.templates[dev.kefu.web.stack_name]


def test_the_bucket_is_private_and_read_by_cloudfront_through_origin_access_control(dev, web):
    bucket_id = dev.logical_id(dev.kefu.web.app.bucket)
    bucket = props(web["Resources"][bucket_id])
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (oac,) = resources(web, "AWS::CloudFront::OriginAccessControl").values()
    assert props(oac)["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    (distribution,) = resources(web, "AWS::CloudFront::Distribution").values()
    (origin,) = props(distribution)["DistributionConfig"]["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    (policy,) = [
        p for p in resources(web, "AWS::S3::BucketPolicy").values() if props(p)["Bucket"] == {"Ref": bucket_id}
    ]
    reads = [s for s in props(policy)["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in reads if "s3:GetObject" in s["Action"]] == [{"Service": "cloudfront.amazonaws.com"}]


def test_every_answer_carries_a_csp_without_inline_scripts_and_hsts(web):
    (policy,) = resources(web, "AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = props(policy)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert headers["StrictTransportSecurity"]["IncludeSubdomains"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    (distribution,) = resources(web, "AWS::CloudFront::Distribution").values()
    config = props(distribution)["DistributionConfig"]
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert all(
        b["ResponseHeadersPolicyId"] == {"Ref": next(iter(resources(web, "AWS::CloudFront::ResponseHeadersPolicy")))}
        for b in behaviors
    )
    assert all(b["ViewerProtocolPolicy"] == "redirect-to-https" for b in behaviors)


def test_the_csp_lets_the_app_reach_its_api_and_cognitos_token_endpoint_only():
    csp = content_security_policy("https://api.example.com", "https://kefu.auth.eu-west-1.amazoncognito.com")
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["connect-src"] == "'self' https://api.example.com https://kefu.auth.eu-west-1.amazoncognito.com"
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"


def test_the_apps_routes_answer_index_html_and_its_entry_and_config_are_never_cached(web):
    (distribution,) = resources(web, "AWS::CloudFront::Distribution").values()
    config = props(distribution)["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    assert {(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"]) for e in config["CustomErrorResponses"]} == {
        (403, 200, "/index.html"),
        (404, 200, "/index.html"),
    }
    assert sorted(b["PathPattern"] for b in config["CacheBehaviors"]) == ["/config.json", "/index.html"]


def test_the_runtime_config_names_the_api_and_the_hosted_sign_in_beside_the_built_app(dev, web):
    (deployment,) = resources(web, "Custom::CDKBucketDeployment").values()
    assert props(deployment)["DestinationBucketName"] == {"Ref": dev.logical_id(dev.kefu.web.app.bucket)}
    written = [path for path in dev.outdir.glob("asset.*/config.json")]
    assert len(written) == 1
    # Deploy-time values are markers in the asset, each filled from the template's SourceMarkers.
    config = json.loads(re.sub(r"<<marker:0xbaba:(\d)>>", r'"marker\1"', written[0].read_text()))
    assert config == {
        "apiUrl": "marker0",
        "localSignIn": False,
        "timeZone": "Asia/Shanghai",
        "cognito": {"domain": "marker1", "clientId": "marker2"},
    }
    markers = {k: v for m in props(deployment)["SourceMarkers"] for k, v in m.items()}
    filled = [json.dumps(markers[f"<<marker:0xbaba:{n}>>"]) for n in range(3)]
    assert "kefu-dev-service" in filled[0] and "amazoncognito.com" in filled[1] and "AppClient" in filled[2]
    assert any((path / "index.html").is_file() for path in dev.outdir.glob("asset.*") if path.is_dir())


def test_the_app_client_signs_in_with_the_code_flow_to_the_stages_callback_urls(dev):
    client_id = dev.logical_id(dev.kefu.stateful.user_pool_client)
    client = props(dev.stateful["Resources"][client_id])
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == dev.kefu.deployment.web.callback_urls
    assert client["LogoutURLs"] == dev.kefu.deployment.web.logout_urls
    assert "GenerateSecret" not in client or client["GenerateSecret"] is False
    (domain,) = resources(dev.stateful, "AWS::Cognito::UserPoolDomain").values()
    assert props(domain)["Domain"] == dev.kefu.deployment.web.auth_domain_prefix


def _with_web(**web: object) -> dict:
    settings = dev_settings()
    settings["web"] = {**settings["web"], **web}
    return settings


def test_a_callback_url_that_is_not_the_apps_callback_is_named():
    errors = errors_of(_with_web(callback_urls=["https://desk.dev.kefu.example.com/"]))
    assert "web.callback_urls.0" in errors and "/auth/callback" in errors


def test_plain_http_is_refused_but_on_this_machine():
    errors = errors_of(_with_web(callback_urls=["http://desk.dev.kefu.example.com/auth/callback"]))
    assert "web.callback_urls.0" in errors and "only https" in errors


def test_an_origin_the_api_does_not_allow_is_named():
    errors = errors_of(_with_web(logout_urls=["https://elsewhere.example.com/sign-in"]))
    assert "https://elsewhere.example.com" in errors and "api.cors_origins" in errors


def test_a_domain_prefix_cognito_refuses_is_named():
    assert "web.auth_domain_prefix" in errors_of(_with_web(auth_domain_prefix="kefu-cognito-dev"))


def test_a_domain_without_its_certificate_is_refused():
    assert "certificate_arn" in errors_of(_with_web(domain_name="desk.dev.kefu.example.com"))


def test_with_its_own_domain_the_app_is_served_there_with_tls_1_2_at_least(tmp_path):
    from aws_cdk import App, Environment, Stack
    from aws_cdk.assertions import Template

    from kefu_infra.capabilities.web import WebApp
    from kefu_infra.config import Web

    settings = Web(
        auth_domain_prefix="kefu-test-desk",
        callback_urls=["https://desk.example.com/auth/callback"],
        logout_urls=["https://desk.example.com/sign-in"],
        domain_name="desk.example.com",
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
    )
    stack = Stack(App(outdir=str(tmp_path)), "WebOnly", env=Environment(region="eu-west-1"))
    WebApp(
        stack,
        "App",
        settings=settings,
        dist=tmp_path / "not-built",
        api_url="https://api.example.com",
        auth_url="https://kefu-test-desk.auth.eu-west-1.amazoncognito.com",
        client_id="client",
        time_zone="Asia/Shanghai",
    )
    (distribution,) = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["desk.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == settings.certificate_arn
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_the_local_stacks_synthesis_leaves_the_web_stack_out(tmp_path):
    """The local stack reads only the stateful and service templates, and a checkout whose app is not built yet must
    still run it: its synthesis (kefu_local.templates) says so in the context, and the app leaves the web stack out."""
    import inspect

    from kefu_infra.application import WEB_STACK_CONTEXT, build
    from kefu_local import templates

    assert f'"{WEB_STACK_CONTEXT}=false"' in inspect.getsource(templates.cloud_assembly)
    kefu = build(outdir=tmp_path, context={"stage": "dev", WEB_STACK_CONTEXT: "false"})
    assert kefu.web is None
    assert kefu.service is not None
