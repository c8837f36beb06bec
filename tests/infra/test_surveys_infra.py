"""Surveys and revisit campaigns in the infrastructure: the survey signing secret (generated, retained, readable by
the API function only, known to every function), the public survey routes, the campaigns and survey thresholds
validated at synth with errors naming the key, and the local stack's secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import boto3
import pytest
import yaml

from kefu.revisits.config import Method, RevisitsConfig
from kefu_infra import config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG
from kefu_local.aws import LocalAws
from kefu_local.resources import SECRET, ResourceBuilder
from kefu_local.templates import Templates
from tests.infra.template_checks import props, resources, target

from ..e2e.local_stack import free_port


def survey_secret(dev) -> tuple[str, dict]:
    ((secret_id, secret),) = resources(dev.stateful, "AWS::SecretsManager::Secret").items()
    return secret_id, secret


def exported_as(dev, logical_id: str) -> str:
    """The export name under which the stateful stack gives the service stack a resource's Ref."""
    for output in dev.stateful["Outputs"].values():
        if output.get("Value") == {"Ref": logical_id} and "Export" in output:
            return output["Export"]["Name"]
    raise AssertionError(f"{logical_id} is not exported")


def secret_readers(dev, secret_export: str) -> set[str]:
    """The roles of the service stack allowed secretsmanager:GetSecretValue on the survey secret."""
    readers = set()
    for policy in resources(dev.service, "AWS::IAM::Policy").values():
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "secretsmanager:GetSecretValue" in actions and secret_export in json.dumps(statement["Resource"]):
                readers.update(target(role) for role in props(policy)["Roles"])
    return readers


# --- the secret ------------------------------------------------------------------------------------------------


def test_the_survey_secret_is_generated_and_retained(dev):
    _, secret = survey_secret(dev)
    generated = props(secret)["GenerateSecretString"]
    assert (generated["PasswordLength"], generated["ExcludePunctuation"]) == (64, True)
    assert "SecretString" not in props(secret)
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_rotation_is_acknowledged_on_the_secret_with_a_reason(dev):
    construct = dev.kefu.stateful.survey_secret
    reasons = [
        entry.data["Annotation::AwsSolutions-SMG4"]
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules" and "Annotation::AwsSolutions-SMG4" in (entry.data or {})
    ]
    assert len(reasons) == 1 and "previous version" in reasons[0]


def test_every_function_is_told_the_secret_and_only_those_that_check_or_sign_links_may_read_it(dev):
    secret_id, _ = survey_secret(dev)
    export = exported_as(dev, secret_id)
    for fid, function in resources(dev.service, "AWS::Lambda::Function").items():
        env = props(function)["Environment"]["Variables"]
        assert env["KEFU_SURVEY_SECRET_ARN"] == {"Fn::ImportValue": export}, fid
    roles = resources(dev.service, "AWS::IAM::Role")
    # KefuFunction describes each function's role as "kefu <function name> function: …".
    readers = {props(roles[role])["Description"].split()[1] for role in secret_readers(dev, export)}
    assert "api" in readers
    assert all(name == "api" or name.startswith("revisit") for name in readers), readers


def test_the_survey_routes_have_no_authorizer_and_the_revisit_route_needs_a_token(dev):
    routes = {props(r)["RouteKey"]: props(r) for r in resources(dev.service, "AWS::ApiGatewayV2::Route").values()}
    for key in ("GET /surveys/{token}", "POST /surveys/{token}"):
        assert routes[key].get("AuthorizationType", "NONE") == "NONE", key
    assert routes["POST /tickets/{ticketId}/revisit"]["AuthorizationType"] == "JWT"


# --- the deployment configuration --------------------------------------------------------------------------------


def dev_settings() -> dict:
    return yaml.safe_load((CONFIG / "dev.yaml").read_text())


def errors_of(settings: dict) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), "dev.yaml")
    return str(raised.value).splitlines()


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_stage_has_a_weekly_complaint_call_campaign_and_a_daily_email_survey(stage):
    campaigns = {campaign.id: campaign for campaign in config.load(stage).campaigns}
    calls, survey = campaigns["weekly-complaint-revisit"], campaigns["daily-csat-survey"]
    assert (calls.method, calls.group, calls.select.complaint) == (Method.PHONE_REVISIT, "complaints", True)
    assert re.fullmatch(r"\S+ \S+ \? \* (MON|TUE|WED|THU|FRI|SAT|SUN|[1-7]) \*", calls.schedule.cron)
    assert survey.method is Method.EMAIL_SURVEY
    assert (survey.select.resolved_days_ago.min, survey.select.resolved_days_ago.max) == (2, 7)
    assert survey.schedule.cron.split()[2:4] == ["*", "*"]


