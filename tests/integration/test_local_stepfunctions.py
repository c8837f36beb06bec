"""State machines from a template run their real ASL in moto, with Lambda tasks dispatched to handlers in this
process (kefu_local.lambdas / kefu_local.stepfunctions), waits on the local clock, StopExecution honoured."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from kefu import clock
from kefu_local.lambdas import LambdaServiceException, dispatching
from kefu_local.stepfunctions import LocalStepFunctions, definition_of

ACCOUNT, REGION = "123456789012", "us-east-1"

#: How long (real seconds) a run may take in the tests of the time scale: far above what a compressed wait takes on
#: a loaded machine, far below what an uncompressed one would (five minutes to days). A guard, not a speed check.
UNCOMPRESSED_GUARD_S = 120


class TicketNotFound(Exception):
    pass


def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def invoke_task(function: str, **extra) -> dict:
    """A Task as CDK's LambdaInvoke writes it (payload-response-only off: the result is under Payload)."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        **extra,
    }


def templates_with(*machines: tuple[str, dict], extra: dict | None = None) -> dict:
    """A service stack holding these state machines (logical id, ASL), plus `extra` resources."""
    resources = {
        logical_id: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"DefinitionString": json.dumps(asl), "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sfn"},
        }
        for logical_id, asl in machines
    }
    return {"kefu-dev-service": {"Resources": {**resources, **(extra or {})}}, "kefu-dev-stateful": {"Resources": {}}}


def one_task_machine(function: str, **task) -> dict:
    return {"StartAt": "Call", "States": {"Call": {**invoke_task(function, **task), "End": True}}}


@pytest.fixture(autouse=True)
def real_time(monkeypatch):
    monkeypatch.delenv("KEFU_TIME_SCALE", raising=False)
    clock.reset()
    yield
    clock.reset()


def test_a_lambda_invoke_task_runs_the_registered_handler_and_returns_its_result_as_the_payload(aws):
    def classify(event, context):
        return {"category": "delivery", "ticketId": event["ticketId"], "function": context.function_name}

    machine = one_task_machine("classify", OutputPath="$.Payload")
    with LocalStepFunctions(templates_with(("Classify", machine)), {"classify": classify}) as sfn:
        result = sfn.run("Classify", {"ticketId": "T-1"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"category": "delivery", "ticketId": "T-1", "function": "classify"}
    assert sfn.events("classify") == [{"ticketId": "T-1"}]


def test_the_legacy_lambda_arn_resource_form_is_dispatched_too(aws):
    machine = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": lambda_arn("echo"), "End": True}},
    }
    with LocalStepFunctions(templates_with(("Echo", machine)), {"echo": lambda event, _: {"seen": event}}) as sfn:
        result = sfn.run("Echo", {"n": 1})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"seen": {"n": 1}}


