"""The intake queue: SQS batches of contacts become tickets, once each, and what cannot be taken is reported alone."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest

from tests.conftest import EVENTS, LambdaContext, load_function

PHONE, CHAT = 0, 1  # the records of events/sqs_intake_batch.json


@pytest.fixture
def intake(aws):
    return load_function("intake")


@pytest.fixture
def template() -> dict:
    return json.loads((EVENTS / "sqs_intake_batch.json").read_text())


def contact(template: dict, index: int, **changes: Any) -> dict:
    body = json.loads(template["Records"][index]["body"])
    body.update(changes)
    return body


def batch(template: dict, *bodies: dict | str) -> dict:
    """An SQS event with one record per body (a dict is sent as JSON, a string as it is)."""
    records = []
    for body in bodies:
        record = copy.deepcopy(template["Records"][PHONE])
        record["messageId"] = str(uuid.uuid4())
        record["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        records.append(record)
    return {"Records": records}


def run(intake, event: dict) -> list[str]:
    """The message ids the handler reports as failed."""
    result = intake.lambda_handler(event, LambdaContext(function_name="kefu-intake"))
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def tickets_of(kind: str, value: str) -> list:
    from kefu.store import customers, tickets

    customer = customers.by_contact(kind, value)
    if customer is None:
        return []
    return tickets.by_customer(customer.id, status=None, limit=50, cursor=None).items


def timeline(ticket_id: str) -> list:
    """The ticket's conversation: its entries less the routing decision (tested with routing)."""
    from kefu.store import tickets

    entries = tickets.timeline(ticket_id, public_only=False, limit=50, cursor=None).items
    return [entry for entry in entries if entry.kind != "routing"]


def logged(caplog, message: str) -> list[dict]:
    """The structured fields of each log line with this message."""
    return [vars(r) for r in caplog.records if r.getMessage() == message]


def test_the_sample_batch_opens_one_ticket_per_contact_on_its_channel_for_its_customer(intake, template):
    assert run(intake, template) == []

    [call] = tickets_of("phone", "+8613800138000")
    assert call.channel.value == "phone"
    assert call.subject == "Parcel for order 1042 not delivered"
    assert call.priority.value == "P2" and call.category.value == "logistics"
    [chat] = tickets_of("email", "li.lei@example.com")
    assert chat.channel.value == "chat"
    assert chat.customerId != call.customerId


def test_the_opening_entry_is_written_by_the_channels_intake_and_says_where_the_contact_came_from(intake, template):
    run(intake, batch(template, contact(template, PHONE)))

    [ticket] = tickets_of("phone", "+8613800138000")
    [entry] = timeline(ticket.id)
    assert entry.authorId == "system:intake:phone"
    assert entry.body.startswith("Caller says order 1042")
    assert entry.data["externalId"] == "ivr-call-20260101-0001"
    assert entry.data["occurredAt"] == "2026-01-01T09:12:00+08:00"
    assert entry.data["metadata"] == {"ivrMenu": "2-1", "agentQueue": "logistics"}


def test_a_contact_for_a_known_customer_id_goes_to_that_customer(intake, template):
    first = contact(template, PHONE)
    run(intake, batch(template, first))
    [ticket] = tickets_of("phone", "+8613800138000")

    again = contact(template, CHAT, customer={"id": ticket.customerId}, metadata={})
    assert run(intake, batch(template, again)) == []

    assert {t.channel.value for t in tickets_of("phone", "+8613800138000")} == {"phone", "chat"}


def test_the_same_contact_delivered_twice_opens_one_ticket(intake, template):
    body = contact(template, PHONE)

    assert run(intake, batch(template, body)) == []
    assert run(intake, batch(template, body, body)) == []

    [ticket] = tickets_of("phone", "+8613800138000")
    assert len(timeline(ticket.id)) == 1


def test_the_same_key_with_different_content_fails_that_record_with_its_reason(intake, template, caplog):
    run(intake, batch(template, contact(template, PHONE)))
    caplog.clear()
    changed = batch(template, contact(template, PHONE, body="A different call under the same id."))

    assert run(intake, changed) == [changed["Records"][0]["messageId"]]

    [failure] = logged(caplog, "intake record failed")
    assert failure["messageId"] == changed["Records"][0]["messageId"]
    assert "already taken with different content" in failure["reason"]
    [ticket] = tickets_of("phone", "+8613800138000")
    assert len(timeline(ticket.id)) == 1


