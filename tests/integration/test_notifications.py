"""Customer notifications against moto, through the notifications function as its queue hands it kefu's outbound
events: e-mails (SES) and texts (SNS) counted, deferred notices scheduled (EventBridge Scheduler) and woken, the app's
push on the app channel's queue as its schema documents; opted-out customers, refused sends, repeated events and a
missing app target. The clock is held: each test says what time it is."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from kefu.model.customers import Customer
from kefu.model.tickets import Channel, Status
from kefu.store import customers as customer_store
from kefu.store import notices as notice_store
from kefu.store import tickets as ticket_store
from kefu.store.models import CustomerItem
from tests.conftest import EVENTS, LambdaContext, load_function
from tests.integration.held_clock import hold_clock
from tests.integration.mailroom import ACCOUNT, DOMAIN, EVENT_BUS, MAIL_CONFIG, REGION, sent_messages
from tests.integration.resolved import resolved

# 10:00 in Shanghai: the desk's quiet hours (22:00-08:00) are over.
MORNING = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
# 23:30 in Shanghai.
NIGHT = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class Desk:
    """The notifications function with its queue's records built from outbound events, and what it sent."""

    def __init__(self, clock: Clock, app_queue: str | None) -> None:
        self.function = load_function("notifications")
        self.clock = clock
        self.app_queue = app_queue
        self._sequence = 0

    def customer(
        self, *, email: str | None = None, phone: str | None = None, language: str | None = None, **preferences: Any
    ) -> str:
        customer_id = f"CU-{uuid.uuid4().hex[:8].upper()}"
        moment = self.clock()
        record = Customer(id=customer_id, name="Ann", email=email, phone=phone, createdAt=moment, updatedAt=moment)
        for item in customer_store.new_items(record):
            if isinstance(item, CustomerItem):
                item.preferred_language = language
                item.contact_preferences = preferences or None
            item.save()
        return customer_id

    def ticket(self, customer_id: str, channel: Channel = Channel.WEB) -> str:
        ticket = resolved(self.clock(), customer_id, channel=channel, status=Status.OPEN)
        return ticket_store.save(ticket, [], is_new=True).id

    def event(self, ticket_id: str, kind: str, *, to: str | None = None, entry: str | None = None) -> dict[str, Any]:
        """An outbound event as the bus's rule puts it on the notifications queue."""
        self._sequence += 1
        entry = entry or f"{self._sequence:010d}-00"
        detail: dict[str, Any] = {
            "eventId": f"{ticket_id}/{entry}",
            "ticketId": ticket_id,
            "channel": "web",
            "externalThreadId": None,
            "customer": {"id": "x", "name": None, "contact": None},
            "text": "我们已为您重新发货。" if kind == "kefu.ticket.replied" else None,
            "at": self.clock().isoformat(),
            "sequence": entry,
        }
        if to is not None:
            detail["status"] = {"from": "open", "to": to}
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": kind,
            "source": "kefu",
            "account": ACCOUNT,
            "time": self.clock().isoformat(),
            "region": REGION,
            "resources": [],
            "detail": detail,
        }

    def deliver(self, *bodies: dict[str, Any]) -> list[str]:
        """Hand the function one batch of queue messages; the ids of those it reported failed."""
        records = [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(body, ensure_ascii=False),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "x",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:kefu-test-notifications",
                "awsRegion": REGION,
            }
            for body in bodies
        ]
        result = self.function.lambda_handler({"Records": records}, LambdaContext(function_name="kefu-notifications"))
        return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]

    def wake(self, ticket_id: str) -> list[str]:
        return self.deliver({"wake": {"ticketId": ticket_id, "due": self.clock().isoformat()}})

    def schedules(self) -> list[dict[str, Any]]:
        import boto3

        scheduler = boto3.client("scheduler", region_name=REGION)
        names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
        return [scheduler.get_schedule(Name=name) for name in names]

    def pushed(self) -> list[dict[str, Any]]:
        import boto3

        assert self.app_queue is not None
        found = boto3.client("sqs", region_name=REGION).receive_message(
            QueueUrl=self.app_queue, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return [json.loads(message["Body"]) for message in found.get("Messages", [])]


def texts() -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def notes(ticket_id: str) -> list[dict[str, Any]]:
    entries = ticket_store.timeline(ticket_id, public_only=False, limit=100, cursor=None).items
    return [entry.data | {"body": entry.body} for entry in entries if entry.kind == "note"]


def setup_desk(tmp_path, monkeypatch, *, app_target: bool, verified: bool = True) -> Iterator[Desk]:
    import boto3

    from kefu import deployment

    document = {
        "stage": "test",
        "mail": MAIL_CONFIG,
        "groups": {"l1": {"name": "First line", "kind": "general"}},
        "default_group": "l1",
        "channels": {"app": {"consumer": "the push service"}} if app_target else {},
        "notifications": {
            "min_interval_minutes": 15,
            "quiet_hours": {"start": "22:00", "end": "08:00", "timezone": "Asia/Shanghai"},
        },
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    monkeypatch.setenv("KEFU_EVENT_BUS", EVENT_BUS)
    if verified:
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=DOMAIN)
    sqs = boto3.client("sqs", region_name=REGION)
    notices = sqs.create_queue(QueueName="kefu-test-notifications")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=notices, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("KEFU_NOTICES_QUEUE_ARN", arn)
    monkeypatch.setenv("KEFU_NOTICES_SCHEDULER_ROLE_ARN", f"arn:aws:iam::{ACCOUNT}:role/kefu-test-notices")
    events = boto3.client("events", region_name=REGION)
    events.create_event_bus(Name=EVENT_BUS)
    app_queue = sqs.create_queue(QueueName="kefu-test-app")["QueueUrl"]
    app_arn = sqs.get_queue_attributes(QueueUrl=app_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["kefu"], "detail": {"channel": ["app"]}}
    events.put_rule(Name="kefu-test-app", EventBusName=EVENT_BUS, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="kefu-test-app", EventBusName=EVENT_BUS, Targets=[{"Id": "AppQueue", "Arn": app_arn}])
    deployment.reload()
    clock = Clock(MORNING)
    desk = Desk(clock, app_queue)
    hold_clock(monkeypatch, clock)
    yield desk
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


@pytest.fixture
def desk(aws, tmp_path, monkeypatch) -> Iterator[Desk]:
    yield from setup_desk(tmp_path, monkeypatch, app_target=True)


# --- by preference -----------------------------------------------------------------------------------------------


def test_an_agents_answer_is_mailed_once_to_a_customer_with_an_address_however_often_its_event_comes(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com", phone="+8613800138000"))
    event = desk.event(ticket_id, "kefu.ticket.replied")

    assert desk.deliver(event, event) == []
    assert desk.deliver(event) == []

    [mail] = sent_messages()
    assert str(mail["To"]).endswith("<ann@example.com>") or str(mail["To"]) == "ann@example.com"
    assert ticket_id in str(mail["Subject"])
    assert "我们已为您重新发货。" in mail.get_content()
    assert texts() == []


def test_a_customer_with_only_a_phone_is_texted_in_their_language(desk):
    ticket_id = desk.ticket(desk.customer(phone="+8613800138000", language="zh-Hant"))

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.status-changed", to="resolved")) == []

    [(number, text)] = texts()
    assert number == "+8613800138000"
    assert ticket_id in text and "已解決" in text
    assert sent_messages() == []


def test_a_customer_who_chose_the_app_gets_a_push_event_on_the_app_channels_queue_as_documented(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com", notifyBy="app", language="en"))

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.status-changed", to="pending")) == []

    [event] = desk.pushed()
    schema = json.loads((EVENTS / "kefu.customer.notified.schema.json").read_text(encoding="utf-8"))
    assert [e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(event)] == []
    assert (event["detail-type"], event["detail"]["notice"], event["detail"]["language"]) == (
        "kefu.customer.notified",
        "pending",
        "en",
    )
    assert sent_messages() == [] and texts() == []


def test_a_status_change_that_is_neither_pending_nor_resolved_tells_the_customer_nothing(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.status-changed", to="open")) == []

    assert sent_messages() == [] and notice_store.state(ticket_id).version is None


# --- rate limit and quiet hours ----------------------------------------------------------------------------------


def test_updates_within_the_interval_wait_and_only_the_newest_goes_out_when_it_ends(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))
    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.replied")) == []
    desk.clock.moment += timedelta(minutes=2)
    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.status-changed", to="pending")) == []
    desk.clock.moment += timedelta(minutes=3)
    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.status-changed", to="resolved")) == []

    assert len(sent_messages()) == 1
    [schedule] = desk.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-12-03T02:15:00)"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"]) == {
        "wake": {"ticketId": ticket_id, "due": "2026-12-03T02:15:00.000Z"}
    }

    desk.clock.moment = MORNING + timedelta(minutes=15)
    assert desk.wake(ticket_id) == []
    assert desk.wake(ticket_id) == []  # a second wake-up finds nothing waiting

    mails = sent_messages()
    assert len(mails) == 2
    assert "resolved" in str(mails[-1]["Subject"]).lower()