def test_an_exception_is_caught_by_its_class_name_as_lambdas_error_type(aws):
    def lookup(event, context):
        raise TicketNotFound(f"ticket {event['ticketId']} does not exist")

    machine = {
        "StartAt": "Lookup",
        "States": {
            "Lookup": {
                **invoke_task(lambda_arn("lookup")),
                "Catch": [{"ErrorEquals": ["TicketNotFound"], "ResultPath": "$.error", "Next": "Gone"}],
                "End": True,
            },
            "Gone": {"Type": "Pass", "End": True},
        },
    }
    with LocalStepFunctions(templates_with(("Lookup", machine)), {"lookup": lookup}) as sfn:
        result = sfn.run("Lookup", {"ticketId": "T-9"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.states_entered == ["Lookup", "Gone"]
    assert result.output["error"]["Error"] == "TicketNotFound"
    assert json.loads(result.output["error"]["Cause"])["errorMessage"] == "ticket T-9 does not exist"


def test_an_uncaught_exception_fails_the_execution_with_the_error_type_and_lambdas_error_document(aws):
    def broken(event, context):
        raise ValueError("no subject")

    with LocalStepFunctions(templates_with(("Broken", one_task_machine("broken"))), {"broken": broken}) as sfn:
        result = sfn.run("Broken")

    assert result.status == "FAILED"
    assert result.error == "ValueError"
    cause = json.loads(result.cause)
    assert cause["errorType"] == "ValueError"
    assert cause["errorMessage"] == "no subject"
    assert cause["stackTrace"]


def test_task_failed_retries_apply_to_handler_exceptions(aws):
    attempts = []

    def flaky(event, context):
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("try again")
        return "done"

    retry = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 3}]
    with (
        LocalStepFunctions(
            templates_with(("Flaky", one_task_machine("flaky", Retry=retry, OutputPath="$.Payload"))), {"flaky": flaky}
        ) as sfn,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("KEFU_TIME_SCALE", "100")  # 1 s retry intervals take 10 ms
        env.setenv("KEFU_TIME_ORIGIN", str(time.time()))
        clock.reset()
        result = sfn.run("Flaky")

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == "done"
    assert len(attempts) == 3


def test_a_lambda_service_exception_is_retried_under_its_lambda_error_name(aws):
    attempts = []

    def overloaded_once(event, context):
        attempts.append(1)
        if len(attempts) == 1:
            raise LambdaServiceException("Lambda is overloaded")
        return {"ok": True}

    retry = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    with LocalStepFunctions(
        templates_with(("Svc", one_task_machine("svc", Retry=retry, OutputPath="$.Payload"))), {"svc": overloaded_once}
    ) as sfn:
        result = sfn.run("Svc")

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"ok": True}
    assert len(attempts) == 2


def test_a_task_calling_a_function_nobody_registered_fails_with_lambdas_not_found_error(aws):
    with LocalStepFunctions(templates_with(("Nobody", one_task_machine("nobody-home")))) as sfn:
        result = sfn.run("Nobody")

    assert result.status == "FAILED"
    assert result.error == "Lambda.ResourceNotFoundException"


def test_the_definition_is_the_templates_asl_with_arns_resolved_and_substitutions_applied(aws):
    # As CDK writes it: a Fn::Join around the function's ARN, a substitution naming the table.
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
        "Metadata": {"aws:cdk:path": "kefu-dev-service/Journal/Resource"},
    }
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Handler": "handler.lambda_handler", "Runtime": "python3.13"},
        "Metadata": {"aws:cdk:path": "kefu-dev-service/Stamp/Function/Resource"},
    }
    head = (
        '{"StartAt":"Stamp","States":{"Stamp":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",'
        '"Parameters":{"FunctionName":"'
    )
    tail = (
        '","Payload.$":"$"},"ResultSelector":{"at.$":"$.Payload.at"},"Next":"Write"},'
        '"Write":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"${Journal}",'
        '"Item":{"pk":{"S.$":"$.at"}}},"End":true}}}'
    )
    machine = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "DefinitionString": {"Fn::Join": ["", [head, {"Fn::GetAtt": ["StampFunction", "Arn"]}, tail]]},
            "DefinitionSubstitutions": {"Journal": {"Ref": "JournalTable"}},
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sfn",
        },
        "Metadata": {"aws:cdk:path": "kefu-dev-service/Stamping/Resource"},
    }
    templates = {
        "kefu-dev-service": {"Resources": {"JournalTable": table, "StampFunction": function, "Stamping": machine}},
        "kefu-dev-stateful": {"Resources": {}},
    }

    with LocalStepFunctions(templates, {"Stamp": lambda event, _: {"at": "2026-01-01T00:00:00.000Z"}}) as sfn:
        created = sfn.machine("Stamping")
        described = sfn.client.describe_state_machine(stateMachineArn=created.arn)
        result = sfn.run("Stamping")
        table_name = sfn.templates.resolve("kefu-dev-service", {"Ref": "JournalTable"})
        items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]

    definition = json.loads(described["definition"])
    assert definition == definition_of(sfn.templates, sfn.templates.resource("kefu-dev-service", "Stamping"))
    assert definition["States"]["Stamp"]["Parameters"]["FunctionName"] == lambda_arn("kefu-dev-service-Stamp-Function")
    assert definition["States"]["Write"]["Parameters"]["TableName"] == "kefu-dev-service-Journal"
    assert result.status == "SUCCEEDED", result.cause
    assert items == [{"pk": {"S": "2026-01-01T00:00:00.000Z"}}]


