"""The local intake path as a contact system uses it: messages sent with boto3 to the local queue, polled with
Lambda's SQS semantics; what intake takes is a ticket in the HTTP API, what it cannot ends in the dead-letter
queue, where `kefu dlq show` finds it. KEFU_LOCAL_VISIBILITY_TIMEOUT=1 makes the five receives take seconds."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from .local_stack import LocalStackProcess, kefu_command, new_stack, own_stack

pytestmark = [pytest.mark.e2e, own_stack("intake")]

QUEUE = "kefu-dev-service-Intake-Queue"
DEAD_LETTERS = "kefu-dev-service-Intake-DeadLetters"
DEADLINE_S = 40


@pytest.fixture(scope="module")
def intake_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = new_stack(tmp_path_factory.mktemp("kefu-intake"), {"KEFU_LOCAL_VISIBILITY_TIMEOUT": "1"})
    stack.start()
    yield stack
    stack.stop_if_running()


def aws_env(stack: LocalStackProcess) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_the_banner_shows_the_intake_queue_and_how_to_send_to_it(intake_stack: LocalStackProcess):
    # /health answers just before the banner is printed.
    deadline = time.monotonic() + 10
    while "Ctrl-C stops it." not in intake_stack.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    output = intake_stack.output()
    assert f"{intake_stack.aws_endpoint}/123456789012/{QUEUE}" in output
    assert "sqs send-message" in output


def test_a_valid_contact_becomes_a_ticket_and_an_invalid_one_ends_in_the_dlq(intake_stack: LocalStackProcess):
    client = intake_stack.client("sqs")
    queue_url = client.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    dlq_url = client.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
    subject = f"Lid arrived cracked {uuid.uuid4().hex[:8]}"
    contact = {
        "channel": "web",
        "externalId": f"web-{uuid.uuid4().hex}",
        "customer": {"email": "ann@example.com", "name": "Ann"},
        "subject": subject,
        "body": "The lid of my order arrived cracked.",
    }
    client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(contact))
    bad = client.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"channel": "web", "subject": "no id"}))

    agent = intake_stack.token("--role", "supervisor")
    deadline = time.monotonic() + DEADLINE_S
    ticket = None
    while ticket is None and time.monotonic() < deadline:
        listed = requests.get(
            f"{intake_stack.url}/tickets",
            headers={"Authorization": f"Bearer {agent}"},
            params={"limit": 100},
            timeout=10,
        )
        assert listed.status_code == 200, listed.text
        ticket = next((t for t in listed.json()["items"] if t["subject"] == subject), None)
        if ticket is None:
            time.sleep(0.5)
    assert ticket is not None, f"no ticket for the contact within {DEADLINE_S} s:\n{intake_stack.output()[-3000:]}"

    dead: list[str] = []
    while not dead and time.monotonic() < deadline:
        count = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        if int(count["Attributes"]["ApproximateNumberOfMessages"]):
            dead = [bad["MessageId"]]
        else:
            time.sleep(0.5)
    assert dead, f"the invalid contact did not reach the DLQ within {DEADLINE_S} s"

    shown = subprocess.run(
        [*kefu_command(), "dlq", "show", "--dlq", DEAD_LETTERS],
        env=intake_stack.env | aws_env(intake_stack) | {"COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert bad["MessageId"] in shown.stdout
    assert "1 message(s)" in shown.stdout
    # The valid contact was deleted after its batch, not dead-lettered.
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
