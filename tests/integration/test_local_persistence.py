"""The local stack's AWS state (moto's backends) saved to the state folder and loaded back by a new process."""

from __future__ import annotations

import contextlib
import json
import pickle
import threading
import time

import boto3
import pytest
from moto.backends import get_backend

from kefu_local import persistence
from tests.conftest import moto

TABLE_KEYS = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def forget_everything() -> None:
    """What a new process starts with: no backends at all."""
    for name in persistence.SERVICES:
        backend = get_backend(name)
        backend.clear()
        if hasattr(backend, "bucket_accounts"):
            backend.bucket_accounts.clear()


def build_resources(queue_attributes: dict[str, str] | None = None) -> str:
    """What the stack's resource builder does at every start (each call finds what exists and keeps it)."""
    dynamodb = boto3.client("dynamodb")
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(TableName="kefu-dev", **TABLE_KEYS)
    boto3.client("s3").create_bucket(Bucket="kefu-dev-raw-mail")
    return boto3.client("sqs").create_queue(QueueName="kefu-dev-dlq", Attributes=queue_attributes or {})["QueueUrl"]


@pytest.fixture
def aws_process():
    with moto():
        yield
        forget_everything()


def test_items_messages_objects_and_schedules_come_back_in_a_new_process(aws_process, tmp_path):
    # Given a table item, a queue message, a bucket object and a schedule, saved
    queue = build_resources()
    boto3.client("dynamodb").put_item(TableName="kefu-dev", Item={"pk": {"S": "TICKET#TK-1"}})
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody="kept")
    boto3.client("s3").put_object(Bucket="kefu-dev-raw-mail", Key="mail/1", Body=b"raw mail")
    boto3.client("scheduler").create_schedule(
        Name="daily-csat-survey",
        ScheduleExpression="cron(0 3 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:x", "RoleArn": "arn:aws:iam::123456789012:role/x"},
    )
    persistence.Snapshots(tmp_path).save()

    # When a new process loads them, and builds its resources again
    forget_everything()
    assert persistence.Snapshots(tmp_path).restore()
    queue = build_resources()

    # Then everything is as it was
    item = boto3.client("dynamodb").get_item(TableName="kefu-dev", Key={"pk": {"S": "TICKET#TK-1"}})
    assert "Item" in item
    messages = boto3.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    assert [m["Body"] for m in messages] == ["kept"]
    raw = boto3.client("s3").get_object(Bucket="kefu-dev-raw-mail", Key="mail/1")["Body"].read()
    assert raw == b"raw mail"
    assert boto3.client("scheduler").get_schedule(Name="daily-csat-survey")["ScheduleExpression"].startswith("cron")


def test_without_a_snapshot_nothing_is_restored(aws_process, tmp_path):
    assert not persistence.Snapshots(tmp_path).restore()


def test_a_snapshot_that_cannot_be_read_starts_clean_instead_of_failing(aws_process, tmp_path):
    (tmp_path / persistence.SNAPSHOT_FILE).write_bytes(b"not a pickle")
    assert not persistence.Snapshots(tmp_path).restore()


def test_reset_forgets_the_snapshot(aws_process, tmp_path):
    build_resources()
    persistence.Snapshots(tmp_path).save()
    assert persistence.reset(tmp_path)
    assert not (tmp_path / persistence.SNAPSHOT_FILE).exists()
    assert not persistence.reset(tmp_path)


@pytest.mark.parametrize(
    "environ, read",
    [
        ({"REQUEST_METHOD": "GET"}, True),
        ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query"}, True),
        ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}, True),
        ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, False),
        ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AWSStepFunctions.StartExecution"}, False),
        ({"REQUEST_METHOD": "PUT"}, False),
        ({"REQUEST_METHOD": "POST"}, False),
    ],
    ids=json.dumps,
)
def test_only_requests_that_may_change_state_call_for_a_snapshot(environ, read):
    assert persistence.is_read(environ) is read


def test_a_change_through_the_server_is_saved_within_the_interval(aws_process, tmp_path):
    # Given snapshots taken in the background every 0.1 s after a change
    snapshots = persistence.Snapshots(tmp_path, interval=0.1)
    app = snapshots.wrap(lambda environ, start_response: [b"{}"])
    snapshots.start()
    try:
        # When a request that changes state goes through the server
        build_resources()
        list(app({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, lambda *a: None))
        # Then a snapshot follows shortly, without a stop
        deadline = time.monotonic() + 5
        while snapshots.saved == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert snapshots.saved >= 1
    finally:
        snapshots.stop()


def test_a_long_poll_waiting_in_the_server_does_not_hold_snapshots_back(aws_process, tmp_path):
    # Given a queue poller's ReceiveMessage waiting inside the server
    snapshots = persistence.Snapshots(tmp_path)
    release = threading.Event()
    app = snapshots.wrap(lambda environ, start_response: [b"{}"] if release.wait(10) else [])
    poll = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}
    waiting = threading.Thread(target=lambda: list(app(poll, lambda *a: None)))
    waiting.start()
    try:
        # When a snapshot is taken meanwhile, then it completes without waiting for the poll
        saver = threading.Thread(target=snapshots.save)
        saver.start()
        saver.join(5)
        assert not saver.is_alive() and snapshots.saved == 1
    finally:
        release.set()
        waiting.join()


def test_an_items_attributes_come_back_whole_without_moto_resizing_them_one_by_one(monkeypatch):
    # Given an item's attributes as moto keeps them (a size-checking dict), one with an attribute of its own
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    attributes = LimitedSizeDict({f"field{i}": DynamoType({"S": f"value {i}"}) for i in range(30)})
    attributes.marker = "kept"
    pickled = persistence.dumps([attributes])
    resized = []
    monkeypatch.setattr(LimitedSizeDict, "__setitem__", lambda self, key, value: resized.append(key))

    # When they are loaded back
    (loaded,) = pickle.loads(pickled)

    # Then they are the same, of the same type, built in one step: the item size check ran for none of them
    assert type(loaded) is LimitedSizeDict and loaded == attributes and loaded.marker == "kept"
    assert resized == []