def wait_until_deadline_machine() -> dict:
    return {
        "StartAt": "UntilDeadline",
        "States": {
            "UntilDeadline": {"Type": "Wait", "TimestampPath": "$.deadline", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }


def test_a_wait_on_a_timestamp_an_hour_of_virtual_time_away_lasts_a_second_at_scale_3600(aws, monkeypatch):
    monkeypatch.setenv("KEFU_TIME_SCALE", "3600")
    monkeypatch.setenv("KEFU_TIME_ORIGIN", str(time.time()))
    clock.reset()
    deadline = clock.iso(clock.now() + timedelta(hours=1))

    with LocalStepFunctions(templates_with(("Sla", wait_until_deadline_machine()))) as sfn:
        # Not compressed, the wait would last an hour: the guard (real seconds) fails it long before.
        result = sfn.run("Sla", {"deadline": deadline}, timeout=UNCOMPRESSED_GUARD_S)

    assert result.status == "SUCCEEDED", result.cause
    assert clock.now() >= datetime.fromisoformat(deadline.replace("Z", "+00:00"))  # it waited the virtual hour


def test_a_wait_of_seconds_from_the_input_is_compressed_by_the_time_scale(aws, monkeypatch):
    monkeypatch.setenv("KEFU_TIME_SCALE", "600")
    monkeypatch.setenv("KEFU_TIME_ORIGIN", str(time.time()))
    machine = {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "SecondsPath": "$.seconds", "End": True}}}

    clock.reset()
    virtual_start = clock.now()
    with LocalStepFunctions(templates_with(("Pause", machine))) as sfn:
        # Not compressed, the wait would last 300 s: the guard (real seconds) fails it first.
        result = sfn.run("Pause", {"seconds": 300}, timeout=UNCOMPRESSED_GUARD_S)

    assert result.status == "SUCCEEDED", result.cause
    assert clock.now() - virtual_start >= timedelta(seconds=300)  # it waited the virtual five minutes


def test_without_a_time_scale_a_past_timestamp_does_not_wait(aws):
    past = clock.iso(datetime.now(UTC) - timedelta(minutes=5))

    with LocalStepFunctions(templates_with(("Sla", wait_until_deadline_machine()))) as sfn:
        # Waiting for the deadline's distance (5 min) instead of not at all would outlast the guard.
        result = sfn.run("Sla", {"deadline": past}, timeout=UNCOMPRESSED_GUARD_S)

    assert result.status == "SUCCEEDED", result.cause


def test_stop_execution_ends_a_waiting_execution_as_aborted_at_once(aws):
    far = clock.iso(datetime.now(UTC) + timedelta(days=2))

    with LocalStepFunctions(templates_with(("Sla", wait_until_deadline_machine()))) as sfn:
        arn = sfn.start("Sla", {"deadline": far})
        time.sleep(0.2)
        sfn.stop(arn, error="Ticket.Resolved", cause="resolved before the deadline")
        result = sfn.wait(arn, timeout=UNCOMPRESSED_GUARD_S)  # unstopped, it would wait two days

    assert result.status == "ABORTED"
    assert "Done" not in result.states_entered


