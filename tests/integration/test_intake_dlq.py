"""`kefu dlq show|redrive`: what intake could not take is seen, with why, and sent back, with moto's SQS as the
queues."""

from __future__ import annotations

import json

import boto3
import pytest
from typer.testing import CliRunner

from kefu_local import cli
from tests.conftest import EVENTS

QUEUE, DLQ = "kefu-dev-intake", "kefu-dev-intake-dead-letters"


@pytest.fixture
def sqs(aws, monkeypatch):
    monkeypatch.setattr(cli.console, "width", 250)  # no wrapping of ids in the table
    client = boto3.client("sqs")
    dlq_url = client.create_queue(QueueName=DLQ)["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    client.create_queue(QueueName=QUEUE, Attributes={"RedrivePolicy": redrive})
    return client


def url(sqs, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def dead_letter(sqs, body: str) -> str:
    """Send a contact, fail it once (maxReceiveCount 1): SQS's redrive parks it in the dead-letter queue."""
    message_id = sqs.send_message(QueueUrl=url(sqs, QUEUE), MessageBody=body)["MessageId"]
    assert sqs.receive_message(QueueUrl=url(sqs, QUEUE), VisibilityTimeout=0)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url(sqs, QUEUE))
    return message_id


def bodies(sqs, name: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url(sqs, name), MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def kefu(*args: str, **env: str):
    return CliRunner().invoke(cli.app, list(args), env=env)


def contacts() -> list[str]:
    return [r["body"] for r in json.loads((EVENTS / "sqs_intake_batch.json").read_text())["Records"]]


def test_show_lists_each_dead_letter_with_its_receives_and_a_body_preview_and_leaves_it_there(sqs):
    phone, chat = contacts()
    ids = [dead_letter(sqs, phone), dead_letter(sqs, chat)]

    result = kefu("dlq", "show", "--dlq", DLQ)

    assert result.exit_code == 0, result.output
    for message_id in ids:
        assert message_id in result.output
    assert '{"channel": "phone", "externalId": "ivr-call-20260101-0001"' in result.output
    assert "2 message(s)" in result.output
    assert bodies(sqs, DLQ) == sorted([phone, chat])


def attributes(**values: str) -> dict:
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def parked_by_intake(sqs, body: str, source_id: str = "m-0001", **extra: str) -> None:
    """A message as the intake function parks it: with the reason in its kefu-error attributes."""
    reason = {
        "kefu-error": "not JSON",
        "kefu-error-detail": "body: Invalid JSON: key must be a string at line 1 column 2",
        "kefu-failed-at": "2026-01-01T09:12:00.000Z",
        "kefu-source-message-id": source_id,
    }
    sqs.send_message(QueueUrl=url(sqs, DLQ), MessageBody=body, MessageAttributes=attributes(**reason, **extra))


def test_show_prints_the_reason_intake_gave_and_the_id_the_message_had_on_the_intake_queue(sqs):
    parked_by_intake(sqs, "{not json", source_id="059f36b4-87a3-44ab-83d2-661975830a7d")

    result = kefu("dlq", "show", "--dlq", DLQ)

    assert result.exit_code == 0, result.output
    assert "not JSON: body: Invalid JSON" in result.output
    assert "059f36b4-87a3-44ab-83d2-661975830a7d" in result.output


def test_a_message_the_queue_redrove_after_its_retries_shows_retries_exhausted(sqs):
    phone, _ = contacts()
    dead_letter(sqs, phone)

    result = kefu("dlq", "show", "--dlq", DLQ)

    assert "retries exhausted" in result.output


def test_redrive_takes_the_reason_off_and_keeps_the_senders_own_attributes(sqs):
    parked_by_intake(sqs, "{not json", source="ivr-7")

    assert kefu("dlq", "redrive", "--dlq", DLQ).exit_code == 0

    [back] = sqs.receive_message(QueueUrl=url(sqs, QUEUE), MessageAttributeNames=["All"])["Messages"]
    assert back["Body"] == "{not json"
    assert {name: v["StringValue"] for name, v in back["MessageAttributes"].items()} == {"source": "ivr-7"}


def test_what_intake_parks_is_shown_with_its_reason_and_sent_back_without_it(sqs, monkeypatch):
    from tests.conftest import LambdaContext, load_function

    monkeypatch.setenv("KEFU_INTAKE_DLQ_URL", url(sqs, DLQ))
    event = json.loads((EVENTS / "sqs_intake_batch.json").read_text())
    event["Records"] = event["Records"][:1]
    event["Records"][0]["body"] = json.dumps({"channel": "fax", "externalId": "x-9"})
    source_id = event["Records"][0]["messageId"]
    result = load_function("intake").lambda_handler(event, LambdaContext(function_name="kefu-intake"))
    assert result["batchItemFailures"] == []

    shown = kefu("dlq", "show", "--dlq", DLQ)

    assert source_id in shown.output
    assert "not an intake message: channel: Input should be" in shown.output
    assert kefu("dlq", "redrive", "--dlq", DLQ).exit_code == 0
    [back] = sqs.receive_message(QueueUrl=url(sqs, QUEUE), MessageAttributeNames=["All"])["Messages"]
    assert back["Body"] == event["Records"][0]["body"]
    assert "MessageAttributes" not in back


def test_show_says_so_when_the_queue_is_empty(sqs):
    assert "the dead-letter queue is empty" in kefu("dlq", "show", "--dlq", DLQ).output


def test_redrive_sends_every_dead_letter_back_to_the_queue_that_redrives_there(sqs):
    phone, chat = contacts()
    dead_letter(sqs, phone)
    dead_letter(sqs, chat)

    result = kefu("dlq", "redrive", "--dlq", DLQ)

    assert result.exit_code == 0, result.output
    assert "2 message(s) sent back" in result.output
    assert bodies(sqs, DLQ) == []
    assert bodies(sqs, QUEUE) == sorted([phone, chat])


def test_the_queues_can_be_named_in_the_environment_and_the_count_limited(sqs):
    phone, chat = contacts()
    dead_letter(sqs, phone)
    dead_letter(sqs, chat)

    result = kefu("dlq", "redrive", "--limit", "1", KEFU_INTAKE_DLQ=DLQ, KEFU_INTAKE_QUEUE=url(sqs, QUEUE))

    assert result.exit_code == 0, result.output
    assert len(bodies(sqs, QUEUE)) == 1
    assert len(bodies(sqs, DLQ)) == 1


def test_an_unknown_queue_is_an_error_that_names_it(sqs):
    result = kefu("dlq", "show", "--dlq", "no-such-queue")

    assert result.exit_code == 1
    assert "no queue named no-such-queue" in result.output


def test_redrive_asks_for_the_source_queue_when_none_redrives_there(sqs):
    sqs.create_queue(QueueName="lonely")
    sqs.send_message(QueueUrl=url(sqs, "lonely"), MessageBody="{}")

    result = kefu("dlq", "redrive", "--dlq", "lonely")

    assert result.exit_code == 1
    assert "--queue" in result.output
    assert bodies(sqs, "lonely") == ["{}"]
