"""The escalation task, woken by a ticket clock's one-time schedule: run the milestones due, schedule the next wake.

Invoked asynchronously by EventBridge Scheduler with the wake's plan (kefu.escalation.plan.Plan, `{"ticketId",
"generation", …}`); it runs what is due (or closes a resolved ticket) and creates the schedule of the next wake, if
any (kefu.escalation.wakes). Retrying it is safe: each milestone is escalated once, by the write that records it on
the ticket, and the next wake's schedule is created once (kefu.escalation.service). A failure is retried by Lambda
twice, then kept with its error in the wakes' dead-letter queue (the function's on-failure destination).
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.escalation.plan import Plan
from kefu.escalation.service import wake
from kefu.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=Plan)
def lambda_handler(event: Plan, context: LambdaContext) -> dict:
    logger.append_keys(ticketId=event.ticketId, generation=event.generation, milestone=event.milestone)
    # The next wake invokes this same function (its schedule's target), named by the context.
    following = wake(event, context.invoked_function_arn)
    logger.info("escalation step", extra={"next": following.document()})
    return following.document()


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
