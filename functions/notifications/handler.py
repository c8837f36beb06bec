"""kefu's customer notifications: SQS batches from the notifications queue, which takes every agent's reply and
status change from kefu's bus (the queue's rule), the wake-ups of notices deferred by quiet hours or the rate limit
(one-time Scheduler schedules), and SES's bounces and complaints from the default bus; each decided and sent, or
noted on its ticket, by kefu.notifications.

A record that fails on the way (throttled, a concurrent delivery of the same ticket's notice) is reported as a batch
item failure and comes back; after the queue's maxReceiveCount it is parked in the dead-letter queue (alarmed).
A provider's refusal is not a failure here: it is final for that notice and noted on the ticket's timeline.
"""

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, Json

from kefu.batches import SQS, Batch, PartialItemFailureResponse
from kefu.notifications import bounces
from kefu.notifications import service as notifications
from kefu.observability import logger, metrics, tracer


class Wake(BaseModel):
    ticketId: str = Field(min_length=1, max_length=64)


class QueuedMessage(BaseModel):
    """An EventBridge event as its rule's SQS target delivers it, or a wake-up from a schedule."""

    model_config = ConfigDict(populate_by_name=True)

    detail_type: str | None = Field(None, alias="detail-type")
    detail: dict[str, Any] | None = None
    wake: Wake | None = None


class NotificationRecord(BaseModel):
    """An SQS record, as far as this function reads it (functions/intake/handler.py says why not Powertools'
    `SqsRecordModel`: importing it defines every event model of Powertools' parser on every cold start)."""

    messageId: str
    body: Json[QueuedMessage]


class NotificationBatch(Batch):
    def failed(self, record: Any, error: Exception) -> bool:
        metrics.add_metric(name="NotificationsFailed", unit="Count", value=1)
        return super().failed(record, error)


batch = NotificationBatch(SQS, failure_log="notification record failed")

_METRICS = {"send": "NotificationsSent", "defer": "NotificationsDeferred", "opted-out": "NotificationsOptedOut"}


@tracer.capture_method
def record_handler(delivered: dict) -> dict:
    message = NotificationRecord.model_validate(delivered).body
    if message.wake is not None:
        outcome = notifications.wake(message.wake.ticketId)
    elif message.detail_type in bounces.DETAIL_TYPES and message.detail is not None:
        ticket_id, done = bounces.record(message.detail_type, message.detail)
        logger.info("mail feedback", extra={"ticketId": ticket_id, "detailType": message.detail_type, "done": done})
        if done == "recorded":
            metrics.add_metric(name="NotificationsBounced", unit="Count", value=1)
        return {"ticketId": ticket_id, "action": "feedback", "reason": done}
    elif message.detail_type and message.detail is not None:
        outcome = notifications.handle(message.detail_type, message.detail)
    else:
        raise ValueError("neither an outbound event nor a wake-up")
    logger.info("notification", extra=outcome.model_dump(mode="json"))
    if outcome.action in _METRICS and (outcome.sent or outcome.action != "send"):
        metrics.add_metric(name=_METRICS[outcome.action], unit="Count", value=1)
    if outcome.action == "send" and not outcome.sent:
        metrics.add_metric(name="NotificationsUndeliverable", unit="Count", value=1)
    return outcome.model_dump(mode="json")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return batch.process(event, record_handler)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
