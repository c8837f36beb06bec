"""kefu's inbound e-mail: SES has stored each received mail in the raw-mail bucket; S3 tells EventBridge, whose
rule puts the event on this function's queue. Each record is one stored mail, taken into a ticket or kept with the
reason it was not (kefu.email.inbound).

A mail that cannot be ticketed is a successful record: it is kept and reported, never retried. A record fails only
when taking it failed (S3 or DynamoDB unavailable, the object gone, an event that is not an S3 notification): it is
reported alone as a batch item failure, retried by SQS and parked in the dead-letter queue after maxReceiveCount.
The other records of the batch are not redone.
"""

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Json

from kefu.batches import SQS, Batch, PartialItemFailureResponse
from kefu.email import inbound
from kefu.observability import logger, metrics, tracer

_METRICS = {
    "accept": "MailTicketed",
    "ignore": "MailIgnored",
    "quarantine": "MailQuarantined",
    inbound.DUPLICATE: "MailDuplicates",
}


class StoredBucket(BaseModel):
    name: str


class StoredObject(BaseModel):
    key: str


class StoredObjectDetail(BaseModel):
    bucket: StoredBucket
    object: StoredObject


class StoredMailEvent(BaseModel):
    """The EventBridge event S3 sends when SES stores a mail, as far as this function reads it: where the mail is."""

    detail: StoredObjectDetail


class StoredMailRecord(BaseModel):
    """An SQS record whose body is that event. Not Powertools' `SqsRecordModel` and S3 event models: importing them
    defines every event model of Powertools' parser on every cold start (functions/intake/handler.py)."""

    messageId: str
    body: Json[StoredMailEvent]


class MailBatch(Batch):
    """Logs why each record failed, with its message id, in one structured line, and counts it."""

    def failed(self, record: Any, error: Exception) -> bool:
        metrics.add_metric(name="MailRecordsFailed", unit="Count", value=1)
        return super().failed(record, error)


batch = MailBatch(SQS, failure_log="inbound mail record failed")


@tracer.capture_method
def record_handler(delivered: dict) -> dict:
    record = StoredMailRecord.model_validate(delivered)
    detail = record.body.detail
    stored = inbound.StoredMail(bucket=detail.bucket.name, key=detail.object.key)
    outcome = inbound.receive_once(stored)
    fields = {
        "messageId": record.messageId,
        "sesMessageId": outcome.sesMessageId,
        "outcome": outcome.outcome,
        "reason": outcome.reason,
        "ticketId": outcome.ticketId,
        "opened": outcome.opened,
        "threadedBy": outcome.threadedBy,
    }
    if outcome.unreadable:
        # Kept (raw MIME in S3, its record in the table) and reported here; retrying it would change nothing.
        logger.error(
            "inbound mail could not be read; kept for a person to look at", extra={**fields, "detail": outcome.detail}
        )
        metrics.add_metric(name="MailUnreadable", unit="Count", value=1)
    else:
        logger.info("inbound mail taken", extra=fields)
    metrics.add_metric(name=_METRICS.get(outcome.outcome, "MailTaken"), unit="Count", value=1)
    return outcome.model_dump(mode="json")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    inbound.idempotency_config().register_lambda_context(context)
    return batch.process(event, record_handler)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
