"""DynamoDB stream pollers with Lambda's semantics, reading moto's stream (kefu_local.streams)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import boto3
import pytest

from kefu_local.lambdas import dispatching
from kefu_local.resources import ResourceBuilder
from kefu_local.stepfunctions import as_templates
from kefu_local.streams import StreamMapping, StreamPoller, stream_mappings
from tests.conftest import EVENTS
from tests.waiting import wait_for

TABLE = "kefu-streams-test"
FUNCTION = "kefu-timeline-fanout"


def eventually(condition: Callable[[], bool]) -> bool:
    """The first truthy value of `condition()` (a hang guard, not a speed check: tests/waiting.py)."""
    return wait_for(condition, lambda: f"the condition at line {condition.__code__.co_firstlineno}", poll_s=0.05)


@pytest.fixture
def table(aws) -> str:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]


@pytest.fixture
def on_failure_queue(aws) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="kefu-timeline-fanout-failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def put_timeline(n: int, *, kind: str = "timeline", ticket: str = "T1") -> None:
    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": f"TICKET#{ticket}"},
            "sk": {"S": f"TL#2026-11-23T22:07:{n:02d}.000Z"},
            "kind": {"S": kind},
            "entryKind": {"S": "ticket.escalated"},
            "n": {"N": str(n)},
            "attachment": {"B": b"\x00\x01"},
        },
    )


class Recorder:
    """A handler that records each batch's `n`s and fails as told."""

    def __init__(self, fail: Callable[[list[int]], object] | None = None):
        self.batches: list[list[int]] = []
        self.events: list[dict] = []
        self.fail = fail

    def __call__(self, event, context):
        numbers = [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in event["Records"]]
        self.batches.append(numbers)
        self.events.append(event)
        return self.fail(numbers, event) if self.fail else None

    @property
    def delivered(self) -> list[int]:
        return [n for batch in self.batches for n in batch]


@pytest.fixture
def poll(table) -> Iterator[Callable[..., tuple[Recorder, StreamPoller]]]:
    pollers: list[StreamPoller] = []
    blocks = []

    def start(recorder: Recorder, **settings) -> tuple[Recorder, StreamPoller]:
        block = dispatching({FUNCTION: recorder})
        block.__enter__()
        blocks.append(block)
        poller = StreamPoller(StreamMapping(function=FUNCTION, stream_arn=table, **settings), None)
        poller.start()
        pollers.append(poller)
        return recorder, poller

    yield start
    for poller in pollers:
        poller.stop()
    for block in blocks:
        block.__exit__(None, None, None)


def test_an_insert_reaches_the_function_as_the_stream_event_lambda_sends(poll, table):
    recorder, _ = poll(Recorder())

    put_timeline(1)

    assert eventually(lambda: recorder.events)
    (record,) = recorder.events[0]["Records"]
    sample = json.loads((EVENTS / "dynamodb_stream_timeline_insert.json").read_text())["Records"][0]
    assert set(record) == set(sample)
    assert set(record["dynamodb"]) == set(sample["dynamodb"])
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventVersion"] == "1.1"
    assert record["eventSourceARN"] == table
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "TICKET#T1"}, "sk": {"S": "TL#2026-11-23T22:07:01.000Z"}}
    assert record["dynamodb"]["NewImage"]["kind"] == {"S": "timeline"}
    assert record["dynamodb"]["NewImage"]["attachment"] == {"B": "AAE="}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert abs(record["dynamodb"]["ApproximateCreationDateTime"] - time.time()) < 60
    json.dumps(recorder.events[0])  # JSON through and through, as Lambda delivers it


def test_records_written_before_the_poller_started_are_not_delivered(table, poll):
    put_timeline(1)
    recorder, _ = poll(Recorder())

    put_timeline(2)

    assert eventually(lambda: recorder.delivered)
    time.sleep(0.3)
    assert recorder.delivered == [2]


def test_only_records_matching_the_filter_criteria_are_delivered(poll):
    timeline_inserts = {"dynamodb": {"NewImage": {"kind": {"S": ["timeline"]}}}, "eventName": ["INSERT"]}
    recorder, _ = poll(Recorder(), filters=[timeline_inserts])

    put_timeline(1, kind="ticket")
    put_timeline(2)
    put_timeline(2)  # the same item again: a MODIFY
    put_timeline(3)

    assert eventually(lambda: recorder.delivered == [2, 3])
    time.sleep(0.3)
    assert recorder.delivered == [2, 3]


