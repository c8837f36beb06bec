"""kefu's intake: SQS batches of contacts in, a ticket opened or added to for each, partial failures out.

A record that cannot be taken (not JSON, not an intake message, a key reused with other content, a failure on
the way) is reported alone as a batch item failure, its reason logged; SQS hands it out again and, after the
queue's maxReceiveCount, parks it in the dead-letter queue. The other records of the batch are not redone.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from kefu.intake import service as intake
from kefu.intake.model import IntakeMessage
from kefu.observability import logger, metrics, tracer


class IntakeRecord(SqsRecordModel):
    body: Json[IntakeMessage]  # type: ignore[assignment]


class IntakeProcessor(BatchProcessor):
    """Logs why each record failed, with its message id, in one structured line (what an operator greps for)."""

    def failure_handler(self, record: Any, exception):
        message_id = getattr(record, "messageId", None) or getattr(record, "message_id", None)
        receives = _receive_count(record)
        logger.warning(
            "intake record failed",
            extra={"messageId": message_id, "receiveCount": receives, "reason": _reason(exception[1])},
        )
        metrics.add_metric(name="IntakeRecordsFailed", unit="Count", value=1)
        return super().failure_handler(record, exception)


processor = IntakeProcessor(event_type=EventType.SQS, model=IntakeRecord, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: IntakeRecord) -> dict:
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
        },
    )
    metrics.add_metric(name="IntakeTicketsOpened" if outcome.opened else "IntakeMessagesAdded", unit="Count", value=1)
    return outcome.model_dump(mode="json")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    intake.idempotency_config().register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


def _receive_count(record: Any) -> int | None:
    attributes = getattr(record, "attributes", None)
    raw = getattr(attributes, "ApproximateReceiveCount", None) or getattr(attributes, "approximate_receive_count", None)
    return int(raw) if raw else None


def _reason(error: BaseException | None) -> str:
    """One line an operator can act on: for a message that is not an intake message, which fields and why."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in errors())
    return f"{type(error).__name__}: {error}"