def test_a_notice_at_night_is_deferred_to_the_morning_not_dropped(desk):
    desk.clock.moment = NIGHT
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.replied")) == []

    assert sent_messages() == []
    [schedule] = desk.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-12-04T00:00:00)"  # 08:00 in Shanghai
    desk.clock.moment = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    assert desk.wake(ticket_id) == []
    assert len(sent_messages()) == 1


def test_a_wake_up_before_its_time_sends_nothing(desk):
    desk.clock.moment = NIGHT
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))
    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.replied")) == []

    assert desk.wake(ticket_id) == []

    assert sent_messages() == []


# --- bad input ---------------------------------------------------------------------------------------------------


def test_a_customer_who_opted_out_gets_nothing_and_the_timeline_says_so_internally(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com", notifications=False))
    event = desk.event(ticket_id, "kefu.ticket.replied")

    assert desk.deliver(event) == []
    assert desk.deliver(event) == []

    assert sent_messages() == [] and texts() == [] and desk.pushed() == []
    [note] = notes(ticket_id)
    assert (note["event"], note["notice"]) == ("notice-opted-out", "reply")


def test_an_email_ses_refuses_is_recorded_on_the_timeline_and_never_retried(aws, tmp_path, monkeypatch):
    # The mail domain is not verified: SES (moto) refuses to send from it.
    desk = next(setup_desk(tmp_path, monkeypatch, app_target=True, verified=False))
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))
    event = desk.event(ticket_id, "kefu.ticket.replied")

    assert desk.deliver(event) == []
    assert desk.deliver(event) == []

    assert sent_messages() == []
    [note] = notes(ticket_id)
    assert (note["event"], note["channel"]) == ("notice-failed", "email")
    assert note["reason"].startswith("undeliverable: SES refused the mail: MessageRejected")


