"""Automatic QA checks on every resolved ticket (kefu.qa.inspection), reading the domain table's changes from its
Kinesis data stream: the same fan-out the KPI function reads (kefu_infra.capabilities.qa says why).

The mapping's filter lets through only tickets written resolved or closed, so the function wakes for those alone. A
record only says which ticket changed: the findings are computed from the ticket as it is now, so a record delivered
twice, late, or out of order writes nothing more. A record that cannot be read is logged with its reason and
reported as a batch item failure; after the mapping's bisected retries Lambda describes it in the on-failure queue
(alarmed), and any later change of the ticket checks it again.
"""

from __future__ import annotations

import gc

gc.disable()  # for the init phase only, as in functions/api/handler.py: its end freezes what init made
# ruff: noqa: E402 (the imports below come after gc.disable on purpose)

import base64
import binascii
import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from kefu.observability import logger, metrics, tracer
from kefu.qa import inspection

processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)


class UnreadableRecord(ValueError):
    """A record that does not name a ticket's change: it goes to the on-failure queue with this reason."""


def changed_ticket(data: str) -> str:
    """The id of the ticket a Kinesis record (base64 JSON of the DynamoDB change) is about."""
    try:
        change = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError) as err:
        raise UnreadableRecord(f"the record is not base64 JSON: {err}") from None
    image = (change.get("dynamodb") or {}) if isinstance(change, dict) else {}
    item = image.get("NewImage") or {}
    if (item.get("kind") or {}).get("S") != "ticket" or not (item.get("id") or {}).get("S"):
        raise UnreadableRecord("the record is not a ticket's change (kind ticket with an id)")
    return item["id"]["S"]


@tracer.capture_method
def record_handler(record: KinesisStreamRecord) -> dict:
    try:
        ticket_id = changed_ticket(record.raw_event["kinesis"]["data"])
    except UnreadableRecord as err:
        logger.error("unreadable table change", extra={"reason": str(err), "sequence": record.kinesis.sequence_number})
        metrics.add_metric(name="QaRecordsUnreadable", unit="Count", value=1)
        raise
    findings = inspection.inspect(ticket_id)
    if findings is not None:
        metrics.add_metric(name="QaTicketsChecked", unit="Count", value=1)
        metrics.add_metric(name="QaFindings", unit="Count", value=len(findings))
    return {"ticketId": ticket_id, "findings": None if findings is None else len(findings)}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


# End of init: what it allocated lives as long as the container; out of the collector's sight, and the collector on.
gc.freeze()
gc.enable()