def test_the_functions_read_back_the_campaigns_and_thresholds_the_deployment_delivers():
    deployment = config.load("prod")
    delivered = json.loads(json.dumps(deployment.for_functions("prod")))
    read = RevisitsConfig.model_validate({key: delivered[key] for key in ("campaigns", "surveys")})
    assert read.campaigns == deployment.campaigns and read.surveys == deployment.surveys


def test_a_campaign_for_a_group_that_does_not_exist_is_named():
    settings = dev_settings()
    settings["campaigns"][0]["group"] = "callers"
    groups = ", ".join(settings["groups"])
    assert errors_of(settings) == [f"dev.yaml: campaigns.0.group: 'callers' is not one of groups: {groups}"]


def test_follow_up_groups_that_do_not_exist_are_named():
    settings = dev_settings()
    settings["surveys"]["vip_group"] = "vvip"
    settings["surveys"]["complaints_group"] = "grievances"
    assert [line.split(":")[1].strip() for line in errors_of(settings)] == [
        "surveys.vip_group",
        "surveys.complaints_group",
    ]


def test_a_campaign_id_given_twice_is_named():
    settings = dev_settings()
    settings["campaigns"][1]["id"] = settings["campaigns"][0]["id"]
    assert errors_of(settings) == [
        "dev.yaml: campaigns.1.id: 'weekly-complaint-revisit' is the id of an earlier campaign"
    ]


def test_a_bad_cron_expression_is_named_with_what_is_wrong():
    settings = dev_settings()
    settings["campaigns"][1]["schedule"]["cron"] = "0 25 * * ? *"
    assert errors_of(settings) == ["dev.yaml: campaigns.1.schedule.cron: hours: 25 is outside 0-23"]


def test_a_misspelt_campaign_key_is_named():
    settings = dev_settings()
    settings["campaigns"][0]["cycle"] = settings["campaigns"][0].pop("cycle_days")
    assert errors_of(settings) == ["dev.yaml: campaigns.0.cycle: unknown key"]


def test_quiet_hours_in_an_unknown_time_zone_are_named():
    settings = dev_settings()
    settings["campaigns"][0]["quiet_hours"]["timezone"] = "Asia/Beijing"
    (line,) = errors_of(settings)
    assert line.startswith("dev.yaml: campaigns.0.quiet_hours.timezone: ") and "Asia/Beijing" in line


# --- the local stack -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Iterator[tuple[Templates, ResourceBuilder]]:
    from tests.infra.conftest import synthesize

    synthesized = synthesize("dev", tmp_path_factory.mktemp("cdk.out-local"))
    aws = LocalAws("127.0.0.1", free_port())
    aws.start()
    try:
        templates = Templates(synthesized.outdir)
        builder = ResourceBuilder(templates, aws.endpoint)
        builder.build()
        yield templates, builder
    finally:
        aws.stop()


def test_the_local_stack_creates_the_secret_with_a_generated_value_the_api_is_told(local):
    templates, builder = local
    ((name, arn),) = builder.created.secrets.items()
    client = boto3.client(
        "secretsmanager",
        endpoint_url=builder.endpoint,
        region_name=templates.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    value = client.get_secret_value(SecretId=arn)["SecretString"]
    assert re.fullmatch(r"[A-Za-z0-9]{64}", value)
    (declared,) = templates.resources(SECRET)
    assert name.startswith(declared.stack)
    assert {spec.environment["KEFU_SURVEY_SECRET_ARN"] for spec in builder.created.functions.values()} == {arn}


def test_building_the_local_stack_again_keeps_the_secret_and_its_value(local):
    templates, builder = local
    ((_, arn),) = builder.created.secrets.items()
    client = boto3.client(
        "secretsmanager",
        endpoint_url=builder.endpoint,
        region_name=templates.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    before = client.get_secret_value(SecretId=arn)["SecretString"]
    again = ResourceBuilder(templates, builder.endpoint).build()
    assert list(again.secrets.values()) == [arn]
    assert client.get_secret_value(SecretId=arn)["SecretString"] == before
