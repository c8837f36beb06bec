"""The e-mail capability in the templates: stored mail reaches the inbound function through EventBridge and a queue
with an alarmed dead-letter queue; the outbound function reads only the stream records that may become mail; each
function may do only what it needs."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

from kefu.store.dispatch import dispatch_stream_filters
from kefu.store.mail import OPENING_ENTRY_SK, outbound_stream_filters
from kefu.store.mail_models import BurstItem
from kefu_infra import config
from kefu_infra.capabilities.dead_letters import STREAM_RETRY_ATTEMPTS as RETRY_ATTEMPTS
from kefu_infra.capabilities.email import INBOUND_TIMEOUT, MAX_RECEIVES
from tests.infra.template_checks import resources


def statements(synthesized, role) -> list[dict]:
    role_id = synthesized.logical_id(role)
    return [
        statement
        for policy in synthesized.service["Resources"].values()
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def imported(value) -> str:
    """The export an `Fn::ImportValue` names (a reference to the stateful stack)."""
    return value["Fn::ImportValue"]


def test_the_raw_mail_bucket_tells_eventbridge_without_a_custom_resource(dev):
    bucket = dev.stateful["Resources"][dev.logical_id(dev.kefu.stateful.raw_mail_bucket)]

    assert bucket["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert resources(dev.stateful, "AWS::Lambda::Function") == {}
    assert "NotificationConfiguration" not in dev.stateful["Resources"][
        dev.logical_id(dev.kefu.stateful.attachments_bucket)
    ].get("Properties", {})


def test_objects_created_under_inbound_in_the_raw_mail_bucket_are_queued_for_the_inbound_function(dev):
    email = dev.kefu.service.email
    rule = dev.service["Resources"][dev.logical_id(email.stored_rule)]["Properties"]
    pattern = rule["EventPattern"]

    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "inbound/"}]}
    [bucket_name] = pattern["detail"]["bucket"]["name"]
    assert "RawMail" in imported(bucket_name) and "Ref" in imported(bucket_name)
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [dev.logical_id(email.inbound_queue), "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [dev.logical_id(email.inbound_dead_letters), "Arn"]}


def test_the_inbound_queue_is_encrypted_and_parks_failures_in_its_alarmed_dead_letter_queue(dev):
    email = dev.kefu.service.email
    queue_id, dlq_id = dev.logical_id(email.inbound_queue), dev.logical_id(email.inbound_dead_letters)
    queue = dev.service["Resources"][queue_id]["Properties"]

    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": MAX_RECEIVES,
    }
    assert queue["VisibilityTimeout"] >= 6 * INBOUND_TIMEOUT.to_seconds()
    template = Template.from_json(dev.service)
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
                "AlarmActions": Match.any_value(),
            },
        )


def test_only_eventbridge_rules_of_this_rule_may_send_to_the_inbound_queue(dev):
    email = dev.kefu.service.email
    queue_id = dev.logical_id(email.inbound_queue)
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(dev.service, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    sends = [s for statements_ in policies for s in statements_ if "sqs:SendMessage" in actions_of(s)]

    [send] = sends
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [dev.logical_id(email.stored_rule), "Arn"]}


def test_the_inbound_function_consumes_its_queue_in_batches_with_partial_failures(dev):
    email = dev.kefu.service.email
    queue_id, function_id = dev.logical_id(email.inbound_queue), dev.logical_id(email.inbound.function)
    [mapping] = [
        m["Properties"]
        for m in resources(dev.service, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]

    assert mapping["FunctionName"] == {"Ref": function_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_inbound_function_reads_raw_mail_and_stores_files_and_nothing_more_in_s3(dev):
    email = dev.kefu.service.email
    s3 = [s for s in statements(dev, email.inbound.role) if any(a.startswith("s3:") for a in actions_of(s))]

    # Each statement's resources as (action, the object-key pattern or the bucket itself); since issue 17 the function
    # also reads the published knowledge index (its suggestions at opening), and that one key only.
    granted = sorted(
        (action, resource["Fn::Join"][1][1] if "Fn::Join" in resource else "bucket")
        for s in s3
        for action in actions_of(s)
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    )
    assert granted == [
        ("s3:GetObject", "/inbound/*"),
        ("s3:GetObject", "/kb/search-index.v1.bin"),
        ("s3:ListBucket", "bucket"),
        ("s3:PutObject", "/mail/*"),
    ]
    assert not any(a.startswith("ses:") for s in statements(dev, email.inbound.role) for a in actions_of(s))
    environment = dev.service["Resources"][dev.logical_id(email.inbound.function)]["Properties"]["Environment"]
    assert {"KEFU_RAW_MAIL_BUCKET", "KEFU_ATTACHMENTS_BUCKET"} <= set(environment["Variables"])


def test_the_outbound_function_reads_the_domain_tables_stream_through_the_mail_filters(dev):
    email = dev.kefu.service.email
    mapping = dev.service["Resources"][dev.logical_id(email.outbound_mapping)]["Properties"]

    assert "StreamArn" in imported(mapping["EventSourceArn"])
    assert mapping["FunctionName"] == {"Ref": dev.logical_id(email.outbound.function)}
    assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == dispatch_stream_filters(
        acknowledgements=True
    )
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == RETRY_ATTEMPTS
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    dlq_id = dev.logical_id(email.outbound_dead_letters)
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    Template.from_json(dev.service).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "AlarmActions": Match.any_value(),
        },
    )


def test_the_outbound_function_sends_only_from_the_mail_domain_and_reads_only_its_stream(dev):
    email = dev.kefu.service.email
    granted = statements(dev, email.outbound.role)
    ses = [s for s in granted if any(a.startswith("ses:") for a in actions_of(s))]
    streams = [s for s in granted if "dynamodb:GetRecords" in actions_of(s)]

    [send] = ses
    assert "ses:SendEmail" in actions_of(send)
    assert send["Resource"]["Fn::Join"][1][-1] == {"Ref": dev.logical_id(email.identity)}
    [stream] = streams
    assert "StreamArn" in imported(stream["Resource"])
    assert not any(a.startswith("s3:") for s in granted for a in actions_of(s))


def test_the_stream_mapping_is_created_after_the_policy_that_lets_it_read_the_stream(dev):
    email = dev.kefu.service.email
    mapping = dev.service["Resources"][dev.logical_id(email.outbound_mapping)]
    policy_id = dev.logical_id(email.outbound.role.node.find_child("DefaultPolicy"))

    assert policy_id in mapping["DependsOn"]


def test_the_domain_tables_time_to_live_attribute_is_the_burst_counters_expiry(dev):
    table = dev.stateful["Resources"][dev.logical_id(dev.kefu.stateful.table)]["Properties"]

    assert table["TimeToLiveSpecification"] == {"AttributeName": BurstItem.expires_at.attr_name, "Enabled": True}


# --- configuration -----------------------------------------------------------------------------------------

BASE = """
region: eu-west-1
logs: {retention_days: 30}
api: {throttle: {rate: 10, burst: 20}}
alarms: {email: ops@example.com}
groups: {l1: {name: First line}, vip: {name: VIP desk, kind: vip}, complaints: {name: Complaints, kind: complaints}}
default_group: l1
mail:
  domain: kefu.example.com
  recipients: [support@kefu.example.com]
