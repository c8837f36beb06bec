"""Sending one notice on the channel decided: e-mail (SES, as kefu.email.outbound sends a notice: threaded on the
ticket, with its token and Reply-To), SMS (kefu.sms.outbound: SNS), or the app's push (an event on kefu's bus, which
the app channel's rule puts on the queue the mobile apps' push service consumes).

What the provider refused is `Delivered(sent=False)` with why: final for this notice, never retried (no retry storm).
What may go out on a retry (throttled, not reached) raises `NoticeNotSentYet`.
"""

from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from pydantic import BaseModel, ConfigDict

from kefu.channels import events
from kefu.channels.config import channel_targets, event_bus
from kefu.channels.publisher import PublishFailed, put_event, report_undelivered
from kefu.email import outbound
from kefu.model.customer_records import Language, NotifyBy
from kefu.model.notifications import Notice, Recipient
from kefu.model.tickets import Channel, Ticket
from kefu.notifications import templates
from kefu.sms import outbound as sms

#: SES v2 error codes that say "not now": the notice may go out on a retry. Any other refusal is final.
SES_TRANSIENT = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "Throttling", "InternalFailure", "ServiceUnavailable"}
)
NO_TARGET = "no-target"


class NoticeNotSentYet(Exception):
    """Nothing went out, and a retry may send it (throttled, a provider not reached)."""


class Delivered(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: bool
    reason: str
    #: The provider's id of what went out (SES's or SNS's message id, the event id).
    reference: str | None = None


def deliver(channel: NotifyBy, notice: Notice, ticket: Ticket, recipient: Recipient, language: Language) -> Delivered:
    words = templates.words(language, notice.kind, ticket_id=ticket.id, subject=ticket.subject, answer=notice.text)
    if channel is NotifyBy.EMAIL:
        return _by_mail(notice, ticket, words, language)
    if channel is NotifyBy.SMS:
        return _by_text(recipient, words)
    return _by_push(notice, ticket, recipient, words, language)


def _by_mail(notice: Notice, ticket: Ticket, words: templates.Words, language: Language) -> Delivered:
    try:
        mailed = outbound.send_notice(ticket, key=notice.key, subject=words.subject, texts={language.value: words.mail})
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in SES_TRANSIENT:
            raise NoticeNotSentYet(f"SES: {code}") from err
        message = err.response.get("Error", {}).get("Message", "")
        return Delivered(sent=False, reason=f"undeliverable: SES refused the mail: {code}: {message}")
    except (EndpointConnectionError, ConnectTimeoutError) as err:
        raise NoticeNotSentYet(f"SES not reached: {err}") from err
    if mailed.sent or mailed.reason == "already-sent":
        return Delivered(sent=True, reason=mailed.reason, reference=mailed.sesMessageId or mailed.messageId)
    # no-customer-address (removed since the decision), or send-uncertain (an earlier attempt died mid-send)
    return Delivered(sent=False, reason=mailed.reason, reference=mailed.messageId)


def _by_text(recipient: Recipient, words: templates.Words) -> Delivered:
    if not recipient.phone:
        return Delivered(sent=False, reason="no-phone-number")
    try:
        message_id = sms.send_text(recipient.phone, words.sms)
    except sms.TextNotSentYet as err:
        raise NoticeNotSentYet(str(err)) from err
    except sms.Undeliverable as refused:
        return Delivered(sent=False, reason=f"undeliverable: SNS refused the text: {refused}")
    return Delivered(sent=True, reason="sent", reference=message_id)


def push_event(
    notice: Notice, ticket: Ticket, recipient: Recipient, words: templates.Words, language: Language
) -> dict[str, Any]:
    """The `kefu.customer.notified` event's detail (schema: events/kefu.customer.notified.schema.json)."""
    return {
        "eventId": f"{notice.eventId}/notice",
        "ticketId": ticket.id,
        "channel": Channel.APP.value,
        "externalThreadId": None,
        "customer": {
            "id": recipient.customer_id,
            "name": recipient.name,
            "contact": {"kind": "customer", "value": recipient.customer_id},
        },
        "notice": notice.kind.value,
        "language": language.value,
        "title": words.subject,
        "text": words.push,
        "at": notice.at.isoformat(),
        "sequence": notice.eventId.rsplit("/", 1)[-1],
    }


def _by_push(
    notice: Notice, ticket: Ticket, recipient: Recipient, words: templates.Words, language: Language
) -> Delivered:
    detail = push_event(notice, ticket, recipient, words, language)
    if Channel.APP not in channel_targets():
        # Put nowhere: no rule would take it. Reported as every channel's missing target is (timeline, alarm).
        report_undelivered(ticket, events.NOTIFIED, detail["eventId"], Channel.APP)
        return Delivered(sent=False, reason=NO_TARGET, reference=detail["eventId"])
    try:
        put_event(events.as_entry(events.NOTIFIED, detail, event_bus()))
    except PublishFailed as err:
        raise NoticeNotSentYet(str(err)) from err
    return Delivered(sent=True, reason="published", reference=detail["eventId"])
