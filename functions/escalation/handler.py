"""The SLA escalation state machine's task: run the ticket's milestones that are due, say when to wake next.

Invoked by the state machine with its state document (kefu.escalation.plan.Plan, `{"ticketId", "generation", …}`)
and returning the next one, which the state machine carries as it is (payload only). Retrying it is safe: each
milestone is escalated once, by the write that records it on the ticket (kefu.escalation.service).
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.escalation.plan import CLOSE, Plan
from kefu.escalation.service import run_due_milestones, wake
from kefu.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=Plan)
def lambda_handler(event: Plan, context: LambdaContext) -> dict:
    logger.append_keys(ticketId=event.ticketId, generation=event.generation, milestone=event.milestone)
    if event.milestone == CLOSE:
        # A resolved ticket's close is a one-time schedule (kefu.escalation.wakes), invoked asynchronously.
        following = wake(event, context.invoked_function_arn)
    else:
        following = run_due_milestones(event.ticketId, event.generation)
    logger.info("escalation step", extra={"next": following.document()})
    return following.document()


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
