"""Customer notifications in the templates: a rule on kefu's bus for answers and status changes, targeting the
notifications queue (alarmed dead-letter queue) that the function consumes; the wake-up schedules' role may only
send to that queue, and the function may only create kefu-notice-* schedules, pass that role, and text phone
numbers (never publish to a topic)."""

from __future__ import annotations

from aws_cdk.assertions import Template

from kefu.config import NOTICES_QUEUE_ARN_VAR, NOTICES_SCHEDULER_ROLE_VAR
from kefu_infra.capabilities.notifications import DELIVERY_RETRIES, MAX_RECEIVES
from tests.infra.template_checks import resources


def statements_of(dev, role) -> list[dict]:
    role_id = dev.logical_id(role)
    return [
        statement
        for policy in resources(dev.service, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_answers_and_status_changes_on_the_bus_reach_the_notifications_queue(dev):
    notifications = dev.kefu.service.notifications
    queue_id, dlq_id = dev.logical_id(notifications.queue), dev.logical_id(notifications.dead_letters)
    rule = resources(dev.service, "AWS::Events::Rule")[dev.logical_id(notifications.rule)]["Properties"]

    assert rule["EventBusName"] == {"Ref": dev.logical_id(dev.kefu.service.channels.bus)}
    assert rule["EventPattern"] == {
        "source": ["kefu"],
        "detail-type": ["kefu.ticket.replied", "kefu.ticket.status-changed"],
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


def test_the_function_consumes_the_queue_with_partial_failures_and_knows_where_wake_ups_go(dev):
    notifications = dev.kefu.service.notifications
    function_id = dev.logical_id(notifications.consumer.function)
    [mapping] = [
        m["Properties"]
        for m in resources(dev.service, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [dev.logical_id(notifications.queue), "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    env = dev.service["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert env[NOTICES_QUEUE_ARN_VAR] == {"Fn::GetAtt": [dev.logical_id(notifications.queue), "Arn"]}
    assert env[NOTICES_SCHEDULER_ROLE_VAR] == {"Fn::GetAtt": [dev.logical_id(notifications.scheduler_role), "Arn"]}


def test_the_wake_up_role_may_only_send_to_the_notifications_queue(dev):
    notifications = dev.kefu.service.notifications
    statements = statements_of(dev, notifications.scheduler_role)

    assert {action for statement in statements for action in actions(statement)} <= {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    assert all(s["Resource"] == {"Fn::GetAtt": [dev.logical_id(notifications.queue), "Arn"]} for s in statements)


def test_the_function_creates_only_notice_schedules_and_texts_only_phone_numbers(dev):
    statements = statements_of(dev, dev.kefu.service.notifications.consumer.role)

    [create] = [s for s in statements if "scheduler:CreateSchedule" in actions(s)]
    assert "schedule/default/kefu-notice-*" in str(create["Resource"])
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert actions(deny) == ["sns:Publish"] and ":sns:*:*:*" in str(deny["Resource"])


def test_the_notifications_dead_letter_queue_is_alarmed(dev):
    dlq_id = dev.logical_id(dev.kefu.service.notifications.dead_letters)

    Template.from_json(dev.service).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
        },
    )


def test_ses_reports_bounces_and_complaints_of_kefus_mail_to_the_default_bus_and_on_to_the_queue(dev):
    email, notifications = dev.kefu.service.email, dev.kefu.service.notifications
    identity = resources(dev.service, "AWS::SES::EmailIdentity")[dev.logical_id(email.identity)]["Properties"]
    assert identity["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": dev.logical_id(email.sending)}}
    [destination] = resources(dev.service, "AWS::SES::ConfigurationSetEventDestination").values()
    sent_to = destination["Properties"]["EventDestination"]
    assert sorted(sent_to["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert "event-bus/default" in str(sent_to["EventBridgeDestination"]["EventBusArn"])

    rule = resources(dev.service, "AWS::Events::Rule")[dev.logical_id(notifications.mail_feedback_rule)]["Properties"]
    assert "EventBusName" not in rule  # the default bus
    assert rule["EventPattern"] == {"source": ["aws.ses"], "detail-type": ["Email Bounced", "Email Complaint Received"]}
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [dev.logical_id(notifications.queue), "Arn"]}
