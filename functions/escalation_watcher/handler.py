"""Watches the domain table's stream for tickets whose SLA clock changed, and schedules or cancels their clocks' wakes
(kefu.escalation.watch).

The event source mapping's filter lets only tickets' INSERT and MODIFY records through. A record whose schedule could
not be created or deleted (Scheduler throttled or unavailable) is reported as a batch item failure; Lambda retries
from it, bisecting the batch, a limited number of times, then describes it in the on-failure queue (alarmed).
Records retried after it are harmless again: wakes are named by ticket, clock generation and time.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.batches import DYNAMODB_STREAMS, Batch, PartialItemFailureResponse
from kefu.escalation import wakes, watch
from kefu.observability import logger, metrics, tracer

batch = Batch(DYNAMODB_STREAMS, failure_log="ticket change not followed")


@tracer.capture_method
def record_handler(record: dict[str, Any]) -> dict:
    new, orders = watch.follow_change(record["dynamodb"])
    if orders.start:
        metrics.add_metric(name="EscalationWakesScheduled", unit="Count", value=1)
    if orders.stop:
        metrics.add_metric(name="EscalationWakesCancelled", unit="Count", value=1)
    return {
        "ticketId": new.id,
        "stop": wakes.schedule_name(orders.stop) if orders.stop else None,
        "start": wakes.schedule_name(orders.start) if orders.start else None,
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return batch.process(event, record_handler)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
