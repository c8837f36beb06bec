"""`kefu dlq show|redrive`: what intake could not take is seen and sent back, with moto's SQS as the queues."""

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


def test_show_prints_a_reason_carried_by_the_message(sqs):
    sqs.send_message(
        QueueUrl=url(sqs, DLQ),
        MessageBody="{not json",
        MessageAttributes={"reason": {"DataType": "String", "StringValue": "body: Invalid JSON"}},
    )

    result = kefu("dlq", "show", "--dlq", DLQ)

    assert "body: Invalid JSON" in result.output


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
