"""Text messages out through SNS (Publish to a phone number, transactional).

Why SNS and not AWS End User Messaging SMS (`pinpoint-sms-voice-v2` SendTextMessage): both send the same messages
through the same origination identities in AWS, but moto, which every test and the local stack run against,
answers SNS's Publish to a phone number (it keeps what was sent, and refuses a number that is not E.164) and not
SendTextMessage.

A refusal is final: SNS said no to this number or this text (not E.164, opted out, too long, no spending left), and
sending it again would be refused again — the caller records it and never retries it (no retry storm). Throttling,
SNS's internal errors and an endpoint never reached raise `TextNotSentYet`: nothing went out, a retry may send it.

`send_once` sends one text at most once per (ticket, key), claimed in DynamoDB before SNS is called (kefu.store.texts)
the way kefu.email.outbound claims a mail: a repeated campaign batch sends nothing twice.
"""

from functools import cache
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from pydantic import BaseModel, ConfigDict

from kefu.clock import now
from kefu.config import settings
from kefu.store import texts as text_store

#: SNS error codes that say "not now" rather than "not this": the message may go out on a retry.
TRANSIENT = frozenset({"Throttling", "ThrottledException", "ThrottlingException", "InternalError", "InternalFailure"})


class Undeliverable(Exception):
    """SNS refused the text for good (its code and message say why)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class TextNotSentYet(Exception):
    """SNS was not reached or was throttled: nothing went out, and a retry may send the text."""


class TextDelivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticketId: str
    key: str
    sent: bool
    reason: str
    snsMessageId: str | None = None


@cache
def _sns() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("sns", settings().region)


def send_text(phone: str, text: str) -> str:
    """Send `text` to `phone` (E.164); SNS's message id. Undeliverable or TextNotSentYet (see the module)."""
    try:
        response = _sns().publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT:
            raise TextNotSentYet(f"SNS: {code}") from err
        raise Undeliverable(code or "Refused", err.response.get("Error", {}).get("Message", str(err))) from err
    except (EndpointConnectionError, ConnectTimeoutError) as err:
        raise TextNotSentYet(f"SNS not reached: {err}") from err
    return str(response["MessageId"])


def send_once(*, ticket_id: str, customer_id: str, key: str, phone: str, text: str) -> TextDelivery:
    """`send_text` at most once per (ticket, `key`): a repeat answers `already-sent` (or the earlier failure) and
    sends nothing. TextNotSentYet gives the claim back and raises (a retry may send it)."""
    moment = now()
    earlier = text_store.claim(ticket_id, key, customer_id=customer_id, at=moment)
    if earlier is not None:
        if earlier.state == text_store.SENT:
            return TextDelivery(
                ticketId=ticket_id, key=key, sent=False, reason="already-sent", snsMessageId=earlier.sns_message_id
            )
        if earlier.state == text_store.FAILED:
            return TextDelivery(ticketId=ticket_id, key=key, sent=False, reason=f"undeliverable: {earlier.reason}")
        return TextDelivery(ticketId=ticket_id, key=key, sent=False, reason="send-uncertain")
    try:
        message_id = send_text(phone, text)
    except TextNotSentYet:
        text_store.release(ticket_id, key)
        raise
    except Undeliverable as refused:
        text_store.settle(ticket_id, key, state=text_store.FAILED, at=moment, sns_message_id=None, reason=str(refused))
        return TextDelivery(ticketId=ticket_id, key=key, sent=False, reason=f"undeliverable: {refused}")
    text_store.settle(ticket_id, key, state=text_store.SENT, at=moment, sns_message_id=message_id, reason=None)
    return TextDelivery(ticketId=ticket_id, key=key, sent=True, reason="sent", snsMessageId=message_id)
