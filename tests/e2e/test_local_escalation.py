"""Complaint escalation on the local stack, as a desk sees it: a P1 complaint opened over HTTP is left unanswered,
and with KEFU_TIME_SCALE its 48-hour closed loop passes in seconds. The table's stream schedules its first wake,
the local scheduler fires each wake on the local clock (the task scheduling the next), and every step of the ladder
lands on the ticket's timeline and on the escalation topic.

The P1 complaint's policy (complaint-urgent, 24x7): a first response within 1 h, resolution within 48 h. At SCALE
those milestones (45 min, 1 h, 36 h, 48 h) come about 0.3, 0.4, 13 and 17 seconds after it is opened; the dev
ladder goes on after the breach at 150% (72 h: the supervisor again and the owner's manager, about 26 s) and 200%
(96 h: the head of service, about 35 s). Once resolved, the ticket's clock waits to close it after the quiet period.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from .local_stack import LocalStackProcess, new_stack

pytestmark = pytest.mark.e2e

SCALE = 10_000
DEADLINE_S = 60
TOPIC = "kefu-dev-escalations"
#: The schedule group of the clocks' wakes (kefu.escalation.wakes).
WAKES = "kefu-dev-escalation"


@pytest.fixture(scope="module")
def fast_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = new_stack(tmp_path_factory.mktemp("kefu-escalation"), {"KEFU_TIME_SCALE": str(SCALE)})
    stack.start()
    yield stack
    stack.stop_if_running()


def subscribe_a_queue(stack: LocalStackProcess) -> str:
    sns, sqs = stack.client("sns"), stack.client("sqs")
    (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{TOPIC}")]
    url = sqs.create_queue(QueueName="e2e-escalation-notifications")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


def test_an_unanswered_complaint_climbs_the_escalation_ladder_on_its_timeline(fast_stack: LocalStackProcess):
    notifications = subscribe_a_queue(fast_stack)
    supervisor = {"Authorization": f"Bearer {fast_stack.token('--role', 'supervisor')}"}
    body = {
        "subject": "Complaint: the courier threw my parcel over the fence",
        "description": "I will go to the consumer association if nobody calls me back.",
        "category": "complaint",
        "priority": "P1",
        "customer": {"email": "zhang.san@example.com", "name": "Zhang San"},
    }
    opened = requests.post(f"{fast_stack.url}/tickets", json=body, headers=supervisor, timeout=10)
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["sla"]["policy"] == "complaint-urgent"

    timeline_url = f"{fast_stack.url}/tickets/{ticket['id']}/timeline"
    deadline = time.monotonic() + DEADLINE_S
    escalations: list[dict] = []
    while time.monotonic() < deadline:
        entries = requests.get(timeline_url, params={"limit": 100}, headers=supervisor, timeout=10).json()["items"]
        escalations = [e for e in entries if e["kind"] == "escalation"]
        if len(escalations) >= 11:
            break
        time.sleep(0.5)

    assert [(e["data"]["key"], e["data"]["action"]) for e in escalations] == [
        ("first_response:75", "warn_owner"),
        ("first_response:100", "notify_supervisor"),
        ("first_response:100", "raise_level"),
        ("resolution:75", "warn_owner"),
        ("resolution:100", "notify_supervisor"),
        ("resolution:100", "raise_level"),
        ("resolution:150", "notify_supervisor"),
        ("resolution:150", "notify_manager"),
        ("resolution:150", "raise_level"),
        ("resolution:200", "notify_head"),
        ("resolution:200", "raise_level"),
    ], fast_stack.output()[-3000:]
    assert all(e["visibility"] == "internal" for e in escalations)
    told = {e["data"]["action"]: e["data"].get("notified") for e in escalations}
    assert (told["notify_supervisor"], told["notify_head"]) == (["sup-wang"], ["head.of.service@example.com"])
    now = requests.get(f"{fast_stack.url}/tickets/{ticket['id']}", headers=supervisor, timeout=10).json()
    assert now["escalationLevel"] == 4
    assert now["sla"]["breaches"] == ["first_response", "resolution"]
    listed = requests.get(f"{fast_stack.url}/tickets", params={"escalated": "true"}, headers=supervisor, timeout=10)
    assert ticket["id"] in [t["id"] for t in listed.json()["items"]]

    sqs = fast_stack.client("sqs")
    sent = []
    while batch := sqs.receive_message(QueueUrl=notifications, MaxNumberOfMessages=10).get("Messages"):
        sent += [json.loads(m["Body"])["MessageAttributes"]["action"]["Value"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=notifications,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    assert sorted(sent) == sorted(e["data"]["action"] for e in escalations)

    # The ladder ran on the clock's wakes (one-time schedules), each deleted once it fired: none is left.
    scheduler = fast_stack.client("scheduler")
    assert not scheduler.list_schedules(GroupName=WAKES, NamePrefix=f"{ticket['id']}-")["Schedules"]

    # Resolved, its clock's next generation waits to close it after the quiet period (7 days: a minute here): a
    # one-time schedule invoking the escalation task with the close's plan.
    resolve = {"to": "resolved", "resolution": {"kind": "answer"}}
    moved = requests.post(
        f"{fast_stack.url}/tickets/{ticket['id']}/transition", json=resolve, headers=supervisor, timeout=10
    )
    assert moved.status_code == 200, moved.text
    waiting: list[dict] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not waiting:
        waiting = scheduler.list_schedules(GroupName=WAKES, NamePrefix=f"{ticket['id']}-")["Schedules"]
        time.sleep(0.2)
    (wake,) = waiting
    described = scheduler.get_schedule(Name=wake["Name"], GroupName=WAKES)
    assert json.loads(described["Target"]["Input"])["milestone"] == "close"
    assert described["ScheduleExpression"].startswith("at(")

    # The local scheduler fires it when the quiet period is over (about a minute here): the ticket closes.
    ticket_url = f"{fast_stack.url}/tickets/{ticket['id']}"
    deadline = time.monotonic() + 120
    status = None
    while time.monotonic() < deadline and status != "closed":
        status = requests.get(ticket_url, headers=supervisor, timeout=10).json()["status"]
        time.sleep(1)
    assert status == "closed", fast_stack.output()[-3000:]
    assert not scheduler.list_schedules(GroupName=WAKES, NamePrefix=f"{ticket['id']}-")["Schedules"]
