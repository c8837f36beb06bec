"""The intake queue: SQS batches of contacts become tickets, once each; what can never be taken is parked in the
dead-letter queue at once with its reason, and what fails on the way is reported alone for a retry."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest

from tests.conftest import EVENTS, LambdaContext, load_function

PHONE, CHAT = 0, 1  # the records of events/sqs_intake_batch.json


DEAD_LETTERS = "kefu-test-intake-dead-letters"


@pytest.fixture
def dead_letters(aws, monkeypatch) -> str:
    """The intake dead-letter queue, its URL given to the function as the intake construct gives it."""
    import boto3

    url = boto3.client("sqs").create_queue(QueueName=DEAD_LETTERS)["QueueUrl"]
    monkeypatch.setenv("KEFU_INTAKE_DLQ_URL", url)
    return url


@pytest.fixture
def intake(aws, dead_letters):
    return load_function("intake")


def parked(url: str) -> list[dict]:
    """The messages in the dead-letter queue, with their attributes as plain strings."""
    import boto3

    client = boto3.client("sqs")
    found = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return [
        {
            "body": m["Body"],
            "attributes": {k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()},
        }
        for m in found.get("Messages", [])
    ]


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


def test_the_same_key_with_different_content_is_parked_with_its_reason(intake, template, caplog, dead_letters):
    run(intake, batch(template, contact(template, PHONE)))
    caplog.clear()
    changed = batch(template, contact(template, PHONE, body="A different call under the same id."))

    assert run(intake, changed) == []

    [parking] = logged(caplog, "intake record dead-lettered")
    assert parking["messageId"] == changed["Records"][0]["messageId"]
    assert parking["reason"] == "externalId reused with other content"
    assert "already taken with different content" in parking["detail"]
    [message] = parked(dead_letters)
    assert message["attributes"]["kefu-error"] == "externalId reused with other content"
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
    from kefu.model.ticket_requests import TransitionRequest
    from kefu.model.tickets import Status
    from kefu.tickets import service as tickets

    run(intake, batch(template, contact(template, CHAT)))
    [ticket] = tickets_of("email", "li.lei@example.com")
    agent = Caller("agent-zhang", frozenset({"agent"}))
    tickets.transition(agent, ticket.id, TransitionRequest(to=Status.OPEN))
    tickets.transition(agent, ticket.id, TransitionRequest(to=Status.PENDING))

    run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88130", body="Any news?")))

    assert tickets.get_ticket(agent, ticket.id).status is Status.OPEN


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param("{not json", "not JSON", id="bad-json"),
        pytest.param(
            {"channel": "chat", "externalId": "x-1", "subject": "No customer", "body": "b"},
            "not an intake message",
            id="missing",
        ),
        pytest.param({"channel": "fax", "externalId": "x-2"}, "not an intake message", id="unknown-channel"),
        pytest.param("extra", "not an intake message", id="unknown-field"),
        pytest.param("big-metadata", "not an intake message", id="metadata-too-large"),
    ],
)
def test_a_message_that_can_never_be_taken_is_parked_at_once_and_the_valid_ones_are_taken_once(
    intake, template, caplog, dead_letters, bad, reason
):
    if bad == "extra":
        bad = contact(template, PHONE, externalId="x-3", sla="gold")
    elif bad == "big-metadata":
        bad = contact(template, PHONE, externalId="x-4", metadata={"transcript": "word " * 3000})
    event = batch(template, contact(template, PHONE), bad, contact(template, CHAT))
    bad_record = event["Records"][1]
    caplog.clear()

    # Reported processed: SQS deletes it from the intake queue instead of handing it out again and again.
    assert run(intake, event) == []

    [parking] = logged(caplog, "intake record dead-lettered")
    assert (parking["messageId"], parking["reason"]) == (bad_record["messageId"], reason)
    assert parking["detail"]
    [message] = parked(dead_letters)
    assert message["body"] == bad_record["body"]  # as it came, byte for byte
    attributes = message["attributes"]
    assert attributes["kefu-error"] == reason
    assert attributes["kefu-error-detail"] == parking["detail"]
    assert attributes["kefu-source-message-id"] == bad_record["messageId"]
    assert attributes["kefu-failed-at"].endswith("Z")
    assert len(tickets_of("phone", "+8613800138000")) == 1
    assert len(tickets_of("email", "li.lei@example.com")) == 1


def test_the_detail_names_the_field_that_is_wrong(intake, template, caplog, dead_letters):
    event = batch(template, contact(template, PHONE, priority="urgent"))
    caplog.clear()

    run(intake, event)

    [parking] = logged(caplog, "intake record dead-lettered")
    assert parking["detail"].startswith("priority:")
    assert parked(dead_letters)[0]["attributes"]["kefu-error-detail"].startswith("priority:")


def test_the_senders_own_message_attributes_go_with_the_parked_message(intake, template, dead_letters):
    event = batch(template, "{not json")
    event["Records"][0]["messageAttributes"] = {
        "source": {"stringValue": "ivr-7", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }

    run(intake, event)

    [message] = parked(dead_letters)
    assert message["attributes"]["source"] == "ivr-7"
    assert message["attributes"]["kefu-error"] == "not JSON"


def test_a_batch_where_no_record_can_ever_be_taken_parks_them_all_and_reports_none(intake, template, dead_letters):
    event = batch(template, "[]", "{}")

    assert run(intake, event) == []

    assert len(parked(dead_letters)) == 2


def test_a_batch_where_every_record_fails_on_the_way_reports_them_all_instead_of_raising(
    intake, template, monkeypatch, dead_letters
):
    from kefu.intake import service

    def throttled(message):
        raise RuntimeError("DynamoDB throttled")

    monkeypatch.setattr(service, "take", throttled)
    event = batch(template, contact(template, PHONE), contact(template, CHAT))

    assert run(intake, event) == [r["messageId"] for r in event["Records"]]
    assert parked(dead_letters) == []


def test_a_conflict_is_retried_through_the_queue_not_parked(intake, template, monkeypatch, caplog, dead_letters):
    from kefu.errors import Conflict
    from kefu.intake import service

    def busy(message):
        raise Conflict("ticket TK-AAAAAAAA kept changing; try again")

    monkeypatch.setattr(service, "take", busy)
    event = batch(template, contact(template, PHONE))
    caplog.clear()

    assert run(intake, event) == [event["Records"][0]["messageId"]]

    [failure] = logged(caplog, "intake record failed")
    assert "kept changing" in failure["reason"]
    assert parked(dead_letters) == []


def test_without_its_dead_letter_queue_a_hopeless_record_is_left_to_the_queues_retries(
    intake, template, monkeypatch, caplog
):
    monkeypatch.delenv("KEFU_INTAKE_DLQ_URL")
    event = batch(template, "{not json")
    caplog.clear()

    assert run(intake, event) == [event["Records"][0]["messageId"]]

    assert logged(caplog, "intake record could not be dead-lettered; left to the queue's retries")
    [failure] = logged(caplog, "intake record failed")
    assert failure["messageId"] == event["Records"][0]["messageId"]


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


# --- a thread whose ticket can no longer take its contacts: a follow-up ----------------------------------


def resolve(ticket_id: str, *, close: bool = False) -> None:
    from kefu.identity import Caller
    from kefu.model.ticket_requests import TransitionRequest
    from kefu.model.tickets import Status
    from kefu.tickets import service as tickets

    agent = Caller("agent-zhang", frozenset({"agent"}))
    tickets.transition(agent, ticket_id, TransitionRequest(to=Status.RESOLVED, resolution={"kind": "answer"}))
    if close:
        tickets.transition(agent, ticket_id, TransitionRequest(to=Status.CLOSED))


def tickets_store_get(ticket_id: str):
    from kefu.store import tickets

    return tickets.get(ticket_id)


def thread_ticket(channel: str, thread: str) -> str | None:
    from kefu.store import threads

    return threads.ticket_of(channel, thread)


def test_a_contact_on_a_closed_thread_opens_a_follow_up_linked_to_it(intake, template):
    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id, close=True)

    again = contact(template, CHAT, externalId="chat-msg-88200", body="退款还是没到账。")
    assert run(intake, batch(template, again)) == []

    [follow_up] = [t for t in tickets_of("email", "li.lei@example.com") if t.id != earlier.id]
    assert follow_up.followUpOf == earlier.id
    assert follow_up.customerId == earlier.customerId
    assert [e.body for e in timeline(follow_up.id) if e.kind.value == "message"] == ["退款还是没到账。"]
    assert [e.data for e in timeline(earlier.id) if e.kind.value == "link"] == [{"followUp": follow_up.id}]


def test_the_thread_goes_on_with_its_follow_up(intake, template):
    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id, close=True)
    run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88200", body="Still nothing.")))
    follow_up_id = thread_ticket("chat", "chat-session-5531")
    assert follow_up_id != earlier.id

    assert run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88201", body="Hello?"))) == []

    assert len(tickets_of("email", "li.lei@example.com")) == 2
    assert [e.body for e in timeline(follow_up_id) if e.kind.value == "message"] == ["Still nothing.", "Hello?"]


def test_a_contact_on_a_thread_resolved_longer_ago_than_the_reopen_window_opens_a_follow_up(
    intake, template, monkeypatch
):
    from datetime import timedelta

    from kefu.clock import now
    from kefu.tickets import conversation, opening

    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id)
    for module in (conversation, opening):
        monkeypatch.setattr(module, "now", lambda: now() + timedelta(days=8))  # the window is 7 days

    assert run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88300", body="Again"))) == []

    follow_up_id = thread_ticket("chat", "chat-session-5531")
    assert follow_up_id != earlier.id
    [link] = [e for e in timeline(follow_up_id) if e.kind.value == "link"]
    assert link.data == {
        "followUpOf": earlier.id,
        "reason": f"{earlier.id} was resolved more than 7 days ago, past its reopen window",
    }
    assert tickets_store_get(earlier.id).status.value == "resolved"


def test_a_contact_on_a_thread_resolved_within_the_window_reopens_its_ticket(intake, template):
    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id)

    assert run(intake, batch(template, contact(template, CHAT, externalId="chat-msg-88400", body="Not fixed"))) == []

    assert [t.id for t in tickets_of("email", "li.lei@example.com")] == [earlier.id]
    assert tickets_of("email", "li.lei@example.com")[0].status.value == "open"


def test_a_contact_redelivered_after_opening_a_follow_up_opens_no_second_one(intake, template):
    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id, close=True)
    again = contact(template, CHAT, externalId="chat-msg-88500", body="Any update?")

    assert run(intake, batch(template, again)) == []
    assert run(intake, batch(template, again)) == []

    assert len(tickets_of("email", "li.lei@example.com")) == 2
    assert [e.body for e in timeline(thread_ticket("chat", "chat-session-5531")) if e.kind.value == "message"] == [
        "Any update?"
    ]


def test_two_contacts_on_a_closed_thread_at_once_open_one_follow_up_holding_both(intake, template):
    import threading

    from kefu.intake import service as intake_service
    from kefu.intake.model import IntakeMessage

    run(intake, batch(template, contact(template, CHAT)))
    [earlier] = tickets_of("email", "li.lei@example.com")
    resolve(earlier.id, close=True)
    contacts = [
        IntakeMessage.model_validate(contact(template, CHAT, externalId=f"chat-msg-886{n}", body=f"message {n}"))
        for n in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def take(message):
        barrier.wait()
        outcomes.append(intake_service.take(message))

    workers = [threading.Thread(target=take, args=(message,)) for message in contacts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(outcomes) == 2
    assert len(tickets_of("email", "li.lei@example.com")) == 2
    follow_up_id = thread_ticket("chat", "chat-session-5531")
    assert {o.ticketId for o in outcomes} == {follow_up_id}
    bodies = sorted(e.body for e in timeline(follow_up_id) if e.kind.value == "message")
    assert bodies == ["message 0", "message 1"]
