"""Answers back on every channel, on the local stack as a contact system sees it: a chat contact sent to the intake
queue becomes a ticket, an agent answers it over HTTP, and the answer arrives in the chat channel's queue once, as
`kefu events tail` also shows; and the customer, whose only contact point is a phone number, is told of the answer by
one text message (or, in the desk's quiet hours, has it waiting on a wake-up schedule)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from .local_stack import LocalStackProcess, kefu_command, new_stack, own_stack

pytestmark = [pytest.mark.e2e, own_stack("channels")]

INTAKE = "kefu-dev-service-Intake-Queue"
CHAT = "kefu-dev-service-Channels-ChatQueue"
DEADLINE_S = 40
#: After the answer arrived, how long nothing more may arrive for it to count as delivered once.
SETTLE_S = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = new_stack(tmp_path_factory.mktemp("kefu-channels"))
    stack.start()
    yield stack
    stack.stop_if_running()


def ticket_of(stack: LocalStackProcess, token: str, subject: str) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        listed = requests.get(
            f"{stack.url}/tickets", headers={"Authorization": f"Bearer {token}"}, params={"limit": 100}, timeout=10
        )
        assert listed.status_code == 200, listed.text
        found = next((t for t in listed.json()["items"] if t["subject"] == subject), None)
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no ticket for the contact within {DEADLINE_S} s:\n{stack.output()[-3000:]}")


def answers_in(stack: LocalStackProcess, queue_url: str, ticket_id: str) -> list[dict]:
    """Every reply event for the ticket that reaches the queue until SETTLE_S pass with nothing new for it."""
    sqs = stack.client("sqs")
    found: list[dict] = []
    deadline = time.monotonic() + DEADLINE_S
    quiet_since = None
    while time.monotonic() < deadline:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        events = [json.loads(message["Body"]) for message in received.get("Messages", [])]
        for message in received.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        mine = [e for e in events if e["detail"]["ticketId"] == ticket_id and e["detail-type"] == "kefu.ticket.replied"]
        found += mine
        if found and not mine:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= SETTLE_S:
                return found
        elif mine:
            quiet_since = None
    return found


def test_an_agents_answer_to_a_chat_contact_reaches_the_chat_queue_exactly_once(stack: LocalStackProcess):
    sqs = stack.client("sqs")
    thread = f"chat-{uuid.uuid4().hex[:12]}"
    subject = f"Parcel {thread}"
    contact = {
        "channel": "chat",
        "externalId": f"{thread}-1",
        "customer": {"phone": "+8613800000001", "name": "李雷"},
        "subject": subject,
        "body": "快遞一直沒收到",
        "metadata": {"threadId": thread},
    }
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=INTAKE)["QueueUrl"], MessageBody=json.dumps(contact))
    supervisor = stack.token("--role", "supervisor")
    ticket = ticket_of(stack, supervisor, subject)

    answered = requests.post(
        f"{stack.url}/tickets/{ticket['id']}/messages",
        headers={"Authorization": f"Bearer {supervisor}"},
        json={"body": "您的快递已经发出，单号 SF1234567890。"},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text

    [event] = answers_in(stack, sqs.get_queue_url(QueueName=CHAT)["QueueUrl"], ticket["id"])
    detail = event["detail"]
    assert (event["source"], detail["channel"], detail["externalThreadId"]) == ("kefu", "chat", thread)
    assert detail["text"] == "您的快递已经发出，单号 SF1234567890。"
    assert detail["eventId"] == f"{ticket['id']}/{answered.json()['id']}"

    tail = subprocess.run(
        [*kefu_command(), "events", "tail", "--json"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert tail.returncode == 0, tail.stderr
    tailed = [json.loads(line) for line in tail.stdout.splitlines() if line.strip()]
    assert [e["detail"]["eventId"] for e in tailed if e["detail-type"] == "kefu.ticket.replied"].count(
        detail["eventId"]
    ) == 1


def test_the_chat_customer_is_texted_of_the_answer_once_or_it_waits_for_the_end_of_quiet_hours(stack):
    sqs = stack.client("sqs")
    thread = f"chat-{uuid.uuid4().hex[:12]}"
    subject = f"Refund {thread}"
    number = "+8613800000002"
    contact = {
        "channel": "chat",
        "externalId": f"{thread}-1",
        "customer": {"phone": number, "name": "韩梅梅"},
        "subject": subject,
        "body": "退款什么时候到账？",
        "metadata": {"threadId": thread},
    }
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=INTAKE)["QueueUrl"], MessageBody=json.dumps(contact))
    supervisor = stack.token("--role", "supervisor")
    ticket = ticket_of(stack, supervisor, subject)
    answered = requests.post(
        f"{stack.url}/tickets/{ticket['id']}/messages",
        headers={"Authorization": f"Bearer {supervisor}"},
        json={"body": "退款已原路退回，预计 1-3 个工作日到账。"},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text

    def texts() -> list[dict]:
        data = requests.get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=10).json()
        return [sms for sms in data.get("sns", {}).get("SMS", []) if sms["phone_number"] == number]

    def waiting() -> list[str]:
        listed = stack.client("scheduler").list_schedules(NamePrefix=f"kefu-notice-{ticket['id']}-")
        return [schedule["Name"] for schedule in listed["Schedules"]]

    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and not (texts() or waiting()):
        time.sleep(0.5)
    time.sleep(SETTLE_S)
    sent, deferred = texts(), waiting()
    assert (len(sent), len(deferred)) in ((1, 0), (0, 1)), stack.output()[-3000:]
    if sent:
        assert ticket["id"] in sent[0]["message"]
