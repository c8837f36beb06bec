"""Automatic QA checks on every resolved ticket (kefu.qa.inspection), reading the domain table's changes from its
Kinesis data stream: the same fan-out the KPI function reads (kefu_infra.capabilities.qa says why).

The mapping's filter lets through only tickets written resolved or closed, so the function wakes for those alone. The
batch loop is kefu.table_changes' (shared with functions/kpis). A record only says which ticket changed: the findings
are computed from the ticket as it is now, so a record delivered twice, late, or out of order writes nothing more. A
record that cannot be read is logged with its reason and reported as a batch item failure; after the mapping's
bisected retries Lambda describes it in the on-failure queue (alarmed), and any later change of the ticket checks it
again.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.batches import PartialItemFailureResponse
from kefu.observability import logger, metrics, tracer
from kefu.qa import inspection
from kefu.table_changes import TicketChangeReader


def check(ticket_id: str) -> dict:
    findings = inspection.inspect(ticket_id)
    if findings is not None:
        metrics.add_metric(name="QaTicketsChecked", unit="Count", value=1)
        metrics.add_metric(name="QaFindings", unit="Count", value=len(findings))
    return {"ticketId": ticket_id, "findings": None if findings is None else len(findings)}


reader = TicketChangeReader(check, unreadable_metric="QaRecordsUnreadable")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return reader.read(event)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
