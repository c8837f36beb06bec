"""The revisit campaign state machine's tasks (infra/kefu_infra/capabilities/revisits.py), told apart by `action`:

    select  {"campaignId", "scheduledAt"}                       → the run's Selection (kefu.revisits.runs)
    send    {"campaignId", "runId", "scheduledAt", "batch"}     → the batch's counts
    report  {"campaignId", "runId"}                             → the run's report
    fail    {"campaignId", "scheduledAt", "failure"}            → the failed run's report

Every task is safe to run twice. Selecting is idempotent per scheduled run (Powertools idempotency): a repeated
Select, or the same scheduled run started again within a day, gets the same targets and batches back; sending
resumes what exists and counts a batch once; reporting and failing set the same values again.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.idempotency import idempotent
from kefu.observability import logger, metrics, tracer
from kefu.revisits import campaigns
from kefu.revisits.runs import FailTask, ReportTask, RevisitTask, SelectTask, SendTask, timestamp


@cache
def _select_once():
    def select(request: dict) -> dict:
        scheduled_at = datetime.fromisoformat(request["scheduledAt"])
        return campaigns.select(request["campaignId"], scheduled_at).model_dump(mode="json")

    return idempotent(select, data="request", key="[campaignId, scheduledAt]", payload="[campaignId, scheduledAt]")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Validated by its model, as Powertools' parse validates it, but without importing Powertools' whole
    # parser package for one model: 8-14 M instructions less of the cold start (the boto3 floor is 1,140 M).
    task = RevisitTask.model_validate(event).root
    logger.append_keys(action=task.action, campaignId=task.campaignId)
    if isinstance(task, SelectTask):
        config, select = _select_once()
        config.register_lambda_context(context)
        return select(request={"campaignId": task.campaignId, "scheduledAt": timestamp(task.scheduledAt)})
    if isinstance(task, SendTask):
        logger.append_keys(runId=task.runId, batch=task.batch.batch)
        result = campaigns.send(task.campaignId, task.runId, task.scheduledAt, task.batch)
        logger.info("campaign batch sent", extra=result.model_dump(mode="json"))
        return result.model_dump(mode="json")
    if isinstance(task, ReportTask):
        logger.append_keys(runId=task.runId)
        return campaigns.report(task.campaignId, task.runId).model_dump(mode="json")
    assert isinstance(task, FailTask)
    return campaigns.fail(task.campaignId, task.scheduledAt, task.failure.Error, task.failure.Cause).model_dump(
        mode="json"
    )


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
