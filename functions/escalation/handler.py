"""The escalation task, woken by a ticket clock's one-time schedule: run the milestones due, schedule the next wake.

Invoked asynchronously by EventBridge Scheduler with the wake's plan (kefu.escalation.plan.Plan, `{"ticketId",
"generation", …}`); it runs what is due (or closes a resolved ticket) and creates the schedule of the next wake, if
any (kefu.escalation.wakes). Retrying it is safe: each milestone is escalated once, by the write that records it on
the ticket, and the next wake's schedule is created once (kefu.escalation.service). A failure is retried by Lambda
twice, then kept with its error in the wakes' dead-letter queue (the function's on-failure destination).
"""

from __future__ import annotations

import gc

# Off through the init and the first invocation (kefu.first_invocation): the first wake builds three botocore clients
# (DynamoDB, SNS, Scheduler) and the SLA's and the ticket's pydantic models, which the collector walked again and again.
gc.disable()
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.escalation.plan import Plan
from kefu.escalation.service import wake
from kefu.first_invocation import collector_on_after_first_invocation
from kefu.observability import logger, metrics, tracer


@collector_on_after_first_invocation
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # Validated by its model, as Powertools' event_parser validates it, but without importing Powertools' whole
    # parser package for one model: 8-14 M instructions less of the cold start (the boto3 floor is 1,140 M).
    plan = Plan.model_validate(event)
    logger.append_keys(ticketId=plan.ticketId, generation=plan.generation, milestone=plan.milestone)
    # The next wake invokes this same function (its schedule's target), named by the context.
    following = wake(plan, context.invoked_function_arn)
    logger.info("escalation step", extra={"next": following.document()})
    return following.document()
