"""Lambda's partial batch responses, for the functions that read a queue (SQS) or a stream (Kinesis, DynamoDB
Streams): every record of a batch handled, each failing one reported alone by its identifier, so the source hands
out again only what failed.

kefu's own loop rather than Powertools' batch utility: importing `aws_lambda_powertools.utilities.batch` imports its
async and FIFO processors, the data class of every event source (its `data_classes` package) and, when pydantic is
loaded first, every event model of its parser, on each cold start of the function that reads the batch
(tests/bench/test_function_cold_start.py has the figures). The functions used only this part of it, which is this
module. Like kefu.table_changes and kefu.observability it serves the functions, not the domain: no domain package
imports it, and it knows a record only as far as its identifier.

The semantics are the utility's with `raise_on_entire_batch_failure=False`: a batch whose records all failed returns
their failures (it does not raise). A failed record whose identifier cannot be read cannot be reported alone: the
batch raises, once every record has been handled, and Lambda hands all of it out again (what succeeded is redone, as
a retried batch always could be; nothing is lost).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from kefu.observability import logger


class PartialItemFailure(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    """What a function returns for its batch (the mapping has ReportBatchItemFailures on)."""

    batchItemFailures: list[PartialItemFailure]


class Source:
    """Where a source's records carry the identifier Lambda takes back in `batchItemFailures`."""

    __slots__ = ("name", "path")

    def __init__(self, name: str, *path: str) -> None:
        self.name = name  # the identifier's name in the logs
        self.path = path

    def identifier(self, record: Any) -> str | None:
        value = record
        for key in self.path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value if isinstance(value, str) and value else None


SQS = Source("messageId", "messageId")
KINESIS = Source("sequenceNumber", "kinesis", "sequenceNumber")
DYNAMODB_STREAMS = Source("sequenceNumber", "dynamodb", "SequenceNumber")


class UnidentifiedFailures(RuntimeError):
    """Records failed whose identifiers cannot be read: the whole batch fails, to be handed out again."""


class Batch:
    """One function's reading of its batches: `handle(record)` for each record (as Lambda delivered it).

    A record whose `handle` raised goes to `failed`, which logs it with its identifier and reason (`failure_log` is
    the log line's message) and says whether it is settled: a settled record is not reported (a function that has
    parked it in a dead-letter queue itself, say). Functions override `failed` to count, or to settle."""

    def __init__(self, source: Source, *, failure_log: str) -> None:
        self.source = source
        self.failure_log = failure_log

    def failed(self, record: Mapping[str, Any], error: Exception) -> bool:
        logger.warning(
            self.failure_log,
            extra={self.source.name: self.source.identifier(record), "reason": reason(error)},
        )
        return False

    def process(self, event: Mapping[str, Any], handle: Callable[[Any], object]) -> PartialItemFailureResponse:
        records = event.get("Records")
        if not isinstance(records, list):
            raise ValueError("not a batch event: no Records list")
        failures: list[PartialItemFailure] = []
        unidentified = 0
        for record in records:
            try:
                handle(record)
            except Exception as error:
                if self.failed(record, error):
                    continue
                identifier = self.source.identifier(record)
                if identifier is None:
                    unidentified += 1
                else:
                    failures.append({"itemIdentifier": identifier})
        if unidentified:
            raise UnidentifiedFailures(
                f"{unidentified} failed record(s) of {len(records)} carry no {self.source.name}: "
                "the batch is failed whole so that none is lost"
            )
        return {"batchItemFailures": failures}


def reason(error: BaseException) -> str:
    """A failure's reason as one log field."""
    return f"{type(error).__name__}: {error}"