def test_a_follow_up_in_the_same_thread_is_added_to_the_threads_ticket(intake, template):
    first = contact(template, CHAT)
    follow_up = contact(template, CHAT, externalId="chat-msg-88125", body="还有，能开发票吗？")

    assert run(intake, batch(template, first, follow_up)) == []

    [ticket] = tickets_of("email", "li.lei@example.com")
    entries = timeline(ticket.id)
    assert [e.body for e in entries] == ["我取消了订单 1077，退款什么时候到账？", "还有，能开发票吗？"]
    assert entries[1].kind.value == "message" and entries[1].visibility.value == "public"
    assert entries[1].authorId == "system:intake:chat"
    assert entries[1].data["threadId"] == "chat-session-5531"


def test_contacts_without_a_thread_are_each_their_own_ticket(intake, template):
    one = contact(template, PHONE, metadata={})
    other = contact(template, PHONE, externalId="ivr-call-20260101-0002", metadata={})

    assert run(intake, batch(template, one, other)) == []

    assert len(tickets_of("phone", "+8613800138000")) == 2


def test_a_follow_up_reopens_a_thread_waiting_on_the_customer(intake, template):
    from kefu.identity import Caller
    from kefu.tickets import service
    from kefu.tickets.model import Status, TransitionRequest

    run(intake, batch(template, contact(template, CHAT)))
    [ticket] = tickets_of("email", "li.lei@example.com")
    agent = Caller("agent-zhang", frozenset({"agent"}))
    service.transition(agent, ticket.id, TransitionRequest(to=Status.OPEN))
    service.transition(agent, ticket.id, TransitionRequest(to=Status.PENDING))

    run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88130", body="Any news?")))

    assert service.get_ticket(agent, ticket.id).status is Status.OPEN


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("{not json", id="bad-json"),
        pytest.param({"channel": "chat", "externalId": "x-1", "subject": "No customer", "body": "b"}, id="missing"),
        pytest.param({"channel": "fax", "externalId": "x-2"}, id="unknown-channel"),
        pytest.param("extra", id="unknown-field"),
        pytest.param("big-metadata", id="metadata-too-large"),
    ],
)
def test_an_invalid_message_fails_alone_and_the_valid_ones_are_taken_once(intake, template, caplog, bad):
    if bad == "extra":
        bad = contact(template, PHONE, externalId="x-3", sla="gold")
    elif bad == "big-metadata":
        bad = contact(template, PHONE, externalId="x-4", metadata={"transcript": "word " * 3000})
    event = batch(template, contact(template, PHONE), bad, contact(template, CHAT))
    bad_id = event["Records"][1]["messageId"]
    caplog.clear()

    assert run(intake, event) == [bad_id]

    [failure] = logged(caplog, "intake record failed")
    assert failure["messageId"] == bad_id and failure["reason"]
    # SQS hands the failed record out again; the valid ones come back with it only if the whole batch is retried.
    assert run(intake, event) == [bad_id]
    assert len(tickets_of("phone", "+8613800138000")) == 1
    assert len(tickets_of("email", "li.lei@example.com")) == 1


def test_the_reason_names_the_field_that_is_wrong(intake, template, caplog):
    event = batch(template, contact(template, PHONE, priority="urgent"))
    caplog.clear()

    run(intake, event)

    [failure] = logged(caplog, "intake record failed")
    assert failure["reason"].startswith("priority:")


def test_a_batch_where_every_record_fails_reports_them_all_instead_of_raising(intake, template):
    event = batch(template, "[]", "{}")

    assert run(intake, event) == [r["messageId"] for r in event["Records"]]


def test_a_record_failing_on_the_way_is_reported_so_it_is_delivered_again(intake, template, monkeypatch):
    from kefu.intake import service

    calls = []
    real_take = service.take

    def flaky(message):
        calls.append(message.externalId)
        if len(calls) == 1:
            raise RuntimeError("DynamoDB throttled")
        return real_take(message)

    monkeypatch.setattr(service, "take", flaky)
    event = batch(template, contact(template, PHONE))

    assert run(intake, event) == [event["Records"][0]["messageId"]]
    assert tickets_of("phone", "+8613800138000") == []
    # Redelivered: the failed attempt left no idempotency record behind, so it is taken now.
    assert run(intake, event) == []
    assert len(tickets_of("phone", "+8613800138000")) == 1
