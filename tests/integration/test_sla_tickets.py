"""The SLA clock on tickets, through the API: due times set at opening, paused while waiting on the customer, the
first answer and the resolution recorded, the policy chosen again when the category or priority changes; the
customer sees due times only, and nobody sees the clock itself. Time is held still and moved by each test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from kefu.store import tickets as store
from kefu.tickets import conversation, customer, handover, opening, transitions
from kefu.tickets.sla import clock_of
from tests.conftest import AGENT, CUSTOMER, Api
from tests.integration.conftest import open_ticket
from tests.integration.sla_desk import use_short_targets

T0 = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def at(self, minutes: float) -> datetime:
        self.now = T0 + timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock(monkeypatch, tmp_path) -> Clock:
    undo = use_short_targets(monkeypatch, tmp_path)
    held = Clock()
    for module in (conversation, customer, handover, opening, transitions):
        monkeypatch.setattr(module, "now", lambda: held.now)
    yield held
    undo()


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def dues(sla: dict) -> tuple[datetime | None, datetime | None]:
    return when(sla["firstResponseDue"]), when(sla["resolutionDue"])


def complaint(desk: Api) -> dict:
    return open_ticket(
        desk, subject="Complaint about the courier", description="Thrown over the fence.", category="complaint"
    )


def read(desk: Api, ticket_id: str, who=AGENT) -> dict:
    reply = desk("GET", f"/tickets/{ticket_id}", who=who)
    assert reply.status == 200, reply.text
    return reply.json


def transition(desk: Api, ticket_id: str, to: str, who=AGENT, **extra) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/transition", who=who, body={"to": to, **extra})
    assert reply.status == 200, reply.text
    return reply.json


def test_opening_a_ticket_sets_its_due_times_from_its_policy(desk, clock):
    ticket = complaint(desk)

    sla = read(desk, ticket["id"])["sla"]
    assert sla["policy"] == "complaint"
    assert dues(sla) == (minutes(20), minutes(40))
    assert sla["breaches"] == [] and sla["escalated"] == []


def test_waiting_on_the_customer_pauses_the_clock_until_they_reply(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    pending = transition(desk, ticket["id"], "pending", note="Could you send a photo of the box?")
    assert dues(pending["sla"]) == (None, None)

    clock.at(15)
    reply = desk("POST", f"/tickets/{ticket['id']}/messages", who=CUSTOMER, body={"body": "Here it is."})
    assert reply.status == 201, reply.text

    after = read(desk, ticket["id"])
    assert after["status"] == "open"
    assert dues(after["sla"]) == (minutes(30), minutes(50))


def test_an_agent_putting_the_ticket_back_to_open_resumes_the_clock(desk, clock):
    ticket = complaint(desk)
    clock.at(5)
    transition(desk, ticket["id"], "pending")
    clock.at(25)

    reopened = transition(desk, ticket["id"], "open")

    assert when(reopened["sla"]["resolutionDue"]) == minutes(60)


def test_the_first_public_reply_records_the_first_response_and_an_internal_note_does_not(desk, clock):
    ticket = complaint(desk)
    clock.at(2)
    body = {"body": "Checking with the courier.", "visibility": "internal"}
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body=body).status == 201
    assert read(desk, ticket["id"])["sla"]["firstResponseAt"] is None

    clock.at(3)
    body = {"body": "We are sorry; a replacement is on its way."}
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body=body).status == 201

    assert when(read(desk, ticket["id"])["sla"]["firstResponseAt"]) == minutes(3)
    stored = clock_of(store.get(ticket["id"]))
    assert stored is not None and stored.clock.first_response_at == minutes(3)
    assert stored.generation == 2  # the answer replaces the escalation wake: resolution milestones only


def test_resolving_late_records_the_resolution_and_both_breaches(desk, clock):
    ticket = complaint(desk)
    clock.at(50)

    resolved = transition(desk, ticket["id"], "resolved", resolution={"kind": "reship"})

    assert when(resolved["sla"]["resolvedAt"]) == minutes(50)
    assert resolved["sla"]["breaches"] == ["first_response", "resolution"]
    stored = clock_of(store.get(ticket["id"]))
    assert stored is not None and stored.clock.resolved_at == minutes(50)


def test_reopening_lets_the_resolution_target_run_on_without_the_time_it_was_resolved(desk, clock):
    ticket = complaint(desk)
    clock.at(10)
    transition(desk, ticket["id"], "resolved", resolution={"kind": "answer"})
    clock.at(100)

    reopened = transition(desk, ticket["id"], "open", who=CUSTOMER)

    assert reopened["status"] == "open"
    assert when(read(desk, ticket["id"])["sla"]["resolutionDue"]) == minutes(130)


def test_changing_the_category_chooses_the_policy_again_counted_from_the_opening(desk, clock):
    ticket = open_ticket(desk, subject="Where is my parcel?", description="Order 1042.", category="logistics")
    assert read(desk, ticket["id"])["sla"]["policy"] == "standard"
    clock.at(30)

    reply = desk(
        "PATCH", f"/tickets/{ticket['id']}", who=AGENT, body={"category": "complaint"}, headers={"If-Match": "*"}
    )

    assert reply.status == 200, reply.text
    sla = reply.json["sla"]
    assert sla["policy"] == "complaint"
    assert dues(sla) == (minutes(20), minutes(40))
    assert sla["breaches"] == ["first_response"]


def test_a_customer_sees_their_due_times_but_not_the_policy_breaches_or_escalations(desk, clock):
    ticket = complaint(desk)
    clock.at(30)
    transition(desk, ticket["id"], "pending")  # a write after the breach: the view records it

    own = read(desk, ticket["id"], who=CUSTOMER)
    listed = desk("GET", "/tickets", who=CUSTOMER).json["items"]

    for seen in (own, *listed):
        assert set(seen["sla"]) == {"firstResponseDue", "resolutionDue", "firstResponseAt", "resolvedAt", "closedAt"}
        assert "slaClock" not in seen and "escalationLevel" not in seen
    staff = read(desk, ticket["id"])
    assert staff["sla"]["breaches"] == ["first_response"]
    assert staff["sla"]["policy"] == "complaint"
    assert "slaClock" not in staff


def test_the_clock_is_kept_on_the_ticket_item_itself(desk, clock):
    ticket = complaint(desk)

    item = boto3.client("dynamodb").get_item(
        TableName="kefu-test", Key={"pk": {"S": f"TICKET#{ticket['id']}"}, "sk": {"S": "TICKET"}}
    )["Item"]

    assert '"generation": 1' in item["slaClock"]["S"]
    assert '"policy": "complaint"' in item["slaClock"]["S"]
