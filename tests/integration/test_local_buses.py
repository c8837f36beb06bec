"""What a function puts on one of kefu's own buses locally reaches the targets of the templates' rules for that bus,
and the events log `kefu events tail` reads (kefu_local.buses)."""

from __future__ import annotations

import json

import boto3
import pytest

from kefu_local import buses, references
from kefu_local.events import EventBus
from kefu_local.resources import ResourceBuilder
from kefu_local.stepfunctions import as_templates

CHAT_RULE = {
    "Type": "AWS::Events::Rule",
    "Properties": {
        "EventBusName": {"Ref": "Bus"},
        "EventPattern": {"source": ["kefu"], "detail": {"channel": ["chat"]}},
        "State": "ENABLED",
        "Targets": [{"Id": "Target0", "Arn": {"Fn::GetAtt": ["ChatQueue", "Arn"]}}],
    },
    "Metadata": {"aws:cdk:path": "kefu-dev-service/Channels/ChatRule/Resource"},
}


@pytest.fixture
def bus(aws, tmp_path):
    resources = {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "kefu-dev"}},
        "ChatQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "ChatRule": CHAT_RULE,
    }
    templates = as_templates({"kefu-dev-service": {"Resources": resources}})
    ResourceBuilder(templates, None).build()  # type: ignore[arg-type]
    references.extend(templates)
    log = tmp_path / buses.EVENTS_LOG
    buses.install(EventBus.from_templates(templates, None), log)
    yield templates.resolve("kefu-dev-service", {"Ref": "ChatQueue"}), log
    buses.uninstall()


def put(channel: str, bus_name: str = "kefu-dev") -> dict:
    return boto3.client("events").put_events(
        Entries=[
            {
                "Source": "kefu",
                "DetailType": "kefu.ticket.replied",
                "Detail": json.dumps({"channel": channel, "text": "您的快递已经发出。"}, ensure_ascii=False),
                "EventBusName": bus_name,
            }
        ]
    )


def received(queue_url: str) -> list[dict]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_the_templates_bus_is_created_in_moto(bus):
    assert "kefu-dev" in [b["Name"] for b in boto3.client("events").list_event_buses()["EventBuses"]]


def test_an_event_put_on_the_bus_reaches_its_channels_queue_once_as_eventbridge_shapes_it(bus):
    queue_url, _ = bus

    response = put("chat")

    [event] = received(queue_url)
    assert event["id"] == response["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"], event["version"]) == ("kefu", "kefu.ticket.replied", "0")
    assert event["detail"] == {"channel": "chat", "text": "您的快递已经发出。"}
    assert {"account", "time", "region", "resources"} <= set(event)


def test_an_event_for_another_channel_is_logged_but_reaches_no_queue(bus):
    queue_url, log = bus

    put("social")

    assert received(queue_url) == []
    [logged] = list(buses.read_log(log))
    assert (logged["bus"], logged["event"]["detail"]["channel"]) == ("kefu-dev", "social")


def test_the_log_keeps_every_event_in_order(bus):
    _, log = bus

    for channel in ("chat", "social", "chat"):
        put(channel)

    assert [logged["event"]["detail"]["channel"] for logged in buses.read_log(log)] == ["chat", "social", "chat"]


def test_events_on_a_bus_no_rule_names_are_left_to_moto(bus):
    _, log = bus
    boto3.client("events").create_event_bus(Name="someone-elses")

    put("chat", bus_name="someone-elses")

    assert list(buses.read_log(log)) == []
