"""Keeps the KPI aggregates in step with the tickets (kefu.kpis.service.refresh), reading the domain table's changes
from its Kinesis data stream (Kinesis Data Streams for DynamoDB; kefu_infra.capabilities.kpis says why).

The batch loop is kefu.table_changes' (shared with functions/qa_checks). The batch's tickets are refreshed together
first (kefu.kpis.service.refresh_together: their facts share transactions, each aggregate moved once by their sum);
a ticket that could not be is refreshed alone, record by record. A record only says which ticket changed: the
facts are computed from the ticket as it is now, so a record delivered twice, late, or out of order moves nothing
more. A record that cannot be read (not JSON, not a ticket's change), or a ticket whose refresh fails (throttled, a
transaction cancelled), is reported as a batch item failure: after the mapping's bisected retries Lambda describes it
(shard, sequence numbers) in the on-failure queue (alarmed); the stream keeps the record a week, and reading it again,
or any later change of the ticket, brings the aggregates back exactly.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.batches import PartialItemFailureResponse
from kefu.kpis import service
from kefu.observability import logger, metrics, tracer
from kefu.table_changes import WRITTEN_OR_REMOVED, TicketChangeReader


def refresh(ticket_id: str) -> dict:
    changed = service.refresh(ticket_id)
    metrics.add_metric(name="KpiFactsChanged", unit="Count", value=changed)
    return {"ticketId": ticket_id, "changed": changed}


def refresh_together(ticket_ids: list[str]) -> set[str]:
    done, changed = service.refresh_together(ticket_ids)
    metrics.add_metric(name="KpiFactsChanged", unit="Count", value=changed)
    return done


reader = TicketChangeReader(
    refresh, unreadable_metric="KpiRecordsUnreadable", images=WRITTEN_OR_REMOVED, together=refresh_together
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return reader.read(event)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
