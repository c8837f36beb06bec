"""Lambda's asynchronous invocations locally (kefu_local.lambdas): a failed event is retried as Lambda retries it,
then handed to the function's on-failure destination in the record Lambda sends there, never dropped silently."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from kefu_local import lambdas
from kefu_local.lambdas import dispatching


@pytest.fixture(autouse=True)
def prompt_retries(monkeypatch):
    monkeypatch.setattr(lambdas, "ASYNC_RETRY_DELAYS_S", (0.0, 0.0))


def until(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def failing(calls: list):
    def handler(event, context):
        calls.append(event)
        raise RuntimeError(f"cannot wake {event['wake']}")

    return handler


def test_an_event_whose_retries_are_exhausted_reaches_its_on_failure_destination_as_lambdas_record(aws):
    calls, records = [], []
    with dispatching({}):
        lambdas.register("wake-task", failing(calls), async_retries=2, on_failure=records.append)
        try:
            answer = boto3.client("lambda").invoke(
                FunctionName="wake-task", InvocationType="Event", Payload=json.dumps({"wake": "t-1"})
            )
            assert answer["StatusCode"] == 202
            assert until(lambda: records), "the exhausted event reached its destination"
        finally:
            lambdas.unregister("wake-task")

    assert calls == [{"wake": "t-1"}] * 3  # the first attempt and two retries
    (record,) = records
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:wake-task:$LATEST")
    assert record["requestPayload"] == {"wake": "t-1"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "cannot wake t-1"


def test_the_functions_own_retry_count_is_kept(aws):
    calls, records = [], []
    with dispatching({}):
        lambdas.register("no-retries", failing(calls), async_retries=0, on_failure=records.append)
        try:
            boto3.client("lambda").invoke(FunctionName="no-retries", InvocationType="Event", Payload=b'{"wake": 1}')
            assert until(lambda: records)
        finally:
            lambdas.unregister("no-retries")
    assert len(calls) == 1 and records[0]["requestContext"]["approximateInvokeCount"] == 1


def test_an_event_that_succeeds_on_a_retry_goes_nowhere(aws):
    calls, records = [], []

    def flaky(event, context):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("once")
        return "ok"

    with dispatching({}):
        lambdas.register("flaky", flaky, on_failure=records.append)
        try:
            boto3.client("lambda").invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")
            assert until(lambda: len(calls) == 2)
        finally:
            lambdas.unregister("flaky")
    time.sleep(0.1)
    assert records == []