def test_batches_hold_at_most_batch_size_records_in_stream_order(poll):
    recorder, _ = poll(Recorder(), batch_size=2, window_seconds=0.5)

    for n in range(1, 6):
        put_timeline(n)

    assert eventually(lambda: recorder.delivered == [1, 2, 3, 4, 5])
    assert all(len(batch) <= 2 for batch in recorder.batches)
    assert recorder.batches[0] == [1, 2]


def test_a_reported_item_failure_is_retried_with_everything_after_it(poll):
    failed_once: set[int] = set()

    def fail_two_once(numbers, event):
        if 2 in numbers and 2 not in failed_once:
            failed_once.add(2)
            sequence = event["Records"][numbers.index(2)]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}

    recorder, _ = poll(Recorder(fail_two_once), batch_size=10, window_seconds=0.5, report_item_failures=True)

    for n in (1, 2, 3):
        put_timeline(n)

    assert eventually(lambda: len(recorder.batches) == 2)
    assert recorder.batches == [[1, 2, 3], [2, 3]]


def test_after_its_retries_a_failing_batch_is_skipped_and_described_in_the_on_failure_queue(poll, on_failure_queue):
    url, arn = on_failure_queue

    def always(numbers, event):
        raise RuntimeError("downstream is down")

    recorder, poller = poll(Recorder(always), maximum_retry_attempts=1, on_failure_arn=arn)

    put_timeline(1)

    sqs = boto3.client("sqs")
    messages: list[dict] = []
    assert eventually(lambda: messages.extend(sqs.receive_message(QueueUrl=url).get("Messages", [])) or messages)
    document = json.loads(messages[0]["Body"])
    assert recorder.batches == [[1], [1]]
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["functionArn"].endswith(f":function:{FUNCTION}")
    assert document["requestContext"]["approximateInvokeCount"] == 2
    assert document["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = document["DDBStreamBatchInfo"]
    sequence = recorder.events[0]["Records"][0]["dynamodb"]["SequenceNumber"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence
    assert info["batchSize"] == 1
    assert info["streamArn"] == poller.mapping.stream_arn
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_bisecting_a_failing_batch_delivers_the_good_records_and_isolates_the_poison_one(poll, on_failure_queue):
    url, arn = on_failure_queue

    def poison_three(numbers, event):
        if 3 in numbers:
            raise ValueError("record 3 cannot be processed")

    recorder, _ = poll(
        Recorder(poison_three),
        batch_size=4,
        window_seconds=0.5,
        bisect_on_error=True,
        maximum_retry_attempts=2,
        on_failure_arn=arn,
    )

    for n in (1, 2, 3, 4):
        put_timeline(n)

    sqs = boto3.client("sqs")
    messages: list[dict] = []
    assert eventually(lambda: messages.extend(sqs.receive_message(QueueUrl=url).get("Messages", [])) or messages)
    assert eventually(lambda: [4] in recorder.batches)
    assert recorder.batches == [[1, 2, 3, 4], [1, 2], [3, 4], [3], [4]]
    assert json.loads(messages[0]["Body"])["DDBStreamBatchInfo"]["batchSize"] == 1


def test_the_templates_stream_mapping_is_read_with_its_filters_retries_and_destination(aws):
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        },
    }
    queue = {"Type": "AWS::SQS::Queue", "Properties": {}}
    function = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": FUNCTION}}
    pattern = {"eventName": ["INSERT"]}
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::ImportValue": "kefu-dev-stateful:TableStreamArn"},
            "FunctionName": {"Ref": "Fanout"},
            "StartingPosition": "LATEST",
            "BatchSize": 25,
            "MaximumBatchingWindowInSeconds": 2,
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps(pattern)}]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}},
        },
    }
    templates = as_templates(
        {
            "kefu-dev-stateful": {
                "Resources": {"Table": table},
                "Outputs": {
                    "StreamArn": {
                        "Value": {"Fn::GetAtt": ["Table", "StreamArn"]},
                        "Export": {"Name": "kefu-dev-stateful:TableStreamArn"},
                    }
                },
            },
            "kefu-dev-service": {"Resources": {"Fanout": function, "Failures": queue, "Mapping": mapping}},
        }
    )
    ResourceBuilder(templates, None)  # type: ignore[arg-type]

    (read,) = stream_mappings(templates, {"Fanout": FUNCTION})

    stream = boto3.client("dynamodb").describe_table(TableName="kefu-dev-stateful-Table")["Table"]["LatestStreamArn"]
    assert read.stream_arn == stream
    assert read.function == FUNCTION
    assert (read.batch_size, read.window_seconds) == (25, 2)
    assert read.filters == [pattern]
    assert read.report_item_failures and read.bisect_on_error
    assert read.maximum_retry_attempts == 3
    assert read.on_failure_arn.endswith(":kefu-dev-service-Failures")
