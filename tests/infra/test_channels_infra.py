"""Outbound events in the templates: kefu's bus, and for each configured channel a rule matching its events that
targets its queue, both with an alarmed dead-letter queue; the outbound dispatcher may put events on that bus only,
and reads status and survey entries from the stream besides the mail ones."""

from __future__ import annotations

import json

import pytest
import yaml
from aws_cdk.assertions import Template

from kefu.channels.events import DETAIL_TYPES
from kefu_infra import config
from kefu_infra.capabilities.channels import DELIVERY_RETRIES, MAX_RECEIVES
from kefu_infra.paths import CONFIG
from tests.infra.template_checks import resources

CONFIGURED = ["phone", "chat", "social", "app", "feedback"]


def test_the_stage_has_a_bus_of_its_own_named_for_the_dispatcher(dev):
    channels = dev.kefu.service.channels
    bus_id = dev.logical_id(channels.bus)

    assert resources(dev.service, "AWS::Events::EventBus")[bus_id]["Properties"]["Name"] == "kefu-dev"
    dispatcher = dev.service["Resources"][dev.logical_id(dev.kefu.service.email.outbound.function)]
    assert dispatcher["Properties"]["Environment"]["Variables"]["KEFU_EVENT_BUS"] == {"Ref": bus_id}


@pytest.mark.parametrize("channel", CONFIGURED)
def test_each_configured_channel_gets_a_rule_on_the_bus_targeting_its_queue(dev, channel):
    channels = dev.kefu.service.channels
    queue_id = dev.logical_id(channels.queues[config.Channel(channel)])
    dlq_id = dev.logical_id(channels.dead_letters[config.Channel(channel)])
    [rule] = [
        r["Properties"]
        for r in resources(dev.service, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail", {}).get("channel") == [channel]
    ]

    assert rule["EventBusName"] == {"Ref": dev.logical_id(channels.bus)}
    assert rule["EventPattern"] == {
        "source": ["kefu"],
        "detail-type": list(DETAIL_TYPES),
        "detail": {"channel": [channel]},
    }
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == DELIVERY_RETRIES
    queue = dev.service["Resources"][queue_id]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": MAX_RECEIVES,
    }
    assert queue["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("channel", CONFIGURED)
def test_each_channel_dead_letter_queue_is_alarmed_on_depth_and_age(dev, channel):
    dlq_id = dev.logical_id(dev.kefu.service.channels.dead_letters[config.Channel(channel)])
    template = Template.from_json(dev.service)

    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            },
        )


def test_a_delivery_that_reaches_no_channel_is_alarmed(dev):
    Template.from_json(dev.service).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ChannelDeliveryFailed", "Namespace": "kefu", "AlarmName": "kefu-dev-channel-delivery-failed"},
    )


def test_the_dispatcher_may_put_events_on_kefus_bus_and_no_other(dev):
    role_id = dev.logical_id(dev.kefu.service.email.outbound.role)
    puts = [
        statement
        for policy in resources(dev.service, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "events:PutEvents"
        in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]

    assert [statement["Resource"] for statement in puts] == [
        {"Fn::GetAtt": [dev.logical_id(dev.kefu.service.channels.bus), "Arn"]}
    ]


def test_the_dispatcher_reads_status_and_survey_entries_too(dev):
    mapping = dev.service["Resources"][dev.logical_id(dev.kefu.service.email.outbound_mapping)]["Properties"]
    kinds = [
        json.loads(f["Pattern"])["dynamodb"]["NewImage"]["entryKind"]["S"] for f in mapping["FilterCriteria"]["Filters"]
    ]

    assert kinds == [["reply"], ["message"], ["status"], ["survey"]]


def test_the_functions_are_told_the_configured_channels():
    told = config.load("dev").for_functions("dev")["channels"]

    assert sorted(told) == sorted(CONFIGURED)
    assert told["chat"] == {"consumer": "the web and in-app chat service", "retention_days": 4}


def test_email_and_web_are_refused_as_channels_with_a_queue():
    settings = yaml.safe_load((CONFIG / "dev.yaml").read_text())
    settings["channels"]["email"] = {"consumer": "someone"}

    with pytest.raises(config.ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, sort_keys=False), "dev.yaml")

    assert "dev.yaml: channels.email: answers on this channel need no queue" in str(raised.value)


def test_the_outputs_name_each_channels_queue(dev):
    outputs = dev.service["Outputs"]

    assert {f"{c.capitalize()}ChannelQueueUrl" for c in CONFIGURED} <= set(outputs)
    assert "EventBusName" in outputs
