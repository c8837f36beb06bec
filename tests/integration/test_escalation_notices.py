"""After the breach the ladder goes on as configured (150%: the supervisor again with the owner's manager; 200%: the
head of service), each step on the timeline naming whom it told, each notice mailed through SES (moto), and the ticket
in the supervisors' escalated list (their workspace)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from kefu import deployment
from kefu.config import ESCALATION_TOPIC_VAR, reload_settings
from kefu.escalation import service as escalation
from kefu.store import tickets as store
from kefu.tickets.sla import clock_of
from tests.conftest import ADMIN, AGENT, SUPERVISOR, Api
from tests.integration.conftest import open_ticket
from tests.integration.sla_desk import DOCUMENT

DOMAIN = "kefu.test"
LADDER = [
    {"at": 100, "milestone": "resolution", "action": "notify_supervisor"},
    {"at": 100, "milestone": "resolution", "action": "raise_level"},
    {"at": 150, "milestone": "resolution", "action": "notify_supervisor"},
    {"at": 150, "milestone": "resolution", "action": "notify_manager"},
    {"at": 150, "milestone": "resolution", "action": "raise_level"},
    {"at": 200, "milestone": "resolution", "action": "notify_head"},
    {"at": 200, "milestone": "resolution", "action": "raise_level"},
]
NOTICES = {
    "supervisors": {"l1": [SUPERVISOR.sub]},
    "managers": {AGENT.sub: "manager.sun@example.com"},
    "head_of_service": ["head@example.com"],
}


@pytest.fixture
def ladder_desk(desk: Api, tmp_path, monkeypatch) -> Api:
    document = {"mail": {"domain": DOMAIN}, "sla": {**DOCUMENT["sla"], "escalation": LADDER, "notices": NOTICES}}
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    boto3.client("sesv2").create_email_identity(EmailIdentity=DOMAIN)
    monkeypatch.setenv(ESCALATION_TOPIC_VAR, boto3.client("sns").create_topic(Name="kefu-test-escalations")["TopicArn"])
    reload_settings()
    record = {"name": "Wang", "email": "wang@example.com", "groupIds": ["l1", "l2"], "capacity": 5}
    assert desk("PUT", f"/agents/{SUPERVISOR.sub}", who=ADMIN, body=record).status == 200
    yield desk
    deployment.reload()


def mailed() -> list[tuple[str, str]]:
    """(recipient, subject) of every mail SES (moto) accepted."""
    from moto.ses.models import ses_backends

    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    return [(to, message.subject) for message in sent for to in message.destinations["ToAddresses"]]


def run_at(monkeypatch, ticket_id: str, moment) -> None:
    monkeypatch.setattr(escalation, "now", lambda: moment)
    clock = clock_of(store.get(ticket_id))
    assert clock is not None
    escalation.run_due_milestones(ticket_id, clock.generation)


def test_the_ladder_goes_on_after_the_breach_telling_the_supervisor_the_manager_then_the_head(ladder_desk, monkeypatch):
    ticket_id = open_ticket(ladder_desk)["id"]
    assert ladder_desk("POST", f"/tickets/{ticket_id}/assign", who=AGENT, body={"take": True}).status == 200
    opened = store.get(ticket_id)
    target = opened.sla.resolutionDue - opened.createdAt  # 80 min on 24x7

    run_at(monkeypatch, ticket_id, opened.createdAt + target + timedelta(seconds=1))
    run_at(monkeypatch, ticket_id, opened.createdAt + target * 1.5 + timedelta(seconds=1))
    assert store.get(ticket_id).escalationLevel == 2
    run_at(monkeypatch, ticket_id, opened.createdAt + target * 2 + timedelta(seconds=1))

    entries = ladder_desk("GET", f"/tickets/{ticket_id}/timeline", who=AGENT, query={"limit": "100"}).json["items"]
    steps = [
        (e["data"]["key"], e["data"]["action"], e["data"].get("notified")) for e in entries if e["kind"] == "escalation"
    ]
    assert steps == [
        ("resolution:100", "notify_supervisor", [SUPERVISOR.sub]),
        ("resolution:100", "raise_level", None),
        ("resolution:150", "notify_supervisor", [SUPERVISOR.sub]),
        ("resolution:150", "notify_manager", ["manager.sun@example.com"]),
        ("resolution:150", "raise_level", None),
        ("resolution:200", "notify_head", ["head@example.com"]),
        ("resolution:200", "raise_level", None),
    ]
    assert store.get(ticket_id).escalationLevel == 3
    recipients = [to for to, _ in mailed()]
    assert recipients == ["wang@example.com", "wang@example.com", "manager.sun@example.com", "head@example.com"]
    assert all(subject.startswith(f"[kefu] {ticket_id} escalated") for _, subject in mailed())
    # The supervisors' workspace: the escalated list, highest level first.
    escalated = ladder_desk("GET", "/tickets", who=SUPERVISOR, query={"escalated": "true"}).json["items"]
    assert [(t["id"], t["escalationLevel"]) for t in escalated] == [(ticket_id, 3)]


def test_a_retried_task_mails_nobody_twice(ladder_desk, monkeypatch):
    ticket_id = open_ticket(ladder_desk)["id"]
    opened = store.get(ticket_id)
    late = opened.sla.resolutionDue + timedelta(seconds=1)
    run_at(monkeypatch, ticket_id, late)
    run_at(monkeypatch, ticket_id, late)
    assert [to for to, _ in mailed()] == ["wang@example.com"]
