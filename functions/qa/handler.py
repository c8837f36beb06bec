"""The QA sampling state machine's task (infra/kefu_infra/capabilities/qa.py): sample a month (kefu.qa.monthly).

    {"scheduledAt": "2026-12-01T19:00:00Z"}   from the schedule: the desk month before the scheduled moment
    {"month": "2026-11"}                      by hand: that month

Answers the run's report. A month is sampled once: a second run (the schedule's retry, a start by hand) answers the
recorded report and writes nothing; a run cut short and started again draws the same sample and makes only the
reviews still missing.
"""

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from typing import Annotated, Any, Self

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, model_validator

from kefu.observability import logger, metrics, tracer
from kefu.qa import monthly
from kefu.qa.months import month_before


class SampleTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] | None = None
    scheduledAt: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.month is None) == (self.scheduledAt is None):
            raise ValueError("give exactly one of month or scheduledAt")
        return self

    @property
    def sampled_month(self) -> str:
        return self.month or month_before(self.scheduledAt)  # type: ignore[arg-type]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Validated by its model, as Powertools' parse validates it, but without importing Powertools' whole
    # parser package for one model: 8-14 M instructions less of the cold start (the boto3 floor is 1,140 M).
    task = SampleTask.model_validate(event)
    month = task.sampled_month
    logger.append_keys(month=month)
    report = monthly.run(month)
    if not report["repeated"]:
        metrics.add_metric(name="QaReviewsSampled", unit="Count", value=report["reviewsMade"])
        metrics.add_metric(name="QaAgentsWithoutTickets", unit="Count", value=report["agentsWithoutTickets"])
    logger.info("qa sampling run", extra=report)
    return report


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
