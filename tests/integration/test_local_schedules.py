"""EventBridge Scheduler schedules in moto fire their targets on the local clock (kefu_local.schedules)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from kefu import clock
from kefu_local import references
from kefu_local.firing import NoOccurrence, ScheduleNotFound, fire
from kefu_local.lambdas import dispatching
from kefu_local.resources import ResourceBuilder
from kefu_local.schedules import Deliverer, Scheduler, create_schedules
from kefu_local.stepfunctions import LocalStepFunctions, as_templates
from tests.waiting import wait_for

ROLE = "arn:aws:iam::123456789012:role/scheduler"


def eventually(condition: Callable[[], object]) -> object:
    """The first truthy value of `condition()` (a hang guard, not a speed check: tests/waiting.py)."""
    return wait_for(condition, lambda: f"the condition at line {condition.__code__.co_firstlineno}", poll_s=0.05)


@pytest.fixture
def fast_clock(monkeypatch):
    """Ten virtual minutes a real second."""
    monkeypatch.setenv("KEFU_TIME_SCALE", "600")
    monkeypatch.setenv("KEFU_TIME_ORIGIN", str(time.time()))
    clock.reset()
    yield
    monkeypatch.delenv("KEFU_TIME_SCALE")
    clock.reset()


@pytest.fixture
def queue(aws) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="kefu-revisits")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def scheduler(aws) -> Iterator[Scheduler]:
    running = Scheduler(None, poll_seconds=0.1)
    running.start()
    yield running
    running.stop()


def bodies(url: str) -> list[str]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def create(name: str, expression: str, target: dict, **extra) -> None:
    boto3.client("scheduler").create_schedule(
        Name=name, ScheduleExpression=expression, FlexibleTimeWindow={"Mode": "OFF"}, Target=target, **extra
    )


def test_the_templates_schedules_and_groups_are_created_with_their_settings(aws, queue):
    _, queue_arn = queue
    schedule = {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "GroupName": {"Ref": "Campaigns"},
            "ScheduleExpression": "cron(0 10 ? * MON-FRI *)",
            "ScheduleExpressionTimezone": "Asia/Shanghai",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            "State": "ENABLED",
            "Target": {"Arn": queue_arn, "RoleArn": ROLE, "Input": '{"campaign":"revisit"}'},
        },
        "Metadata": {"aws:cdk:path": "kefu-dev-service/Revisits/Daily/Resource"},
    }
    group = {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": "kefu-dev-campaigns"}}
    templates = as_templates({"kefu-dev-service": {"Resources": {"Daily": schedule, "Campaigns": group}}})
    ResourceBuilder(templates, None)  # type: ignore[arg-type]
    references.extend(templates)

    (arn,) = create_schedules(templates, boto3.client("scheduler"))

    local = boto3.client("scheduler").get_schedule(
        Name="kefu-dev-service-Revisits-Daily", GroupName="kefu-dev-campaigns"
    )
    assert arn == local["Arn"] == templates.resolve("kefu-dev-service", {"Fn::GetAtt": ["Daily", "Arn"]})
    assert local["ScheduleExpression"] == "cron(0 10 ? * MON-FRI *)"
    assert local["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert local["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert local["Target"]["Input"] == '{"campaign":"revisit"}'


def test_a_rate_schedule_sends_its_input_to_a_queue_every_period_of_the_local_clock(fast_clock, queue, scheduler):
    url, arn = queue
    payload = '{"at":"<aws.scheduler.scheduled-time>","schedule":"<aws.scheduler.schedule-arn>"}'

    create("revisits", "rate(1 minute)", {"Arn": arn, "RoleArn": ROLE, "Input": payload})

    received: list[str] = []
    assert eventually(lambda: received.extend(bodies(url)) or len(received) >= 2)
    first, second = (json.loads(body) for body in received[:2])
    assert first["schedule"].endswith(":schedule/default/revisits")
    at = [datetime.fromisoformat(b["at"].replace("Z", "+00:00")) for b in (first, second)]
    assert at[1] - at[0] == timedelta(minutes=1)


def test_a_one_time_schedule_starts_a_state_machine_once_and_is_deleted_after(fast_clock, aws, scheduler):
    machine = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    templates = {
        "kefu-dev-service": {
            "Resources": {
                "Campaign": {
                    "Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {"DefinitionString": json.dumps(machine), "RoleArn": ROLE},
                }
            }
        }
    }
    with LocalStepFunctions(templates) as sfn:
        arn = sfn.machine("Campaign").arn
        when = (clock.now() + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S")

        create(
            "campaign-1",
            f"at({when})",
            {"Arn": arn, "RoleArn": ROLE, "Input": '{"campaignId":"C1"}'},
            ActionAfterCompletion="DELETE",
        )

        executions = eventually(lambda: sfn.client.list_executions(stateMachineArn=arn)["executions"])
        assert len(executions) == 1
        described = sfn.client.describe_execution(executionArn=executions[0]["executionArn"])
        assert json.loads(described["input"]) == {"campaignId": "C1"}
        assert eventually(lambda: not boto3.client("scheduler").list_schedules()["Schedules"])
        time.sleep(0.5)
        assert len(sfn.client.list_executions(stateMachineArn=arn)["executions"]) == 1


def test_a_lambda_target_is_invoked_in_process(fast_clock, aws, scheduler):
    seen: list[dict] = []
    with dispatching({"kefu-revisit": lambda event, _: seen.append(event)}):
        create(
            "revisit",
            "rate(5 minutes)",
            {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:kefu-revisit", "RoleArn": ROLE, "Input": '{"n":1}'},
        )

        assert eventually(lambda: seen)

    assert seen[0] == {"n": 1}


def test_a_disabled_schedule_does_not_fire(fast_clock, queue, scheduler):
    url, arn = queue

    create("paused", "rate(1 minute)", {"Arn": arn, "RoleArn": ROLE}, State="DISABLED")

    time.sleep(1)
    assert bodies(url) == []


def test_an_undeliverable_occurrence_goes_to_the_targets_dead_letter_queue(fast_clock, queue, scheduler):
    url, dead_letters = queue
    missing = "arn:aws:sqs:us-east-1:123456789012:no-such-queue"

    create(
        "broken",
        "rate(10 minutes)",
        {"Arn": missing, "RoleArn": ROLE, "Input": "{}", "DeadLetterConfig": {"Arn": dead_letters}},
    )

    messages = eventually(
        lambda: boto3.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages", [])
    )
    attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}
    assert attributes["TARGET_ARN"] == missing
    assert attributes["SCHEDULE_ARN"].endswith(":schedule/default/broken")
    assert attributes["ERROR_CODE"]


def test_a_schedule_fired_by_hand_delivers_its_next_occurrence_now(aws, queue):
    # Given the monthly sampling's schedule (03:00 in Shanghai on the 1st) and no scheduler running
    url, arn = queue
    boto3.client("scheduler").create_schedule_group(Name="kefu-dev-qa")
    target = {"Arn": arn, "RoleArn": ROLE, "Input": '{"scheduledAt":"<aws.scheduler.scheduled-time>"}'}
    create(
        "monthly-sampling",
        "cron(0 3 1 * ? *)",
        target,
        GroupName="kefu-dev-qa",
        ScheduleExpressionTimezone="Asia/Shanghai",
    )

    # When it is fired by hand on 3 December
    fired = fire(Deliverer(None), "monthly-sampling", now=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))

    # Then its target got the input of its next occurrence, 1 January 03:00 in Shanghai, at once
    assert fired.delivered and fired.schedule.group == "kefu-dev-qa"
    assert fired.scheduled_time == datetime(2026, 12, 31, 19, 0, tzinfo=UTC)
    assert [json.loads(body) for body in bodies(url)] == [{"scheduledAt": "2026-12-31T19:00:00Z"}]


def test_a_schedule_is_fired_for_the_time_given_and_named_with_its_group_where_names_repeat(aws, queue):
    url, arn = queue
    for group in ("kefu-dev-qa", "kefu-dev-revisits"):
        boto3.client("scheduler").create_schedule_group(Name=group)
        target = {"Arn": arn, "RoleArn": ROLE, "Input": f'{{"group":"{group}","at":"<aws.scheduler.scheduled-time>"}}'}
        create("nightly", "cron(0 2 * * ? *)", target, GroupName=group)
    deliverer = Deliverer(None)

    with pytest.raises(ScheduleNotFound, match="kefu-dev-qa/nightly, kefu-dev-revisits/nightly"):
        fire(deliverer, "nightly")
    shanghai = ZoneInfo("Asia/Shanghai")
    fired = fire(deliverer, "kefu-dev-revisits/nightly", at=datetime(2026, 12, 1, 3, 0, tzinfo=shanghai))

    assert fired.delivered and fired.schedule.group == "kefu-dev-revisits"
    assert [json.loads(body) for body in bodies(url)] == [{"group": "kefu-dev-revisits", "at": "2026-11-30T19:00:00Z"}]


def test_firing_an_unknown_schedule_or_one_that_fires_no_more_is_refused_with_the_reason(aws, queue):
    url, arn = queue
    create("once", "at(2026-01-01T00:00:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"})
    deliverer = Deliverer(None)

    with pytest.raises(ScheduleNotFound, match="no schedule 'nope'"):
        fire(deliverer, "nope")
    with pytest.raises(NoOccurrence, match="default/once fires no more"):
        fire(deliverer, "once", now=datetime(2026, 12, 3, tzinfo=UTC))
    assert bodies(url) == []


def test_the_fire_command_refuses_a_time_it_cannot_read():
    from typer.testing import CliRunner

    from kefu_local.cli import app

    result = CliRunner().invoke(app, ["local", "fire", "kefu-dev-qa/monthly-sampling", "--at", "1st of January"])

    assert result.exit_code == 2
    assert "--at" in result.output


def test_a_one_time_schedule_that_came_due_before_a_late_poll_saw_it_fires_once(aws, queue):
    # Given a scheduler that looked at 10:00, and a one-time schedule for 10:01 made just after that look
    url, arn = queue
    moment = [datetime(2026, 12, 3, 10, 0, tzinfo=UTC)]
    scheduler = Scheduler(None, now=lambda: moment[0])
    scheduler._refresh()
    create("reminder", "at(2026-12-03T10:01:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"})

    # When the next look comes late (a loaded machine), at 10:05
    moment[0] = datetime(2026, 12, 3, 10, 5, tzinfo=UTC)
    scheduler._refresh()
    scheduler._fire_due()
    scheduler._refresh()
    scheduler._fire_due()

    # Then the schedule fired once, for 10:01, and a one-time schedule made after its time had passed does not fire
    assert scheduler.fired == [("reminder", datetime(2026, 12, 3, 10, 1, tzinfo=UTC))]
    assert len(bodies(url)) == 1
    create("missed", "at(2026-12-03T10:02:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"})
    scheduler._refresh()
    scheduler._fire_due()
    assert [name for name, _ in scheduler.fired] == ["reminder"]


def test_a_scheduler_given_a_choice_fires_only_the_schedules_chosen(aws, queue):
    url, arn = queue
    boto3.client("scheduler").create_schedule_group(Name="wakes")
    moment = [datetime(2026, 12, 3, 10, 0, tzinfo=UTC)]
    scheduler = Scheduler(
        None, now=lambda: moment[0], only=lambda group, name: group == "wakes" or name.startswith("notice-")
    )
    scheduler._refresh()
    create("wake", "at(2026-12-03T10:01:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"}, GroupName="wakes")
    create("notice-1", "at(2026-12-03T10:01:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"})
    create("campaign", "at(2026-12-03T10:01:00)", {"Arn": arn, "RoleArn": ROLE, "Input": "{}"})

    moment[0] = datetime(2026, 12, 3, 10, 2, tzinfo=UTC)
    scheduler._refresh()
    scheduler._fire_due()

    assert sorted(name for name, _ in scheduler.fired) == ["notice-1", "wake"]
    assert len(bodies(url)) == 2
