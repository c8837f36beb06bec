"""Answers back on every channel, against moto: a contact taken from the intake queue, answered by an agent, reaches
its channel's queue once, as the event its schema documents, through kefu's bus and the channel's rule as the
channels construct makes them; the domain table's stream is handed to the outbound dispatcher through the mapping's
own filters, as Lambda would."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kefu.channels.events import DETAIL_TYPES
from tests.conftest import AGENT, EVENTS, Api, LambdaContext, load_function
from tests.integration.mailroom import EVENT_BUS as BUS
from tests.integration.mailroom import MAIL_CONFIG, StreamReader

REGION = "us-east-1"


class Desk:
    """The intake function, the API, the channels' queues on kefu's bus, and the dispatcher reading the stream."""

    def __init__(self, queues: dict[str, str]) -> None:
        self.queues = queues
        self.intake = load_function("intake")
        self.dispatcher = load_function("email_outbound")
        self.api = Api()
        self.template = json.loads((EVENTS / "sqs_intake_batch.json").read_text())
        self.stream = StreamReader()

    def contact(self, channel: str, thread: str, body: str = "快递一直没收到") -> str:
        record = copy.deepcopy(self.template["Records"][0])
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(
            {
                "channel": channel,
                "externalId": f"{thread}-{uuid.uuid4().hex[:8]}",
                "customer": {"phone": "+8613800000000", "name": "李雷"},
                "subject": "Parcel",
                "body": body,
                "metadata": {"threadId": thread},
            },
            ensure_ascii=False,
        )
        result = self.intake.lambda_handler({"Records": [record]}, LambdaContext(function_name="kefu-intake"))
        assert result["batchItemFailures"] == []
        from kefu.store import threads

        ticket_id = threads.ticket_of(channel, thread)
        assert ticket_id is not None
        return ticket_id

    def answer(self, ticket_id: str, body: str = "您的快递已经发出。") -> dict:
        reply = self.api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body={"body": body})
        assert reply.status == 201, reply.text
        return reply.json

    def records(self) -> list[dict[str, Any]]:
        from kefu.store.dispatch import dispatch_stream_filters
        from kefu_local.patterns import matches

        filters = dispatch_stream_filters(acknowledgements=True)
        return [record for record in self.stream.read() if any(matches(f, record) for f in filters)]

    def dispatch(self, records: list[dict[str, Any]]) -> list[str]:
        context = LambdaContext(function_name="kefu-email-outbound")
        result = self.dispatcher.lambda_handler({"Records": records}, context)
        return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]

    def flush(self) -> list[dict[str, Any]]:
        records = self.records()
        if records:  # Lambda never invokes a function with an empty batch (an opening passes no filter now)
            assert self.dispatch(records) == []
        return records

    def delivered(self, channel: str) -> list[dict[str, Any]]:
        import boto3

        sqs = boto3.client("sqs", region_name=REGION)
        found = sqs.receive_message(QueueUrl=self.queues[channel], MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(message["Body"]) for message in found.get("Messages", [])]


@pytest.fixture
def desk(aws, tmp_path, monkeypatch) -> Desk:
    """A deployment with a target for chat only; the bus, the chat rule and its queue as the construct makes them."""
    import boto3

    from kefu import deployment

    document = {
        "stage": "test",
        "mail": MAIL_CONFIG,
        "groups": {"l1": {"name": "First line", "kind": "general"}},
        "default_group": "l1",
        "channels": {"chat": {"consumer": "the chat service", "retention_days": 4}},
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    monkeypatch.setenv("KEFU_EVENT_BUS", BUS)
    deployment.reload()
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name=BUS)
    queues = {}
    for channel in ("chat", "social"):
        url = sqs.create_queue(QueueName=f"kefu-test-{channel}")["QueueUrl"]
        queues[channel] = url
    arn = sqs.get_queue_attributes(QueueUrl=queues["chat"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["kefu"], "detail-type": list(DETAIL_TYPES), "detail": {"channel": ["chat"]}}
    events.put_rule(Name="kefu-test-chat", EventBusName=BUS, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="kefu-test-chat", EventBusName=BUS, Targets=[{"Id": "ChatQueue", "Arn": arn}])
    yield Desk(queues)
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def valid(event: dict[str, Any]) -> list[str]:
    schema = json.loads((EVENTS / f"{event['detail-type']}.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [error.message for error in validator.iter_errors(event)]


def test_an_agents_answer_to_a_chat_contact_reaches_the_chat_queue_once_as_documented(desk):
    ticket_id = desk.contact("chat", "chat-session-9")
    desk.flush()
    entry = desk.answer(ticket_id)

    desk.flush()

    delivered = desk.delivered("chat")
    assert all(valid(event) == [] for event in delivered)
    [event] = [event for event in delivered if event["detail-type"] == "kefu.ticket.replied"]
    assert (event["source"], event["detail-type"]) == ("kefu", "kefu.ticket.replied")
    detail = event["detail"]
    assert (detail["ticketId"], detail["channel"], detail["externalThreadId"]) == (ticket_id, "chat", "chat-session-9")
    assert detail["text"] == "您的快递已经发出。"
    assert detail["eventId"] == f"{ticket_id}/{entry['id']}"
    assert detail["customer"]["contact"] == {"kind": "thread", "value": "chat-session-9"}


def test_a_duplicate_stream_record_makes_one_event(desk):
    ticket_id = desk.contact("chat", "chat-session-10")
    desk.flush()
    desk.answer(ticket_id)
    records = desk.records()

    assert desk.dispatch(copy.deepcopy(records)) == []
    assert desk.dispatch(copy.deepcopy(records)) == []

    # the answer, and the status change it made (a new ticket is open once answered): each once
    delivered = desk.delivered("chat")
    assert sorted(event["detail-type"] for event in delivered) == ["kefu.ticket.replied", "kefu.ticket.status-changed"]
    assert len({event["detail"]["eventId"] for event in delivered}) == 2


def test_a_status_change_is_published_to_the_tickets_channel(desk):
    ticket_id = desk.contact("chat", "chat-session-11")
    desk.flush()
    changed = desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body={"to": "pending"})
    assert changed.status in (200, 201), changed.text

    desk.flush()

    events = desk.delivered("chat")
    assert [e["detail-type"] for e in events] == ["kefu.ticket.status-changed"] * len(events) and events
    assert all(valid(event) == [] for event in events)
    assert events[-1]["detail"]["status"]["to"] == "pending"


def test_an_answer_on_a_channel_with_no_target_is_recorded_and_reported_undelivered(desk):
    ticket_id = desk.contact("social", "weibo-thread-1")
    desk.flush()
    entry = desk.answer(ticket_id)

    desk.flush()

    assert desk.delivered("social") == [] and desk.delivered("chat") == []
    timeline = desk.api("GET", f"/tickets/{ticket_id}/timeline", who=AGENT).json["items"]
    assert [e["body"] for e in timeline if e["kind"] == "reply"] == ["您的快递已经发出。"]
    failures = [e for e in timeline if e["data"].get("event") == "delivery-failed"]
    assert sorted(e["data"]["of"] for e in failures) == ["kefu.ticket.replied", "kefu.ticket.status-changed"]
    [failed] = [e for e in failures if e["data"]["of"] == "kefu.ticket.replied"]
    assert failed["visibility"] == "internal"
    assert failed["data"] == {
        "event": "delivery-failed",
        "reason": "no-target",
        "channel": "social",
        "eventId": f"{ticket_id}/{entry['id']}",
        "of": "kefu.ticket.replied",
    }


def test_a_failed_put_fails_the_record_for_a_retry_that_publishes_it_once(desk, monkeypatch):
    from kefu.channels import publisher

    ticket_id = desk.contact("chat", "chat-session-12")
    desk.flush()
    desk.answer(ticket_id)
    records = desk.records()
    real = publisher._events_client()

    class Throttled:
        def put_events(self, Entries):
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow"}]}

    monkeypatch.setattr(publisher, "_events_client", lambda: Throttled())
    assert len(desk.dispatch(copy.deepcopy(records))) == len(records)
    monkeypatch.setattr(publisher, "_events_client", lambda: real)
    assert desk.dispatch(copy.deepcopy(records)) == []

    # The reply's record carries the status change its first reply made (kefu.store.tickets._packs): two events.
    assert len(records) == 1
    assert len(desk.delivered("chat")) == 2


def test_a_survey_sent_is_published_and_its_answer_is_not(desk):
    from kefu.channels.publisher import system_caller
    from kefu.clock import now
    from kefu.model.tickets import EntryKind, Visibility
    from kefu.tickets.writes import Change, Draft, change

    ticket_id = desk.contact("chat", "chat-session-13")
    desk.flush()
    sent = {"event": "sent", "surveyId": "SV-1", "channel": "email", "expiresAt": "2026-12-01T03:00:00+00:00"}
    answered = {"event": "answered", "surveyId": "SV-1", "score": 2}
    for data in (sent, answered):
        change(
            system_caller(),
            ticket_id,
            lambda ticket, data=data: Change(
                ticket.model_copy(update={"updatedAt": now()}),
                [Draft(EntryKind.SURVEY, Visibility.INTERNAL, data=data)],
            ),
        )

    assert len(desk.flush()) == 2

    [event] = desk.delivered("chat")
    assert valid(event) == []
    assert event["detail-type"] == "kefu.survey.requested"
    assert event["detail"]["survey"] == {"id": "SV-1", "expiresAt": "2026-12-01T03:00:00+00:00"}