def test_a_text_sns_refuses_is_recorded_on_the_timeline_and_never_retried(desk, monkeypatch):
    from botocore.exceptions import ClientError

    from kefu.sms import outbound as sms

    calls: list[str] = []

    class Refusing:
        def publish(self, **request: Any) -> dict:
            calls.append(request["PhoneNumber"])
            error = {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: PhoneNumber"}}
            raise ClientError(error, "Publish")

    monkeypatch.setattr(sms, "_sns", lambda: Refusing())
    ticket_id = desk.ticket(desk.customer(phone="+8613800138000"))
    event = desk.event(ticket_id, "kefu.ticket.replied")

    assert desk.deliver(event) == []
    assert desk.deliver(event) == []

    assert calls == ["+8613800138000"]
    [note] = notes(ticket_id)
    assert (note["event"], note["channel"]) == ("notice-failed", "sms")


def test_a_throttled_text_fails_the_record_and_goes_out_once_on_its_retry(desk, monkeypatch):
    from botocore.exceptions import ClientError

    from kefu.sms import outbound as sms

    real = sms._sns()

    class Throttled:
        def publish(self, **request: Any) -> dict:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")

    ticket_id = desk.ticket(desk.customer(phone="+8613800138000"))
    event = desk.event(ticket_id, "kefu.ticket.replied")
    monkeypatch.setattr(sms, "_sns", lambda: Throttled())
    assert len(desk.deliver(event)) == 1
    monkeypatch.setattr(sms, "_sns", lambda: real)

    assert desk.deliver(event) == []
    assert desk.deliver(event) == []

    assert len(texts()) == 1
    assert notes(ticket_id) == []


def test_an_app_notice_without_an_app_target_is_reported_undelivered(aws, tmp_path, monkeypatch):
    desk = next(setup_desk(tmp_path, monkeypatch, app_target=False))
    ticket_id = desk.ticket(desk.customer(notifyBy="app"))

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.replied")) == []

    [note] = notes(ticket_id)
    assert (note["event"], note["reason"], note["channel"], note["of"]) == (
        "delivery-failed",
        "no-target",
        "app",
        "kefu.customer.notified",
    )


def test_an_answer_on_an_email_ticket_is_not_mailed_again_as_a_notice(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"), channel=Channel.EMAIL)

    assert desk.deliver(desk.event(ticket_id, "kefu.ticket.replied")) == []

    assert sent_messages() == []


def test_a_message_that_is_neither_an_event_nor_a_wake_up_fails_its_record(desk):
    assert len(desk.deliver({"hello": "world"})) == 1


# --- cost ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "ceiling"),
    [
        # ticket, customer and notice state read; the state written; then kefu.email.outbound's notice: the customer
        # and the mail thread read, the send claimed, SendEmail, the sent mail threaded (BatchWriteItem) and its claim
        # marked sent (kefu.store.mail.mark_sent: two calls, not a transaction at twice the write units)
        ({"email": "ann@example.com"}, 11),
        # ticket, customer and notice state read; the state written; SNS Publish
        ({"phone": "+8613800138000"}, 5),
        # ticket, customer and notice state read; the state written; PutEvents
        ({"notifyBy": "app"}, 5),
    ],
)
def test_a_notice_takes_few_aws_calls(desk, aws_calls, contact, ceiling):
    ticket_id = desk.ticket(desk.customer(**contact))
    event = desk.event(ticket_id, "kefu.ticket.replied")
    aws_calls.reset()

    assert desk.deliver(event) == []

    assert len(aws_calls.calls) <= ceiling, aws_calls.count()


def test_a_deferred_notice_takes_five_aws_calls(desk, aws_calls):
    desk.clock.moment = NIGHT
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))
    event = desk.event(ticket_id, "kefu.ticket.replied")
    aws_calls.reset()

    assert desk.deliver(event) == []

    # ticket, customer and notice state read; the state written; CreateSchedule
    assert len(aws_calls.calls) == 5, aws_calls.count()


