"""Looking into a dead-letter queue and sending its messages back, against AWS or the local stack alike.

boto3 reads AWS_ENDPOINT_URL itself, so the same calls reach the local moto server or AWS. Redriving receives,
sends to the source queue and only then deletes: a message is never lost, at worst sent twice — which intake
absorbs, being idempotent on (channel, externalId). (SQS's own StartMessageMoveTask would do the move
server-side, but the local stack's moto does not implement it, and this must work the same in both.)

Why a message is there: intake parks what no retry could take with the reason in its `kefu-error*` attributes
(kefu.intake.model); a message without them got there by the queue's redrive policy, its retries exhausted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3

from kefu.intake.model import (
    DEAD_LETTER_ATTRIBUTES,
    ERROR_ATTRIBUTE,
    ERROR_DETAIL_ATTRIBUTE,
    FAILED_AT_ATTRIBUTE,
    SOURCE_MESSAGE_ID_ATTRIBUTE,
)

#: The reason of a message that carries none: SQS's redrive policy moved it after its last failed receive.
RETRIES_EXHAUSTED = "retries exhausted"
_BATCH = 10
#: How long a message looked at stays hidden from other readers; `show` hands it back at once.
_LOOK_SECONDS = 30


class DeadLetterError(Exception):
    """A queue cannot be found or does not fit (no source queue, several)."""


@dataclass(frozen=True)
class DeadLetter:
    #: The id the message had on the intake queue (what the function's logs name), else its id here.
    message_id: str
    receive_count: int
    sent_at: str | None
    reason: str
    detail: str | None
    failed_at: str | None
    body: str

    def preview(self, width: int = 80) -> str:
        return _shorten(self.body, width)

    def explanation(self, width: int = 120) -> str:
        """The reason, with its detail when there is one."""
        return _shorten(f"{self.reason}: {self.detail}" if self.detail else self.reason, width)


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@dataclass(frozen=True)
class Redriven:
    moved: int
    source_url: str


class DeadLetterQueue:
    def __init__(self, name_or_url: str, *, source: str | None = None, client: Any = None):
        self._client = client
        self._name = name_or_url
        self._source = source

    @cached_property
    def sqs(self) -> Any:
        return self._client or boto3.client("sqs")

    @cached_property
    def url(self) -> str:
        return self._resolve(self._name)

    @cached_property
    def source_url(self) -> str:
        """The queue to send messages back to: given, or the one queue that dead-letters into this one."""
        if self._source:
            return self._resolve(self._source)
        sources = self.sqs.list_dead_letter_source_queues(QueueUrl=self.url).get("queueUrls", [])
        if len(sources) != 1:
            found = ", ".join(sources) or "none"
            raise DeadLetterError(f"name the source queue (--queue): the queues redriving here are {found}")
        return sources[0]

    def _resolve(self, name_or_url: str) -> str:
        if name_or_url.startswith(("https://", "http://")):
            return name_or_url
        try:
            return self.sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"]
        except self.sqs.exceptions.QueueDoesNotExist:
            raise DeadLetterError(f"there is no queue named {name_or_url}") from None

    def show(self, limit: int = 50) -> list[DeadLetter]:
        """Up to `limit` messages, left in the queue and visible again right away (their receive count goes up)."""
        seen: list[dict] = []
        for message in self._receive(limit):
            seen.append(message)
        for start in range(0, len(seen), _BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(seen[start : start + _BATCH])
            ]
            self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)
        return [_dead_letter(m) for m in seen]

    def redrive(self, limit: int | None = None) -> Redriven:
        """Send messages back to the source queue (body and the sender's attributes as they were, without the
        reason intake gave them), then delete them here."""
        target = self.source_url
        moved = 0
        for message in self._receive(limit):
            send: dict[str, Any] = {"QueueUrl": target, "MessageBody": message["Body"]}
            attributes = {
                name: value
                for name, value in (message.get("MessageAttributes") or {}).items()
                if name not in DEAD_LETTER_ATTRIBUTES
            }
            if attributes:
                send["MessageAttributes"] = attributes
            self.sqs.send_message(**send)
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
        return Redriven(moved, target)

    def _receive(self, limit: int | None) -> Iterator[dict]:
        """Messages one receive at a time until the queue has none left to give or `limit` is reached."""
        taken = 0
        while limit is None or taken < limit:
            wanted = _BATCH if limit is None else min(_BATCH, limit - taken)
            messages = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=_LOOK_SECONDS,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                taken += 1
                yield message


def _dead_letter(message: dict) -> DeadLetter:
    attributes = message.get("Attributes", {})
    custom = message.get("MessageAttributes", {})

    def said(name: str) -> str | None:
        return custom[name].get("StringValue") if name in custom else None

    return DeadLetter(
        message_id=said(SOURCE_MESSAGE_ID_ATTRIBUTE) or message["MessageId"],
        # The count includes this look; what the consumer saw is one less.
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")) - 1,
        sent_at=attributes.get("SentTimestamp"),
        reason=said(ERROR_ATTRIBUTE) or RETRIES_EXHAUSTED,
        detail=said(ERROR_DETAIL_ATTRIBUTE),
        failed_at=said(FAILED_AT_ATTRIBUTE),
        body=message.get("Body", ""),
    )
