"""The escalation capability as synthesized: no state machine, the clocks' wakes one-time schedules in a group of the
stage's (kefu.escalation.wakes) invoking the task function with a role that may do that and nothing else, a retry
policy and an alarmed dead-letter queue for what fails, a stream watcher with its dead-letter queue, a KMS-encrypted
topic, and each role allowed what it needs and nothing more."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kefu.config import (
    ESCALATION_DEAD_LETTERS_VAR,
    ESCALATION_FUNCTION_VAR,
    ESCALATION_SCHEDULE_GROUP_VAR,
    ESCALATION_SCHEDULER_ROLE_VAR,
    ESCALATION_TOPIC_VAR,
)
from tests.infra.template_checks import props, resources, target


def rendered(value: Any) -> str:
    """A template value as text: references as <LogicalId> or <LogicalId.Attribute>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(rendered(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::ImportValue" in value:
        return f"<import {value['Fn::ImportValue']}>"
    raise AssertionError(f"unexpected value {value}")


@pytest.fixture(scope="module")
def service(dev) -> dict:
    return dev.service


def logical_id(template: dict, kind: str, prefix: str) -> str:
    (found,) = [lid for lid in resources(template, kind) if lid.startswith(prefix)]
    return found


@pytest.fixture(scope="module")
def task_function(service) -> str:
    return logical_id(service, "AWS::Lambda::Function", "EscalationFunction")


@pytest.fixture(scope="module")
def watcher_function(service) -> str:
    return logical_id(service, "AWS::Lambda::Function", "EscalationWatcherFunction")


def statements(template: dict, function_id: str) -> list[dict]:
    role = target(props(resources(template, "AWS::Lambda::Function")[function_id])["Role"])
    return role_statements(template, role)


def role_statements(template: dict, role: str) -> list[dict]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if role in {target(r) for r in props(policy)["Roles"]}:
            found += props(policy)["PolicyDocument"]["Statement"]
    return found


def grants(statements: list[dict]) -> dict[str, set[str]]:
    """action → the resources it is allowed on, rendered."""
    allowed: dict[str, set[str]] = {}
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        on = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            allowed.setdefault(action, set()).update(rendered(r) for r in on)
    return allowed


# --- no state machine -------------------------------------------------------------------------------------------


def test_no_state_machine_runs_the_clocks(service):
    machines = {lid for lid in resources(service, "AWS::StepFunctions::StateMachine") if lid.startswith("Escalation")}
    groups = {lid for lid in resources(service, "AWS::Logs::LogGroup") if lid.startswith("EscalationStateMachine")}

    assert machines == set() and groups == set()
    assert not [
        alarm
        for alarm in resources(service, "AWS::CloudWatch::Alarm").values()
        if props(alarm).get("Namespace") == "AWS/States" and "escalation" in json.dumps(props(alarm)).lower()
    ]


# --- the watcher -------------------------------------------------------------------------------------------------


def test_the_watcher_reads_only_tickets_inserted_or_modified_from_the_table_stream(service, watcher_function):
    (mapping,) = [
        props(m)
        for m in resources(service, "AWS::Lambda::EventSourceMapping").values()
        if target(props(m)["FunctionName"]) == watcher_function
    ]

    assert "StreamArn" in rendered(mapping["EventSourceArn"])
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    dead_letters = target(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    depth_alarms = [
        alarm
        for alarm in resources(service, "AWS::CloudWatch::Alarm").values()
        if props(alarm).get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and [target(d["Value"]) for d in props(alarm)["Dimensions"]] == [dead_letters]
    ]
    assert depth_alarms, "the watcher's dead letters are alarmed"


def test_the_table_stream_has_no_more_than_two_consumers(service):
    readers = [
        props(m)
        for m in resources(service, "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in rendered(props(m)["EventSourceArn"])
    ]

    assert len(readers) == 2  # outbound mail and escalation: DynamoDB Streams' limit without throttling


# --- least privilege -----------------------------------------------------------------------------------------------


def test_the_watcher_schedules_and_cancels_wakes_reads_the_stream_and_of_the_table_only_calendar_versions(
    service, watcher_function
):
    allowed = grants(statements(service, watcher_function))

    assert not any(action.startswith("states:") for action in allowed)
    assert allowed["scheduler:CreateSchedule"] == allowed["scheduler:DeleteSchedule"] == {WAKES}
    stream_actions = {a for a in allowed if a.startswith("dynamodb:") and a != "dynamodb:GetItem"}
    assert stream_actions == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert all("StreamArn" in resource for action in stream_actions for resource in allowed[action])
    assert not any(action.startswith(("sns:", "kms:", "lambda:")) for action in allowed)
    (versions,) = [s for s in statements(service, watcher_function) if s["Action"] == "dynamodb:GetItem"]
    keys = ["SLATERMS#*", "CALENDAR#*"]  # the versions of clocks' terms and calendars (kefu.tickets.sla)
    assert versions["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": keys}}


def test_the_task_function_publishes_to_the_escalation_topic_only_and_starts_nothing(service, task_function):
    allowed = grants(statements(service, task_function))
    topic = logical_id(service, "AWS::SNS::Topic", "EscalationTopic")
    key = logical_id(service, "AWS::KMS::Key", "EscalationTopicKey")

    assert allowed["sns:Publish"] == {f"<{topic}>"}
    assert allowed["kms:GenerateDataKey"] == allowed["kms:Decrypt"] == {f"<{key}.Arn>"}
    assert not any(action.startswith("states:") for action in allowed)
    assert "dynamodb:Scan" not in allowed


def test_the_topic_is_encrypted_with_a_rotated_key_of_its_own(service):
    topic = props(resources(service, "AWS::SNS::Topic")[logical_id(service, "AWS::SNS::Topic", "EscalationTopic")])
    key = logical_id(service, "AWS::KMS::Key", "EscalationTopicKey")

    assert target(topic["KmsMasterKeyId"]) == key
    assert props(resources(service, "AWS::KMS::Key")[key])["EnableKeyRotation"] is True
    assert topic["TopicName"] == "kefu-dev-escalations"


def test_the_task_is_told_the_topic_by_the_name_the_domain_reads(service, task_function, watcher_function):
    functions = resources(service, "AWS::Lambda::Function")
    watcher_env = props(functions[watcher_function])["Environment"]["Variables"]
    task_env = props(functions[task_function])["Environment"]["Variables"]
    topic = logical_id(service, "AWS::SNS::Topic", "EscalationTopic")

    assert target(task_env[ESCALATION_TOPIC_VAR]) == topic
    assert ESCALATION_TOPIC_VAR not in watcher_env


# --- the wakes (one-time schedules) -------------------------------------------------------------------------------

WAKES = "arn:aws:scheduler:eu-west-1:<AWS::AccountId>:schedule/kefu-dev-escalation/*"


@pytest.fixture(scope="module")
def wake_dead_letters(service) -> str:
    return logical_id(service, "AWS::SQS::Queue", "EscalationWakeDeadLetters")


@pytest.fixture(scope="module")
def scheduler_role(service) -> str:
    return logical_id(service, "AWS::IAM::Role", "EscalationSchedulerRole")


def test_the_wakes_are_a_schedule_group_of_the_stages(service):
    (group,) = [
        props(g)
        for g in resources(service, "AWS::Scheduler::ScheduleGroup").values()
        if "escalation" in g["Properties"]["Name"]
    ]

    assert group["Name"] == "kefu-dev-escalation"


def test_the_schedulers_role_may_invoke_the_task_and_send_to_the_wakes_dead_letters_and_nothing_else(
    service, scheduler_role, task_function, wake_dead_letters
):
    role = props(resources(service, "AWS::IAM::Role")[scheduler_role])
    allowed = grants(role_statements(service, scheduler_role))

    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    assert allowed.pop("lambda:InvokeFunction") == {f"<{task_function}.Arn>"}
    assert allowed.pop("sqs:SendMessage") == {f"<{wake_dead_letters}.Arn>"}
    assert set(allowed) <= {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}  # CDK's grantSendMessages


def test_a_wake_the_task_fails_is_retried_then_kept_in_the_alarmed_wakes_dead_letter_queue(
    service, task_function, wake_dead_letters
):
    (config,) = [
        props(c)
        for c in resources(service, "AWS::Lambda::EventInvokeConfig").values()
        if target(props(c)["FunctionName"]) == task_function
    ]

    assert config["MaximumRetryAttempts"] == 2
    assert target(config["DestinationConfig"]["OnFailure"]["Destination"]) == wake_dead_letters
    alarmed = {
        props(alarm)["MetricName"]
        for alarm in resources(service, "AWS::CloudWatch::Alarm").values()
        if [target(d["Value"]) for d in props(alarm).get("Dimensions", [])] == [wake_dead_letters]
    }
    assert alarmed == {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    assert "sqs:SendMessage" in grants(statements(service, task_function))


def test_the_watcher_creates_and_deletes_wakes_and_the_task_creates_them_in_the_group_only(
    service, watcher_function, task_function, scheduler_role
):
    watcher, task = grants(statements(service, watcher_function)), grants(statements(service, task_function))

    assert watcher["scheduler:CreateSchedule"] == watcher["scheduler:DeleteSchedule"] == {WAKES}
    assert task["scheduler:CreateSchedule"] == {WAKES} and "scheduler:DeleteSchedule" not in task
    assert watcher["iam:PassRole"] == task["iam:PassRole"] == {f"<{scheduler_role}.Arn>"}


def test_the_functions_are_told_the_wakes_group_role_dead_letters_and_target_by_the_names_the_domain_reads(
    service, task_function, watcher_function, scheduler_role, wake_dead_letters
):
    functions = resources(service, "AWS::Lambda::Function")
    for function in (task_function, watcher_function):
        env = props(functions[function])["Environment"]["Variables"]
        assert env[ESCALATION_SCHEDULE_GROUP_VAR] == "kefu-dev-escalation"
        assert target(env[ESCALATION_SCHEDULER_ROLE_VAR]) == scheduler_role
        assert target(env[ESCALATION_DEAD_LETTERS_VAR]) == wake_dead_letters
    watcher_env = props(functions[watcher_function])["Environment"]["Variables"]
    assert target(watcher_env[ESCALATION_FUNCTION_VAR]) == task_function
