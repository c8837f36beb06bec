"""kefu's outbound e-mail: the domain table's stream, filtered by the event source mapping to the timeline entries
that may become mail (agents' public replies; the opening message of a ticket, for its acknowledgement), each sent
to the customer at most once (kefu.email.outbound).

A record whose sending failed (SES refused or throttled, DynamoDB unavailable) is reported as a batch item failure;
Lambda retries from it, bisecting the batch, a limited number of times, then hands it to the on-failure queue.
Records retried after one that failed were already sent: idempotency on the entry keeps them from going twice.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.email import outbound
from kefu.observability import logger, metrics, tracer


class MailProcessor(BatchProcessor):
    def failure_handler(self, record: Any, exception):
        error = exception[1]
        logger.warning("outbound mail record failed", extra={"reason": f"{type(error).__name__}: {error}"})
        metrics.add_metric(name="MailSendsFailed", unit="Count", value=1)
        return super().failure_handler(record, exception)


processor = MailProcessor(
    event_type=EventType.DynamoDBStreams, model=DynamoDBStreamRecordModel, raise_on_entire_batch_failure=False
)


@tracer.capture_method
def record_handler(record: DynamoDBStreamRecordModel) -> dict:
    entry = outbound.written_entry(record.dynamodb.NewImage or {})  # type: ignore[arg-type]
    if entry is None:
        logger.info("not a timeline entry: nothing to send", extra={"eventID": record.eventID})
        return {"sent": False, "reason": "not-a-timeline-entry"}
    delivery = outbound.deliver_once(entry)
    logger.info("outbound mail", extra=delivery.model_dump(mode="json"))
    if delivery.sent:
        metrics.add_metric(name="MailSent", unit="Count", value=1)
    elif delivery.reason == "send-uncertain":
        metrics.add_metric(name="MailSendUncertain", unit="Count", value=1)
    return delivery.model_dump(mode="json")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    outbound.idempotency_config().register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
