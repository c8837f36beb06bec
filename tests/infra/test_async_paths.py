"""Every async path has a dead-letter queue with an alarm; every queue outlasts its consumer six times over."""

from __future__ import annotations

import copy
from typing import Any

from aws_cdk.assertions import Match, Template

from kefu_infra.capabilities.intake import CONSUMER_TIMEOUT
from tests.infra.template_checks import async_path_problems, visibility_problems


def queue(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": properties}


def redrive_to(dlq: str) -> dict[str, Any]:
    return {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]}, "maxReceiveCount": 5}


def depth_alarm(queue_id: str, actions: bool = True) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}],
            "AlarmActions": [{"Ref": "Topic"}] if actions else [],
        },
    }


def function(timeout: int = 30, **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": timeout, **properties}}


def test_every_queue_of_each_stage_has_an_alarmed_dead_letter_queue(dev):
    for template in dev.templates.values():
        assert async_path_problems(template) == []


def test_the_intake_queue_redrives_to_its_dead_letter_queue_which_is_alarmed(dev):
    intake = dev.kefu.service.intake
    queue_id, dlq_id = dev.logical_id(intake.queue), dev.logical_id(intake.dead_letters)
    redrive = dev.service["Resources"][queue_id]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    Template.from_json(dev.service).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "AlarmActions": Match.any_value(),
        },
    )


def test_the_intake_queue_hides_a_batch_for_six_times_its_consumers_timeout(dev):
    intake = dev.kefu.service.intake
    resources = dev.service["Resources"]
    visibility = resources[dev.logical_id(intake.queue)]["Properties"]["VisibilityTimeout"]
    timeout = resources[dev.logical_id(intake.consumer.function)]["Properties"]["Timeout"]

    assert timeout == CONSUMER_TIMEOUT.to_seconds()
    assert visibility >= 6 * timeout


def test_the_intake_function_consumes_the_intake_queue_in_batches_with_partial_failures(dev):
    intake = dev.kefu.service.intake
    queue_id, function_id = dev.logical_id(intake.queue), dev.logical_id(intake.consumer.function)
    mappings = [
        {k: v for k, v in m["Properties"].items() if k != "Tags"}
        for m in dev.service["Resources"].values()
        if m["Type"] == "AWS::Lambda::EventSourceMapping"
        and m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]

    assert mappings == [
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": function_id},
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 1,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
    ]


def test_the_visibility_check_sees_the_real_intake_consumer(dev):
    template = copy.deepcopy(dev.service)
    intake = dev.kefu.service.intake
    template["Resources"][dev.logical_id(intake.queue)]["Properties"]["VisibilityTimeout"] = 60

    [problem] = visibility_problems(template)
    assert dev.logical_id(intake.queue) in problem and dev.logical_id(intake.consumer.function) in problem


def test_the_intake_consumer_may_consume_its_queue_and_use_both_tables(dev):
    intake = dev.kefu.service.intake
    role_id = dev.logical_id(intake.consumer.role)
    statements = [
        statement
        for policy in dev.service["Resources"].values()
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} <= actions
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= actions
    assert "sqs:*" not in actions
    # It sends only to its dead-letter queue, parking a contact no retry could take (test_intake_dlq_reason.py).
    dlq_arn = {"Fn::GetAtt": [dev.logical_id(intake.dead_letters), "Arn"]}
    sending = [
        s
        for s in statements
        if any(a.startswith("sqs:Send") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    ]
    assert [s["Resource"] for s in sending] == [dlq_arn]


def test_every_sqs_consumer_times_out_well_within_its_queues_visibility(dev):
    for template in dev.templates.values():
        assert visibility_problems(template) == []


def test_a_queue_without_a_dead_letter_queue_is_reported():
    template = {"Resources": {"Work": queue()}}

    assert async_path_problems(template) == ["queue Work has no dead-letter queue"]


def test_a_dead_letter_queue_without_an_alarm_is_reported():
    template = {"Resources": {"Work": queue(RedrivePolicy=redrive_to("Dead")), "Dead": queue()}}

    assert async_path_problems(template) == ["dead-letter queue Dead has no alarm"]


def test_an_alarm_that_notifies_nobody_does_not_count():
    template = {
        "Resources": {
            "Work": queue(RedrivePolicy=redrive_to("Dead")),
            "Dead": queue(),
            "DeadAlarm": depth_alarm("Dead", actions=False),
        }
    }

    assert async_path_problems(template) == ["dead-letter queue Dead has no alarm"]


def test_an_alarmed_dead_letter_queue_satisfies_the_check():
    template = {
        "Resources": {
            "Work": queue(RedrivePolicy=redrive_to("Dead")),
            "Dead": queue(),
            "DeadAlarm": depth_alarm("Dead"),
        }
    }

    assert async_path_problems(template) == []


def test_a_function_invoked_asynchronously_without_a_dead_letter_queue_is_reported():
    template = {
        "Resources": {
            "Inbound": function(),
            "FromBucket": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Principal": "s3.amazonaws.com", "FunctionName": {"Fn::GetAtt": ["Inbound", "Arn"]}},
            },
        }
    }

    assert async_path_problems(template) == ["function Inbound is invoked asynchronously but has no dead-letter queue"]


def test_an_asynchronously_invoked_function_needs_an_alarm_on_its_failure_destination():
    template = {
        "Resources": {
            "Revisit": function(),
            "Failed": queue(),
            "Invoke": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Revisit"},
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Failed", "Arn"]}}},
                },
            },
        }
    }
    assert async_path_problems(template) == ["dead-letter queue Failed has no alarm"]

    template["Resources"]["FailedAlarm"] = depth_alarm("Failed")
    assert async_path_problems(template) == []


def test_a_queue_hiding_messages_for_less_than_six_consumer_timeouts_is_reported():
    template = {
        "Resources": {
            "Work": queue(VisibilityTimeout=60),
            "Consumer": function(timeout=30),
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Work", "Arn"]}, "FunctionName": {"Ref": "Consumer"}},
            },
        }
    }
    assert visibility_problems(template) == ["Mapping: queue Work visibility timeout 60s < 6 x Consumer timeout 30s"]

    template["Resources"]["Work"]["Properties"]["VisibilityTimeout"] = 180
    assert visibility_problems(template) == []
