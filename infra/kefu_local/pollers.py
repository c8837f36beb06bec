"""Queue pollers with Lambda's SQS semantics, one thread per event source mapping of the template.

Each poller long-polls its queue, gathers a batch (up to the mapping's BatchSize, waiting at most its
MaximumBatchingWindowInSeconds once a first message is in), invokes the function in-process with an SQS event and
deletes what succeeded: with ReportBatchItemFailures, every record but the `batchItemFailures`; without it, all of
them or, if the handler raises, none. A record left undeleted becomes visible again after the queue's visibility
timeout, and SQS (moto) moves it to the dead-letter queue once its receive count passes maxReceiveCount.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

import boto3

from kefu_local.lambdas import TemplateFunction
from kefu_local.resources import QueueMapping
from kefu_local.runtime import LOCAL_REGION, LocalFunction

log = logging.getLogger(__name__)

#: How long one receive waits (seconds): short enough for a prompt shutdown.
_WAIT_SECONDS = 1


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda hands a function for a batch of SQS messages."""
    return {"Records": [_record(message, queue_arn) for message in messages]}


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = {}
    for key, value in message.get("MessageAttributes", {}).items():
        attributes[key] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType", "String"),
        }
        attributes[key] = {k: v for k, v in attributes[key].items() if v is not None}
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": LOCAL_REGION,
    }


def failed_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """The message ids a ReportBatchItemFailures response names; the whole batch if the response is malformed
    (Lambda's rule: an empty or unknown itemIdentifier fails the batch)."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        return set(batch_ids)
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        ids.add(identifier)
    return ids


class QueuePoller:
    def __init__(self, mapping: QueueMapping, function: LocalFunction | TemplateFunction, endpoint: str):
        self.mapping = mapping
        self.function = function
        self.endpoint = endpoint
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{function.name}", daemon=True)
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        sqs = boto3.client("sqs", endpoint_url=self.endpoint, region_name=LOCAL_REGION)
        while not self._stopping.is_set():
            try:
                batch = self._gather(sqs)
                if batch:
                    self._invoke(sqs, batch)
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("poller for %s failed; retrying", self.function.name)
                self._stopping.wait(1)

    def _gather(self, sqs: Any) -> list[dict[str, Any]]:
        mapping = self.mapping
        batch: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(batch) < mapping.batch_size and not self._stopping.is_set():
            wait = _WAIT_SECONDS if deadline is None else max(0, min(_WAIT_SECONDS, deadline - time.monotonic()))
            messages = sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=min(10, mapping.batch_size - len(batch)),
                WaitTimeSeconds=round(wait),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            batch.extend(messages)
            if not batch:
                continue
            if deadline is None:
                deadline = time.monotonic() + mapping.window_seconds
            if time.monotonic() >= deadline:
                break
        return batch

    def _invoke(self, sqs: Any, batch: list[dict[str, Any]]) -> None:
        mapping = self.mapping
        ids = {message["MessageId"] for message in batch}
        self.batches += 1
        try:
            response = self.function(sqs_event(batch, mapping.queue_arn))
        except Exception:
            log.exception("%s failed on a batch of %d; all will be retried", self.function.name, len(batch))
            return
        failed = failed_ids(response, ids) if mapping.report_item_failures else set()
        done = [message for message in batch if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(done[start : start + 10])
            ]
            sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=entries)
        if failed:
            log.info("%s: %d of %d record(s) failed, left for retry", self.function.name, len(failed), len(batch))
