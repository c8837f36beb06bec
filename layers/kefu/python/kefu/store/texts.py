"""Text messages kefu sends at most once (kefu.sms.outbound): claimed before SNS is called, then marked sent or
failed. pk=SMS#<ticket id>#<key>, sk=OUT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from kefu.store.notice_models import TextSendItem
from kefu.store.writes import condition_failed

OUT_SK = "OUT"
SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True)
class TextSend:
    state: str
    sns_message_id: str | None
    reason: str | None


def _key(ticket_id: str, key: str) -> str:
    return f"SMS#{ticket_id}#{key}"


def claim(ticket_id: str, key: str, *, customer_id: str, at: datetime) -> TextSend | None:
    """Claim sending the text: None when claimed now, else the earlier claim (sending, sent or failed)."""
    item = TextSendItem(
        _key(ticket_id, key), OUT_SK, ticket_id=ticket_id, customer_id=customer_id, state=SENDING, at=at
    )
    try:
        item.save(condition=TextSendItem.pk.does_not_exist())
    except PutError as err:
        if not condition_failed(err):
            raise
        try:
            earlier = TextSendItem.get(_key(ticket_id, key), OUT_SK, consistent_read=True)
        except DoesNotExist:  # released between the two calls: the next attempt claims it
            return TextSend(SENDING, None, None)
        return TextSend(earlier.state, earlier.sns_message_id, earlier.reason)
    return None


def release(ticket_id: str, key: str) -> None:
    """Give a claim back when SNS was not reached or throttled (nothing was sent): a later attempt may send it."""
    try:
        TextSendItem(_key(ticket_id, key), OUT_SK).delete(condition=TextSendItem.state == SENDING)
    except DeleteError as err:
        if not condition_failed(err):
            raise


def settle(
    ticket_id: str, key: str, *, state: str, at: datetime, sns_message_id: str | None, reason: str | None
) -> None:
    """The claim's outcome: sent (SNS took it) or failed (SNS refused it: final)."""
    TextSendItem(_key(ticket_id, key), OUT_SK).update(
        actions=[
            TextSendItem.state.set(state),
            TextSendItem.at.set(at),
            *([TextSendItem.sns_message_id.set(sns_message_id)] if sns_message_id else []),
            *([TextSendItem.reason.set(reason)] if reason else []),
        ]
    )
