"""S3's "Object Created" events reach the targets of the templates' matching EventBridge rules (kefu_local.events)."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from kefu_local import references
from kefu_local.events import EventBus, object_created_event, rules_of
from kefu_local.lambdas import dispatching
from kefu_local.resources import ResourceBuilder
from kefu_local.stepfunctions import as_templates
from tests.conftest import EVENTS

ACCOUNT = "123456789012"
RAW_MAIL_RULE = {
    "source": ["aws.s3"],
    "detail-type": ["Object Created"],
    "detail": {
        "bucket": {"name": [{"Fn::ImportValue": "kefu-dev-stateful:RawMailName"}]},
        "object": {"key": [{"prefix": "inbound/"}]},
    },
}


def mail_rule(*targets: dict, state: str = "ENABLED", pattern: dict | None = None) -> dict:
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {"EventPattern": pattern or RAW_MAIL_RULE, "State": state, "Targets": list(targets)},
        "Metadata": {"aws:cdk:path": "kefu-dev-service/Email/Stored/Resource"},
    }


def queue_target(queue: str = "MailQueue", **extra) -> dict:
    return {"Id": "Target0", "Arn": {"Fn::GetAtt": [queue, "Arn"]}, **extra}


def templates_with(*rules: dict):
    service = {"MailQueue": {"Type": "AWS::SQS::Queue", "Properties": {}}}
    service |= {f"Rule{i}": rule for i, rule in enumerate(rules)}
    templates = as_templates(
        {
            "kefu-dev-stateful": {
                "Resources": {"RawMail": {"Type": "AWS::S3::Bucket", "Properties": {}}},
                "Outputs": {
                    "RawMailName": {"Value": {"Ref": "RawMail"}, "Export": {"Name": "kefu-dev-stateful:RawMailName"}}
                },
            },
            "kefu-dev-service": {"Resources": service},
        }
    )
    ResourceBuilder(templates, None)  # type: ignore[arg-type]
    references.extend(templates)
    return templates


def received(queue_url: str, wait: float = 0) -> list[dict]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=int(wait))
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_the_object_created_event_has_the_shape_s3_sends_to_eventbridge():
    event = object_created_event("kefu-raw", "inbound/abc", 2874, '"9b2cf535f27731c974343645a3985328"', account=ACCOUNT)

    sample = json.loads((EVENTS / "eventbridge_s3_object_created.json").read_text())
    assert set(event) == set(sample)
    assert set(event["detail"]) == set(sample["detail"])
    assert set(event["detail"]["object"]) == set(sample["detail"]["object"])
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["resources"] == ["arn:aws:s3:::kefu-raw"]
    assert event["detail"]["bucket"] == {"name": "kefu-raw"}
    assert event["detail"]["object"]["etag"] == "9b2cf535f27731c974343645a3985328"
    assert event["detail"]["reason"] == "PutObject"
    assert event["time"].endswith("Z")


def test_a_matching_rule_sends_the_event_json_to_its_queue(aws):
    templates = templates_with(mail_rule(queue_target()))
    bus = EventBus.from_templates(templates, None)
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})

    event = bus.object_created(bucket, "inbound/o3vrnil0e2ic28", 120, "etag1")

    queue_url = templates.resolve("kefu-dev-service", {"Ref": "MailQueue"})
    assert received(queue_url) == [event]


def test_objects_outside_the_rules_prefix_or_bucket_are_not_delivered(aws):
    templates = templates_with(mail_rule(queue_target()))
    bus = EventBus.from_templates(templates, None)
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})

    bus.object_created(bucket, "exports/report.csv", 120, "etag1")
    bus.object_created("another-bucket", "inbound/o3vrnil0e2ic28", 120, "etag1")

    assert received(templates.resolve("kefu-dev-service", {"Ref": "MailQueue"})) == []


def test_a_disabled_rule_delivers_nothing(aws):
    templates = templates_with(mail_rule(queue_target(), state="DISABLED"))
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})

    assert (
        EventBus.from_templates(templates, None).put(object_created_event(bucket, "inbound/x", 1, "e", account=ACCOUNT))
        == 0
    )
    assert received(templates.resolve("kefu-dev-service", {"Ref": "MailQueue"})) == []


def test_a_lambda_target_is_invoked_in_process_with_the_event(aws):
    function = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "kefu-email-inbound"}}
    templates = templates_with(mail_rule({"Id": "Fn", "Arn": {"Fn::GetAtt": ["Inbound", "Arn"]}}))
    templates.stacks["kefu-dev-service"]["Resources"]["Inbound"] = function
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})
    seen: list[dict] = []

    with dispatching({"kefu-email-inbound": lambda event, _: seen.append(event)}):
        event = EventBus.from_templates(templates, None).object_created(bucket, "inbound/abc", 10, "e")
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)

    assert seen == [event]


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        ({"Input": '{"fixed":true}'}, {"fixed": True}),
        ({"InputPath": "$.detail.object"}, {"key": "inbound/abc", "size": 10, "etag": "e"}),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
                    "InputTemplate": '{"where": "s3://<bucket>/<key>", "rule": "<aws.events.rule-name>"}',
                }
            },
            {"where": "s3://{bucket}/inbound/abc", "rule": "kefu-dev-service-Email-Stored"},
        ),
    ],
)
def test_a_targets_input_transformation_shapes_what_it_receives(aws, transform, expected):
    templates = templates_with(mail_rule(queue_target(**transform)))
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})

    event = EventBus.from_templates(templates, None).object_created(bucket, "inbound/abc", 10, "e")

    (body,) = received(templates.resolve("kefu-dev-service", {"Ref": "MailQueue"}))
    if "InputPath" in transform:
        expected = expected | {"sequencer": event["detail"]["object"]["sequencer"]}
    assert body == json.loads(json.dumps(expected).replace("{bucket}", bucket))


def test_the_templates_rules_are_read_with_their_pattern_state_and_targets_resolved(aws):
    templates = templates_with(mail_rule(queue_target()), mail_rule(queue_target(), state="DISABLED"))

    enabled, disabled = rules_of(templates)

    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})
    assert enabled.enabled and not disabled.enabled
    assert enabled.bus == "default"
    assert enabled.pattern["detail"]["bucket"]["name"] == [bucket]
    (target,) = enabled.targets
    assert target.arn == f"arn:aws:sqs:us-east-1:{ACCOUNT}:kefu-dev-service-MailQueue"
    assert enabled.arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/kefu-dev-service-Email-Stored"
