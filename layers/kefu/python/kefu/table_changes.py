"""The domain table's changes, as its Kinesis data stream (Kinesis Data Streams for DynamoDB) hands them to the
functions that read it (functions/kpis, functions/qa_checks; kefu_infra.capabilities.stream_reader builds their
mappings). A function's code ships alone, so the batch loop the readers share lives here, beside the Logger and
Metrics they share; the domain packages never see a record.

A record only says which ticket changed: a reader recomputes what it keeps from the ticket as it is now, so a record
delivered twice, late, or out of order writes nothing more. A record that cannot be read (not base64 JSON, not a
ticket's change) is logged with its reason, counted, and reported as a batch item failure, as is a ticket whose work
fails: after the mapping's bisected retries Lambda describes it in the on-failure queue (alarmed).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from kefu.batches import KINESIS, Batch, PartialItemFailureResponse
from kefu.observability import logger, metrics, tracer

#: The images of a change that name its ticket: the new one (written), then the old one (a removal) if asked.
WRITTEN = ("NewImage",)
WRITTEN_OR_REMOVED = ("NewImage", "OldImage")


class UnreadableRecord(ValueError):
    """A record that does not name a ticket's change: it goes to the on-failure queue with this reason."""


def changed_ticket(data: str, images: Sequence[str] = WRITTEN) -> str:
    """The id of the ticket a Kinesis record's data (base64 JSON of the DynamoDB change) is about, read from the
    first of `images` the change has."""
    try:
        change = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError) as err:
        raise UnreadableRecord(f"the record is not base64 JSON: {err}") from None
    record = (change.get("dynamodb") or {}) if isinstance(change, dict) else {}
    item: dict[str, Any] = next((record[image] for image in images if record.get(image)), {})
    if (item.get("kind") or {}).get("S") != "ticket" or not (item.get("id") or {}).get("S"):
        raise UnreadableRecord("the record is not a ticket's change (kind ticket with an id)")
    return item["id"]["S"]


class _Changes(Batch):
    """A reader's batches: an unreadable record is logged as such and counted (`unreadable_metric`), once; any other
    failure as every batch logs it."""

    def __init__(self, unreadable_metric: str) -> None:
        super().__init__(KINESIS, failure_log="table change failed")
        self.unreadable_metric = unreadable_metric

    def failed(self, record: Mapping[str, Any], error: Exception) -> bool:
        if not isinstance(error, UnreadableRecord):
            return super().failed(record, error)
        sequence = KINESIS.identifier(record)
        logger.error("unreadable table change", extra={"reason": str(error), "sequence": sequence})
        metrics.add_metric(name=self.unreadable_metric, unit="Count", value=1)
        return False


class TicketChangeReader:
    """One function's reading of a batch: `work(ticket_id)` for each record's ticket, partial failures reported.

    `unreadable_metric` counts the records that name no ticket; `images` are where a record's ticket is read from.
    With `together`, the batch's tickets (each once) are first handed to `together(ticket_ids)`, which does the work
    of many at once and answers those it did; the records of the others go to `work` one by one, and so do all of
    them if `together` raises, so that a failure is still a record's own."""

    def __init__(
        self,
        work: Callable[[str], dict[str, Any]],
        *,
        unreadable_metric: str,
        images: Sequence[str] = WRITTEN,
        together: Callable[[list[str]], Collection[str]] | None = None,
    ) -> None:
        self.work = work
        self.unreadable_metric = unreadable_metric
        self.images = tuple(images)
        self.together = together
        self.batch = _Changes(unreadable_metric)
        self._done: Collection[str] = ()

    @tracer.capture_method
    def record_handler(self, record: Mapping[str, Any]) -> dict[str, Any]:
        ticket_id = changed_ticket(record["kinesis"]["data"], self.images)
        if ticket_id in self._done:
            return {"ticketId": ticket_id, "together": True}
        return self.work(ticket_id)

    def read(self, event: dict[str, Any]) -> PartialItemFailureResponse:
        self._done = _work_together(self.together, event, self.images) if self.together else ()
        try:
            return self.batch.process(event, self.record_handler)
        finally:
            self._done = ()


def _work_together(
    together: Callable[[list[str]], Collection[str]], event: dict[str, Any], images: Sequence[str]
) -> Collection[str]:
    """The tickets `together` did of the batch's readable records (each ticket once); none when it raised."""
    tickets: list[str] = []
    for record in event.get("Records") or ():
        try:
            tickets.append(changed_ticket(record["kinesis"]["data"], images))
        except (UnreadableRecord, KeyError, TypeError):
            continue  # said and reported by its record's handling
    if not tickets:
        return ()
    try:
        return set(together(list(dict.fromkeys(tickets))))
    except Exception:
        logger.exception("the batch's tickets could not be worked together: one by one")
        return ()
