"""The privacy state machine's task: one step of a customer's erasure or export (kefu.customers.erasure, .exports).

Invoked with the machine's document (kefu.model.customer_records.PrivacyJob) and returning the next one, which the
machine carries as it is (payload only) until `done`. Every step is safe to run again: a retried or repeated task
finds what it did done. With `error` (the machine's catch, after the retries gave up) it records the failure: an
export job says `failed`; an erasure stays `erasing`, to be asked for again.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.customers import erasure, exports
from kefu.model.customer_records import PrivacyJob
from kefu.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # Validated by its model, as Powertools' event_parser validates it, but without importing Powertools' whole
    # parser package for one model: 8-14 M instructions less of the cold start (the boto3 floor is 1,140 M).
    job = PrivacyJob.model_validate(event)
    logger.append_keys(job=job.job, customerId=job.customerId, exportJob=job.jobId, phase=job.phase)
    document = job.model_dump(mode="json", exclude_none=True)
    if job.error is not None:
        logger.error("privacy job failed", extra={"error": (job.error or {}).get("Error")})
        metrics.add_metric(name="PrivacyJobsFailed", unit="Count", value=1)
        return exports.failed(document) if job.job == "export" else {**document, "done": True}
    following = erasure.step(document) if job.job == "erase" else exports.step(document)
    if following["done"]:
        metrics.add_metric(name="ErasuresDone" if job.job == "erase" else "ExportsDone", unit="Count", value=1)
    logger.info("privacy step", extra={"next": {k: following.get(k) for k in ("phase", "done")}})
    return following


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