"""


def test_the_mail_settings_have_defaults_and_reach_the_functions():
    deployment = config.parse(BASE, "test.yaml")

    delivered = deployment.for_functions("test")["mail"]
    assert delivered["acknowledge"] is True and delivered["burst_per_hour"] == 20
    assert "{ticket_id}" in delivered["acknowledgement"]["zh"] and "{ticket_id}" in delivered["acknowledgement"]["en"]
    assert delivered["max_attachment_bytes"] <= delivered["max_total_attachment_bytes"]


def test_the_stages_configure_their_mail(dev):
    mail = dev.kefu.deployment.mail

    assert mail.from_name and mail.burst_per_hour >= 1
    assert mail.acknowledgement.zh and mail.acknowledgement.en


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "  acknowledgement: {zh: '工单 {ticket}', en: 'Ticket {ticket_id}'}",
            "mail.acknowledgement.zh: unknown placeholders ticket",
        ),
        (
            "  max_attachment_bytes: 5000\n  max_total_attachment_bytes: 4000",
            "mail.max_total_attachment_bytes: smaller than",
        ),
        ("  burst_per_hour: 0", "mail.burst_per_hour:"),
        ("  acknowledge: sometimes", "mail.acknowledge:"),
        ("  from_nmae: Kefu", "mail.from_nmae: unknown key"),
    ],
)
def test_a_bad_mail_setting_is_refused_naming_its_key(extra, message):
    with pytest.raises(config.ConfigError, match=message):
        config.parse(BASE + extra + "\n", "test.yaml")


def test_the_outbound_mapping_lets_through_only_e_mail_tickets_openings(dev):
    from kefu_local.patterns import matches

    email = dev.kefu.service.email
    mapping = dev.service["Resources"][dev.logical_id(email.outbound_mapping)]["Properties"]
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]

    def opening(channel: str) -> dict:
        image = {"kind": {"S": "timeline"}, "entryKind": {"S": "message"}, "channel": {"S": channel}}
        keys = {"pk": {"S": "TICKET#TK-1"}, "sk": {"S": OPENING_ENTRY_SK}}
        return {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": image}}

    assert any(matches(pattern, opening("email")) for pattern in patterns)
    assert not any(matches(pattern, opening(channel)) for pattern in patterns for channel in ("web", "app", "chat"))


def test_without_acknowledgements_only_public_replies_invoke_the_outbound_function():
    [only] = outbound_stream_filters(acknowledgements=False)

    assert only["dynamodb"]["NewImage"]["entryKind"] == {"S": ["reply"]}
