"""The outbound events kefu tells contact systems, built from timeline entries and checked against the JSON schemas
in `events/` that document them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kefu.channels import events
from kefu.model.customers import Customer
from kefu.model.tickets import Channel, EntryKind, Priority, Sla, Status, Ticket, TimelineEntry, Visibility
from tests.conftest import EVENTS

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def schema_of(detail_type: str) -> Draft202012Validator:
    schema = json.loads((EVENTS / f"{detail_type}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def ticket(channel: Channel = Channel.CHAT) -> Ticket:
    return Ticket(
        id="TK-7F3K9Q2M",
        subject="快递一直没收到",
        description="Order 1042",
        status=Status.OPEN,
        priority=Priority.P3,
        channel=channel,
        customerId="CU-1",
        sla=Sla(),
        createdAt=NOW,
        updatedAt=NOW,
        version=4,
    )


def customer(**contact: str) -> Customer:
    return Customer(id="CU-1", name="李雷", createdAt=NOW, updatedAt=NOW, **contact)


def entry(kind: EntryKind, visibility: Visibility = Visibility.PUBLIC, **fields) -> TimelineEntry:
    return TimelineEntry(
        id="0000000004-00", ticketId="TK-7F3K9Q2M", kind=kind, visibility=visibility, createdAt=NOW, **fields
    )


def as_published(kind: str, detail: dict) -> dict:
    """The event as EventBridge hands it to a target (what the channel's queue receives)."""
    entry = events.as_entry(kind, detail, "kefu-dev")
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": "2026-11-24T03:00:00Z",
        "region": "us-east-1",
        "resources": entry["Resources"],
        "detail": json.loads(entry["Detail"]),
    }


REPLY = entry(EntryKind.REPLY, body="您的快递已经发出，单号 SF1234567890。", authorId="agent-1")
STATUS = entry(EntryKind.STATUS, data={"from": "open", "to": "resolved"})
REOPENED = entry(EntryKind.STATUS, data={"from": "resolved", "to": "open", "reason": "the customer wrote again"})
SURVEY = entry(
    EntryKind.SURVEY,
    Visibility.INTERNAL,
    data={"event": "sent", "surveyId": "SV-1", "channel": "email", "expiresAt": "2026-12-01T03:00:00Z"},
)


@pytest.mark.parametrize(
    ("made_from", "detail_type"),
    [
        (REPLY, events.REPLIED),
        (STATUS, events.STATUS_CHANGED),
        (REOPENED, events.STATUS_CHANGED),
        (SURVEY, events.SURVEY_REQUESTED),
    ],
)
@pytest.mark.parametrize("channel", list(Channel))
def test_every_event_kefu_makes_is_valid_against_its_schema(made_from, detail_type, channel):
    kind, detail = events.build(made_from, ticket(channel), customer(phone="+8613800000000"), "chat-session-9")

    assert kind == detail_type
    errors = [error.message for error in schema_of(kind).iter_errors(as_published(kind, detail))]
    assert errors == []


def test_a_reply_carries_the_ticket_its_thread_the_customer_and_the_text():
    _, detail = events.build(REPLY, ticket(), customer(phone="+8613800000000"), "chat-session-9")

    assert detail == {
        "eventId": "TK-7F3K9Q2M/0000000004-00",
        "ticketId": "TK-7F3K9Q2M",
        "channel": "chat",
        "externalThreadId": "chat-session-9",
        "customer": {"id": "CU-1", "name": "李雷", "contact": {"kind": "thread", "value": "chat-session-9"}},
        "text": "您的快递已经发出，单号 SF1234567890。",
        "at": "2026-11-24T03:00:00+00:00",
        "sequence": "0000000004-00",
    }


def test_the_event_id_is_the_same_however_often_the_entry_is_built():
    first = events.build(REPLY, ticket(), customer(), None)
    again = events.build(REPLY.model_copy(), ticket(), customer(), None)

    assert first is not None and again is not None
    assert first[1]["eventId"] == again[1]["eventId"]


@pytest.mark.parametrize(
    ("channel", "known", "expected"),
    [
        (Channel.PHONE, {"phone": "+8613800000000"}, {"kind": "phone", "value": "+8613800000000"}),
        (Channel.EMAIL, {"email": "li.lei@example.cn"}, {"kind": "email", "value": "li.lei@example.cn"}),
        (Channel.APP, {"phone": "+8613800000000"}, {"kind": "phone", "value": "+8613800000000"}),
        (Channel.PHONE, {"email": "li.lei@example.cn"}, None),
    ],
)
def test_the_contact_point_is_the_one_for_the_tickets_channel(channel, known, expected):
    assert events.contact_point(channel, customer(**known), None) == expected


@pytest.mark.parametrize(
    "made_from",
    [
        entry(EntryKind.REPLY, Visibility.INTERNAL, body="internal"),
        entry(EntryKind.NOTE, Visibility.INTERNAL, body="a note"),
        entry(EntryKind.MESSAGE, body="the customer's own words"),
        entry(EntryKind.SURVEY, data={"event": "answered", "score": 5}),
        entry(EntryKind.ASSIGNMENT, Visibility.INTERNAL),
    ],
)
def test_what_the_customer_need_not_hear_makes_no_event(made_from):
    assert events.build(made_from, ticket(), customer(), None) is None


def test_a_schema_refuses_an_event_missing_its_thread():
    kind, detail = events.build(REPLY, ticket(), customer(), "chat-session-9")
    del detail["externalThreadId"]

    assert [error.message for error in schema_of(kind).iter_errors(as_published(kind, detail))] == [
        "'externalThreadId' is a required property"
    ]
