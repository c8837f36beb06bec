"""Each function's first real piece of work, set up in moto: the event it is invoked with and the settings it runs
under (the deployment's environment variables, as the test fixtures give them).

Set up inside the test's moto (the `aws` fixture and the others named by each function): the data the work needs is
in moto's in-process backends, which the moto server of the bench serves to the recording interpreter
(tests/bench/replay.py).

- api:                an agent's authenticated `GET /tickets/{id}` of a ticket a customer opened
- intake:             one phone contact from the intake queue (a new customer, a new ticket)
- email_inbound:      one stored mail from a new sender (a new ticket, its acknowledgement's entry)
- email_outbound:     an agent's public reply on an e-mail ticket, from the table's stream (sent by SES, put on the bus)
- escalation:         a complaint's wake when its first milestone is due (it escalates, schedules the next wake)
- escalation_watcher: a complaint's INSERT from the table's stream (its first wake scheduled)
- revisit:            a campaign's scheduled run selected (one resolved ticket eligible)
- kpis:               a ticket's change from the table's Kinesis stream (its KPI facts refreshed)
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3

from tests.conftest import AGENT, EVENTS, Api

REGION = "us-east-1"
ACCOUNT = "123456789012"
#: Settings a deployment gives the function (copied from the test's environment into the child's).
SETTING_PREFIXES = ("KEFU_",)


@dataclass
class Scenario:
    function: str
    #: What is done, in a few words (the bench's row label).
    work: str
    event: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def function_name(self) -> str:
        return f"kefu-{self.function.replace('_', '-')}"


def deployment_env(**extra: str) -> dict[str, str]:
    """The kefu settings in force in this test, as the function's environment."""
    found = {name: value for name, value in os.environ.items() if name.startswith(SETTING_PREFIXES)}
    return {**found, **extra}


def api_get_ticket(desk: Api, ticket_id: str) -> Scenario:
    event = desk.event("GET", f"/tickets/{ticket_id}", who=AGENT)
    return Scenario("api", "authenticated GET /tickets/{id}", event, deployment_env())


def sqs_event(body: str, source: str) -> dict[str, Any]:
    record = json.loads((EVENTS / "sqs_intake_batch.json").read_text())["Records"][0]
    record.update(messageId=str(uuid.uuid4()), body=body, eventSourceARN=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{source}")
    return {"Records": [record]}


def intake_contact() -> Scenario:
    body = {
        "channel": "phone",
        "externalId": f"bench-call-{uuid.uuid4().hex[:12]}",
        "customer": {"phone": "+8613900139000", "name": "Zhao Min"},
        "subject": "Parcel for order 1042 not delivered",
        "body": "Caller says order 1042 was marked delivered yesterday but nothing arrived.",
        "category": "logistics",
    }
    return Scenario("intake", "one contact from the queue", sqs_event(json.dumps(body), "kefu-bench-intake"))


def inbound_mail(mailroom: Any, raw: bytes) -> Scenario:
    key = mailroom.store(raw)
    return Scenario("email_inbound", "one stored mail, new sender", {"Records": [mailroom.record(key)]})


def outbound_reply(records: list[dict[str, Any]]) -> Scenario:
    """The stream records the outbound mapping lets through after an agent's reply: the reply's entry."""
    assert len(records) == 1, f"one record for the reply, not {len(records)}"
    return Scenario("email_outbound", "an agent's reply to an e-mail ticket", {"Records": records})


def escalation_wake(plan: dict[str, Any], due_at_seconds: float) -> Scenario:
    """The plan's wake, with the child's clock (kefu.clock's virtual clock) at `due_at_seconds`: its milestone due.

    The virtual clock runs from an origin a month back at just over real speed, so that it reads `due_at_seconds`
    now and moves a few seconds more per minute than real time: recording and replay, a minute apart, see the
    same milestones due.
    """
    real = time.time()
    origin = real - 30 * 86400
    scale = (due_at_seconds - origin) / (real - origin)
    env = {"KEFU_TIME_ORIGIN": f"{origin:.3f}", "KEFU_TIME_SCALE": f"{scale:.9f}"}
    return Scenario("escalation", "a complaint's wake with a milestone due", plan, deployment_env(**env))


def watcher_insert(records: list[dict[str, Any]], ticket_id: str) -> Scenario:
    (record,) = [
        r
        for r in records
        if r["eventName"] == "INSERT"
        and (r["dynamodb"].get("NewImage") or {}).get("id", {}).get("S") == ticket_id
        and r["dynamodb"]["NewImage"].get("kind", {}).get("S") == "ticket"
    ]
    return Scenario("escalation_watcher", "a complaint opened, from the stream", {"Records": [record]})


def revisit_select(campaign_id: str, scheduled_at: str) -> Scenario:
    event = {"action": "select", "campaignId": campaign_id, "scheduledAt": scheduled_at}
    return Scenario("revisit", "a campaign's scheduled run selected", event)


def kpis_change(ticket_id: str) -> Scenario:
    change = {
        "eventName": "MODIFY",
        "dynamodb": {"NewImage": {"kind": {"S": "ticket"}, "id": {"S": ticket_id}}},
        "tableName": "kefu",
        "recordFormat": "application/json",
    }
    record = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": ticket_id,
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": base64.b64encode(json.dumps(change).encode()).decode(),
            "approximateArrivalTimestamp": time.time(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000000:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/kefu-bench-TableChanges",
    }
    return Scenario("kpis", "a ticket's change, KPI facts refreshed", {"Records": [record]})


def wakes(name: str) -> dict[str, str]:
    """The escalation wakes' schedule group and dead-letter queue in moto, as the settings that name them."""
    from kefu.config import (
        ESCALATION_DEAD_LETTERS_VAR,
        ESCALATION_FUNCTION_VAR,
        ESCALATION_SCHEDULE_GROUP_VAR,
        ESCALATION_SCHEDULER_ROLE_VAR,
    )

    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=name)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"{name}-wakes-dlq")["QueueUrl"]
    dead_letters = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {
        ESCALATION_SCHEDULE_GROUP_VAR: name,
        ESCALATION_DEAD_LETTERS_VAR: dead_letters,
        ESCALATION_SCHEDULER_ROLE_VAR: f"arn:aws:iam::{ACCOUNT}:role/{name}-wakes",
        ESCALATION_FUNCTION_VAR: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
    }


def topic(name: str) -> str:
    return boto3.client("sns", region_name=REGION).create_topic(Name=name)["TopicArn"]


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path


WAKE_MARGIN = timedelta(minutes=5)
