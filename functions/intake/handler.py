"""kefu's intake: SQS batches of contacts in, a ticket opened or added to for each, partial failures out.

A record that can never be taken (not JSON, not an intake message, a key reused with other content, refused by
the domain) does not go round the retries: the function parks it in the dead-letter queue itself, as it came, with
why in its message attributes (kefu-error, kefu-error-detail, kefu-failed-at, kefu-source-message-id), logs it and
reports it processed. A record failing on the way (throttling, a conflict, a timeout) is reported alone as a batch
item failure, its reason logged; SQS hands it out again and, after the queue's maxReceiveCount, parks it in the
dead-letter queue. Either way the other records of the batch are not redone.
"""

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

import base64
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Json, ValidationError

from kefu.batches import SQS, Batch, PartialItemFailureResponse
from kefu.clock import iso, now
from kefu.config import INTAKE_DEAD_LETTER_URL_VAR, settings
from kefu.customers.updates import CustomerUpdated
from kefu.errors import BadRequest, Forbidden, InvalidRequest
from kefu.intake import service as intake
from kefu.intake.model import (
    ERROR_ATTRIBUTE,
    ERROR_DETAIL_ATTRIBUTE,
    FAILED_AT_ATTRIBUTE,
    MESSAGE_KINDS,
    SOURCE_MESSAGE_ID_ATTRIBUTE,
    QueueMessage,
)
from kefu.observability import logger, metrics, tracer

#: SQS takes at most 10 message attributes: the producer's own are kept up to what is left beside kefu's four.
_MAX_ATTRIBUTES = 10
_DETAIL_CHARS = 2000


class IntakeRecord(BaseModel):
    """An SQS record, as far as this function reads it: its id and its body (a queue message, as JSON). Powertools'
    `SqsRecordModel` would do, but importing it runs its parser's model package, which defines every event model of
    every source (about a tenth of this function's cold start); Lambda's SQS records always carry the rest."""

    messageId: str
    body: Json[QueueMessage]


class IntakeBatch(Batch):
    """Parks what can never be taken in the dead-letter queue at once; reports the rest of what failed for a retry.
    Logs why each record failed, with its message id, in one structured line (what an operator greps for)."""

    def failed(self, delivered: Any, error: Exception) -> bool:
        # `delivered` is the record as SQS delivered it: a message parked in the dead-letter queue goes there byte
        # for byte.
        message_id = delivered.get("messageId")
        receives = _receive_count(delivered)
        detail = _reason(error)
        hopeless = _never_takeable(error)
        if hopeless is not None:
            try:
                _dead_letter(delivered, hopeless, detail)
            except Exception:  # the queue's own redrive parks it after its retries: nothing is lost
                logger.exception(
                    "intake record could not be dead-lettered; left to the queue's retries",
                    extra={"messageId": message_id, "reason": hopeless, "detail": detail},
                )
            else:
                logger.warning(
                    "intake record dead-lettered",
                    extra={"messageId": message_id, "receiveCount": receives, "reason": hopeless, "detail": detail},
                )
                metrics.add_metric(name="IntakeRecordsDeadLettered", unit="Count", value=1)
                return True
        logger.warning(
            "intake record failed",
            extra={"messageId": message_id, "receiveCount": receives, "reason": detail},
        )
        metrics.add_metric(name="IntakeRecordsFailed", unit="Count", value=1)
        return False


batch = IntakeBatch(SQS, failure_log="intake record failed")


@tracer.capture_method
def record_handler(delivered: dict) -> dict:
    record = IntakeRecord.model_validate(delivered)
    if isinstance(record.body, CustomerUpdated):
        return customer_updated(record.messageId, record.body)
    contact = record.body
    outcome = intake.take_once(contact)
    logger.info(
        "intake record taken",
        extra={
            "messageId": record.messageId,
            "channel": contact.channel.value,
            "externalId": contact.externalId,
            "ticketId": outcome.ticketId,
            "opened": outcome.opened,
            "followUpOf": outcome.followUpOf,
        },
    )
    metrics.add_metric(name="IntakeTicketsOpened" if outcome.opened else "IntakeMessagesAdded", unit="Count", value=1)
    return outcome.model_dump(mode="json")


def customer_updated(message_id: str, update: CustomerUpdated) -> dict:
    """A CRM's change of a customer: applied at once (setting is idempotent; a stale one changes nothing)."""
    # Imported with the first CRM message: a contact, the usual first work, needs none of the customer records.
    from kefu.customers import crm

    applied = crm.apply(update)
    logger.info(
        "customer update applied",
        extra={"messageId": message_id, "customerId": applied.id, "tier": applied.tier.value},
    )
    metrics.add_metric(name="CustomerUpdatesApplied", unit="Count", value=1)
    return {"customerId": applied.id, "tier": applied.tier.value, "version": applied.version}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    intake.idempotency_config().register_lambda_context(context)
    return batch.process(event, record_handler)


def _never_takeable(error: BaseException | None) -> str | None:
    """Why no retry could ever take this record (kefu-error), or None when a retry might."""
    if isinstance(error, ValidationError):
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return "not JSON"
        return "not an intake message"
    if isinstance(error, intake.IntakeKeyReused):
        return "externalId reused with other content"
    if isinstance(error, InvalidRequest | BadRequest | Forbidden):
        return "refused"
    return None


def _dead_letter(delivered: dict, reason: str, detail: str) -> None:
    """Send the record, as delivered, to the dead-letter queue with why it is there."""
    # The dead-letter queue's URL, set by the intake construct (infra/kefu_infra/capabilities/intake.py).
    url = settings().intake_dead_letter_url
    if not url:
        raise RuntimeError(f"{INTAKE_DEAD_LETTER_URL_VAR} is not set: the intake construct sets it")
    ours = {
        ERROR_ATTRIBUTE: reason,
        ERROR_DETAIL_ATTRIBUTE: detail[:_DETAIL_CHARS],
        FAILED_AT_ATTRIBUTE: iso(now()),
        SOURCE_MESSAGE_ID_ATTRIBUTE: delivered["messageId"],
    }
    theirs = [
        (name, _attribute(value))
        for name, value in (delivered.get("messageAttributes") or {}).items()
        if name not in ours
    ]
    attributes = dict(theirs[: _MAX_ATTRIBUTES - len(ours)])
    attributes.update({name: {"DataType": "String", "StringValue": value} for name, value in ours.items()})
    _sqs().send_message(QueueUrl=url, MessageBody=delivered["body"], MessageAttributes=attributes)


def _attribute(value: dict) -> dict:
    """A message attribute as the Lambda event renders it, as SendMessage takes it."""
    data_type = value.get("dataType", "String")
    if value.get("stringValue") is not None:
        return {"DataType": data_type, "StringValue": value["stringValue"]}
    return {"DataType": data_type, "BinaryValue": base64.b64decode(value.get("binaryValue") or "")}


@cache
def _sqs():
    import boto3

    return boto3.client("sqs")


def _receive_count(delivered: dict) -> int | None:
    raw = (delivered.get("attributes") or {}).get("ApproximateReceiveCount")
    return int(raw) if raw else None


def _reason(error: BaseException | None) -> str:
    """One line an operator can act on: for a message that is not an intake message, which fields and why."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(f"{_location(e['loc'])}: {e['msg']}" for e in errors())
    return f"{type(error).__name__}: {error}"


def _location(loc: tuple) -> str:
    """Where in the message a validation error is: its field path, without the envelope or the message kind."""
    return ".".join(str(p) for p in loc if p != "body" and p not in MESSAGE_KINDS) or "body"


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