# --- the customer's choice -----------------------------------------------------------------------------------------


def test_a_customer_chooses_texts_and_their_time_zone_at_me_and_notices_read_them(desk, api):
    from tests.conftest import Identity

    who = Identity("cust-ann", email="ann@example.com")
    etag = api("GET", "/me", who=who).headers["etag"]
    body = {"contactPreferences": {"notifyBy": "sms", "timeZone": "Europe/Paris"}, "preferredLanguage": "zh-Hans"}
    changed = api("PATCH", "/me", who=who, body=body, headers={"If-Match": etag})
    assert changed.status == 200, changed.text
    assert changed.json["contactPreferences"]["notifyBy"] == "sms"
    recipient = notice_store.recipient(changed.json["id"])
    assert recipient is not None
    assert (recipient.preferences.notifyBy, recipient.preferences.timeZone) == ("sms", "Europe/Paris")
    assert recipient.language == "zh-Hans"


def test_choosing_a_channel_the_customer_refuses_at_me_is_a_422_problem(desk, api):
    from tests.conftest import CUSTOMER

    etag = api("GET", "/me", who=CUSTOMER).headers["etag"]
    body = {"contactPreferences": {"phone": False, "notifyBy": "sms"}}
    refused = api("PATCH", "/me", who=CUSTOMER, body=body, headers={"If-Match": etag})

    assert refused.status == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


# --- mail that bounced after SES took it ---------------------------------------------------------------------------


def bounce_about(ticket_id: str) -> dict[str, Any]:
    """SES's bounce event (events/eventbridge_ses_email_bounced.json) for a mail about `ticket_id`."""
    text = (EVENTS / "eventbridge_ses_email_bounced.json").read_text(encoding="utf-8")
    return json.loads(text.replace("TK-7F3K9Q2M", ticket_id))


def test_a_bounce_is_noted_once_on_the_ticket_the_mail_was_about_and_nothing_is_sent_again(desk):
    ticket_id = desk.ticket(desk.customer(email="ann@example.com"))
    bounce = bounce_about(ticket_id)

    assert desk.deliver(bounce, bounce) == []

    [note] = notes(ticket_id)
    assert (note["event"], note["bounceType"], note["recipients"]) == (
        "mail-bounced",
        "Permanent/General",
        ["ann@example.com"],
    )
    assert "550 5.1.1 user unknown" in note["body"]
    assert sent_messages() == [] and texts() == []


def test_a_bounce_of_mail_about_no_ticket_is_left(desk):
    bounce = bounce_about("TK-7F3K9Q2M")
    bounce["detail"]["mail"]["headers"] = [
        h for h in bounce["detail"]["mail"]["headers"] if h["name"] != "X-Kefu-Ticket"
    ]

    assert desk.deliver(bounce) == []