def test_an_execution_stopped_while_its_task_runs_stays_aborted_when_the_task_then_fails(aws):
    # Given a task that is running when the execution is stopped, and fails afterwards
    running, stopped = threading.Event(), threading.Event()

    def slow_then_failing(event, context):
        running.set()
        stopped.wait(5)
        raise RuntimeError("the ticket was resolved under my feet")

    machine = one_task_machine("slow")
    with LocalStepFunctions(templates_with(("Slow", machine)), {"slow": slow_then_failing}) as sfn:
        arn = sfn.start("Slow", {})
        assert running.wait(5)
        # When it is stopped and the task then fails
        sfn.stop(arn, error="Ticket.Resolved", cause="resolved")
        stopped.set()
        result = sfn.wait(arn, timeout=5)

    # Then it ends ABORTED, as in AWS, not FAILED by the task that outlived the stop
    assert result.status == "ABORTED"


def test_lambda_invoke_through_boto3_returns_the_result_or_an_unhandled_function_error(aws):
    def greet(event, context):
        if not event.get("name"):
            raise KeyError("name")
        return f"hello {event['name']}"

    with dispatching({"greet": greet}):
        client = boto3.client("lambda")
        ok = client.invoke(FunctionName=lambda_arn("greet"), Payload=json.dumps({"name": "ann"}))
        failed = client.invoke(FunctionName="greet", Payload=b"{}")

    assert "FunctionError" not in ok
    assert json.loads(ok["Payload"].read()) == "hello ann"
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "KeyError"


def test_an_asynchronous_invocation_returns_202_at_once_and_runs_the_handler_in_the_background(aws):
    seen = []

    def slow(event, context):
        time.sleep(0.3)
        seen.append(event)

    with dispatching({"slow": slow}):
        response = boto3.client("lambda").invoke(FunctionName="slow", InvocationType="Event", Payload=b'{"n":1}')
        assert response["StatusCode"] == 202
        assert seen == []
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)

    assert seen == [{"n": 1}]


def test_a_function_is_no_longer_dispatched_after_its_block(aws):
    with dispatching({"brief": lambda event, _: "here"}):
        pass

    with pytest.raises(boto3.client("lambda").exceptions.ResourceNotFoundException):
        boto3.client("lambda").invoke(FunctionName="brief", Payload=b"{}")


def test_in_the_local_stacks_moto_server_lambda_and_dynamodb_tasks_run_as_in_mock_aws(monkeypatch):
    # The server is a thread of this process: the same registry serves it; moto's interpreter reaches AWS services
    # at localhost:$MOTO_PORT.
    from kefu_local.aws import LocalAws

    from ..e2e.local_stack import free_port

    aws = LocalAws("127.0.0.1", free_port())
    aws.start()
    monkeypatch.setenv("MOTO_PORT", str(aws.port))
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    machine = {
        "StartAt": "Classify",
        "States": {
            "Classify": {**invoke_task("classify"), "ResultSelector": {"category.$": "$.Payload"}, "Next": "Save"},
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "${Table}", "Item": {"pk": {"S.$": "$.category"}}},
                "End": True,
            },
        },
    }
    resource = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "DefinitionString": json.dumps(machine),
            "DefinitionSubstitutions": {"Table": {"Ref": "Journal"}},
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sfn",
        },
    }
    templates = {"kefu-dev-service": {"Resources": {"Journal": table, "Classify": resource}}}
    try:
        with LocalStepFunctions(templates, {"classify": lambda e, _: "delivery"}, endpoint=aws.endpoint) as sfn:
            result = sfn.run("Classify", {})
            table_name = sfn.templates.resolve("kefu-dev-service", {"Ref": "Journal"})
            dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name=REGION)
            items = dynamodb.scan(TableName=table_name)["Items"]
    finally:
        aws.stop()

    assert result.status == "SUCCEEDED", result.cause
    assert items == [{"pk": {"S": "delivery"}}]


def test_executions_started_without_a_name_each_get_their_own(aws):
    machine = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    with LocalStepFunctions(templates_with(("Twice", machine))) as sfn:
        arn = sfn.machine("Twice").arn
        first = sfn.client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        second = sfn.client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]

        assert first != second
        assert sfn.wait(first).status == sfn.wait(second).status == "SUCCEEDED"
