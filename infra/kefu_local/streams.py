"""DynamoDB stream pollers with Lambda's semantics, one thread per stream event source mapping of the templates.

A poller reads its table's stream from moto (DescribeStream, GetShardIterator from LATEST when it starts,
GetRecords four times a second, as Lambda polls), keeps the records its `FilterCriteria` let through (Lambda's
event filtering: a record matching none of the patterns is dropped, not delivered), gathers up to `BatchSize` of
them (waiting at most `MaximumBatchingWindowInSeconds` once a first one is in) and invokes the function through
the in-process registry (`kefu_local.lambdas`) with the event Lambda sends (`lambda_record` is where moto's
GetRecords shapes become Lambda's).

A Kinesis mapping whose stream is a table's Kinesis destination (Kinesis Data Streams for DynamoDB) is run the same
way from that table's own stream, its records shaped as Lambda delivers Kinesis records (`kinesis_record`: the
change as base64 JSON in `kinesis.data`, filters applied to the decoded `data`, as Lambda does for Kinesis).

Failures, as Lambda handles a stream: a batch whose invocation fails is retried, in order, before anything after
it (the shard is blocked); with `ReportBatchItemFailures` a response's `batchItemFailures` (sequence numbers)
retries from the lowest one; with `BisectBatchOnFunctionError` a failed batch is split in two and each half
retried; after `MaximumRetryAttempts` retries (or `MaximumRecordAgeInSeconds`; both unlimited by default) the
records are skipped and their batch's description goes to the `DestinationConfig.OnFailure` SQS queue, as
Lambda writes it. Retries back off from 0.5 to 5 seconds.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from kefu_local import lambdas, patterns
from kefu_local.resources import MAPPING, TABLE_TYPES
from kefu_local.runtime import LOCAL_REGION
from kefu_local.targets import send_to_queue
from kefu_local.templates import Templates, Unresolvable

log = logging.getLogger(__name__)

POLLS_PER_SECOND = 4
#: A stream that had nothing new is asked again less and less often, up to this: a local stack idles at a few
#: polls a second over all its streams instead of 4 a stream (each an HTTP round trip to moto, ~0.1 of a core idle).
#: The first change after a quiet spell waits at most this long; then polling is back to POLLS_PER_SECOND.
_IDLE_POLL_S = 1.0
_MAX_BACKOFF_S = 5.0


@dataclass
class StreamMapping:
    """A DynamoDB stream event source mapping: which function reads which stream, how."""

    function: str  # the function's local name
    stream_arn: str
    batch_size: int = 100
    window_seconds: float = 0
    filters: list[dict[str, Any]] = field(default_factory=list)
    report_item_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_seconds: int = -1
    on_failure_arn: str | None = None
    enabled: bool = True
    #: "dynamodb" (a table's stream), or "kinesis" (a table's Kinesis destination, read from the table's stream).
    shape: str = "dynamodb"

    def lets_through(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(patterns.matches(pattern, record) for pattern in self.filters)


def stream_mappings(templates: Templates, function_names: dict[str, str]) -> list[StreamMapping]:
    """The templates' event source mappings whose source is a DynamoDB stream; `function_names` maps a function's
    logical id to its local name."""
    mappings = []
    for resource in templates.resources(MAPPING):
        props = resource.properties
        shape = "dynamodb"
        kinesis_table = _table_of_kinesis_source(templates, resource.stack, props.get("EventSourceArn"))
        try:
            if kinesis_table is not None:
                source, shape = str(templates.resolve(kinesis_table[0], kinesis_table[1])), "kinesis"
            else:
                source = str(templates.resolve(resource.stack, props.get("EventSourceArn", "")))
        except Unresolvable as err:
            log.warning("event source mapping %s: %s has no local value", resource.logical_id, err)
            continue
        if ":dynamodb:" not in source or "/stream/" not in source:
            continue
        function_ref = props.get("FunctionName", {})
        function_id = function_ref.get("Ref") if isinstance(function_ref, dict) else None
        if function_id not in function_names:
            log.warning("event source mapping %s: function %s is not run locally", resource.logical_id, function_ref)
            continue
        resolved = templates.resolve(resource.stack, {k: v for k, v in props.items() if k != "EventSourceArn"})
        on_failure = resolved.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        mappings.append(
            StreamMapping(
                function=function_names[function_id],
                stream_arn=source,
                batch_size=int(resolved.get("BatchSize", 100)),
                window_seconds=float(resolved.get("MaximumBatchingWindowInSeconds", 0)),
                filters=[patterns.parse(f["Pattern"]) for f in resolved.get("FilterCriteria", {}).get("Filters", [])],
                report_item_failures="ReportBatchItemFailures" in resolved.get("FunctionResponseTypes", []),
                bisect_on_error=bool(resolved.get("BisectBatchOnFunctionError", False)),
                maximum_retry_attempts=int(resolved.get("MaximumRetryAttempts", -1)),
                maximum_record_age_seconds=int(resolved.get("MaximumRecordAgeInSeconds", -1)),
                on_failure_arn=on_failure,
                enabled=bool(resolved.get("Enabled", True)),
                shape=shape,
            )
        )
    return mappings


def _table_of_kinesis_source(templates: Templates, stack: str, source: Any) -> tuple[str, dict[str, Any]] | None:
    """(stack, GetAtt of its StreamArn) of the table whose Kinesis destination `source` names; None otherwise."""
    reference = source
    if isinstance(source, dict) and "Fn::ImportValue" in source:
        try:
            stack, reference = templates.export(str(templates.resolve(stack, source["Fn::ImportValue"])))
        except Unresolvable:
            return None
    if not (isinstance(reference, dict) and "Fn::GetAtt" in reference):
        return None
    stream_id = reference["Fn::GetAtt"][0]
    for table in templates.resources(*TABLE_TYPES):
        spec = table.properties.get("KinesisStreamSpecification") or {}
        target = spec.get("StreamArn")
        if table.stack == stack and isinstance(target, dict) and target.get("Fn::GetAtt", [None])[0] == stream_id:
            return table.stack, {"Fn::GetAtt": [table.logical_id, "StreamArn"]}
    return None


# -- the event -----------------------------------------------------------------------------------------------------


def lambda_record(record: dict[str, Any], stream_arn: str, region: str = LOCAL_REGION) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) as Lambda puts it in a stream event: epoch-second creation time,
    base64 binary values, the stream's ARN and region, eventVersion 1.1."""
    change = record["dynamodb"]
    dynamodb: dict[str, Any] = {}
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is not None:
        dynamodb["ApproximateCreationDateTime"] = int(float(created))
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            dynamodb[key] = {name: _attribute(value) for name, value in change[key].items()}
    dynamodb["SequenceNumber"] = change["SequenceNumber"]
    dynamodb["SizeBytes"] = change.get("SizeBytes", 0)
    dynamodb["StreamViewType"] = change["StreamViewType"]
    shaped = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value in the stream event's JSON: binary as base64 text, inside maps and lists too."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": _base64(inner)}
    if kind == "BS":
        return {"BS": [_base64(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _attribute(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_attribute(item) for item in inner]}
    return {kind: inner}


def _base64(data: Any) -> str:
    return data if isinstance(data, str) else base64.b64encode(bytes(data)).decode()


def _iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the poller ----------------------------------------------------------------------------------------------------


def kinesis_record(change: dict[str, Any], stream_arn: str, region: str = LOCAL_REGION) -> dict[str, Any]:
    """A table change as Kinesis Data Streams for DynamoDB carries it, in a Lambda Kinesis event record."""
    created = change.get("dynamodb", {}).get("ApproximateCreationDateTime") or time.time()
    sequence = change.get("dynamodb", {}).get("SequenceNumber", "0")
    data = {
        **change,
        "tableName": stream_arn.split(":table/", 1)[-1].split("/", 1)[0],
        "recordFormat": "application/json",
    }
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": str(uuid.uuid4()),
            "sequenceNumber": sequence,
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "approximateArrivalTimestamp": float(created),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """Reads one stream from LATEST (taken when `start()` is called) and invokes the mapping's function."""

    def __init__(self, mapping: StreamMapping, endpoint: str | None, *, region: str = LOCAL_REGION):
        self.mapping = mapping
        self.endpoint = endpoint
        self.region = region
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{mapping.function}", daemon=True)
        self._streams: Any = None
        self._iterators: dict[str, str] = {}
        self._pending: list[dict[str, Any]] = []
        self.batches = 0

    def _client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region)

    def start(self) -> None:
        # botocore sends stream calls to the account's endpoint (`<account>.streams-ddb…`), which moto 5.2.5 does
        # not answer: the regional endpoint is asked instead, as botocore's `account_id_endpoint_mode` allows.
        self._streams = boto3.client(
            "dynamodbstreams",
            endpoint_url=self.endpoint,
            region_name=self.region,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        for shard in self._streams.describe_stream(StreamArn=self.mapping.stream_arn)["StreamDescription"]["Shards"]:
            if "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}):
                continue  # a closed shard holds nothing new
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.mapping.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            self._iterators[shard["ShardId"]] = iterator
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        pause = 1 / POLLS_PER_SECOND
        while not self._stopping.is_set():
            delivered = False
            try:
                for shard_id in list(self._iterators):
                    batch = self._gather(shard_id)
                    if batch:
                        self._deliver(shard_id, batch, retries=0)
                        delivered = True
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("stream poller for %s failed; retrying", self.mapping.function)
            pause = 1 / POLLS_PER_SECOND if delivered else min(_IDLE_POLL_S, pause * 2)
            self._stopping.wait(pause)

    def _read(self, shard_id: str) -> None:
        response = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=1000)
        self._iterators[shard_id] = response.get("NextShardIterator") or self._iterators[shard_id]
        for record in response.get("Records", []):
            shaped = lambda_record(record, self.mapping.stream_arn, self.region)
            if self.mapping.shape == "kinesis":
                change = {key: value for key, value in shaped.items() if key not in ("eventSourceARN", "eventVersion")}
                if self.mapping.lets_through({"data": change}):
                    self._pending.append(kinesis_record(change, self.mapping.stream_arn, self.region))
            elif self.mapping.lets_through(shaped):
                self._pending.append(shaped)

    def _gather(self, shard_id: str) -> list[dict[str, Any]]:
        mapping = self.mapping
        self._read(shard_id)
        if self._pending and mapping.window_seconds > 0:
            deadline = time.monotonic() + mapping.window_seconds
            while len(self._pending) < mapping.batch_size and time.monotonic() < deadline:
                if self._stopping.wait(min(1 / POLLS_PER_SECOND, max(0.0, deadline - time.monotonic()))):
                    break
                self._read(shard_id)
        batch, self._pending = self._pending[: mapping.batch_size], self._pending[mapping.batch_size :]
        return batch

    def _deliver(self, shard_id: str, records: list[dict[str, Any]], retries: int) -> None:
        """Invoke with `records` until they succeed or are given up; what fails blocks what follows, as in AWS."""
        while records and not self._stopping.is_set():
            if lambdas.registry.get(self.mapping.function) is None:
                log.warning("%s is not dispatched in this process; its stream waits", self.mapping.function)
                self._stopping.wait(1)
                continue
            failed_from, invocation = self._invoke(records)
            if failed_from is None:
                return
            failed = records[failed_from:]
            retries += 1
            condition = self._given_up(failed, retries)
            if condition:
                self._send_to_on_failure(shard_id, failed, condition, retries, invocation)
                return
            if self.mapping.bisect_on_error and failed_from == 0 and len(failed) > 1:
                half = len(failed) // 2
                self._deliver(shard_id, failed[:half], retries)
                self._deliver(shard_id, failed[half:], retries)
                return
            records = failed
            self._stopping.wait(min(_MAX_BACKOFF_S, 0.5 * 2 ** (retries - 1)))

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[int | None, lambdas.Invocation | None]:
        """Where the batch failed from (None: it succeeded), and the failed invocation if the function failed."""
        self.batches += 1
        dispatched = lambdas.registry.get(self.mapping.function)
        try:
            invocation = dispatched.invoke({"Records": records})  # type: ignore[union-attr]
        except lambdas.LambdaServiceException:
            return 0, None
        if invocation.function_error:
            return 0, invocation
        if not self.mapping.report_item_failures:
            return None, None
        return _failed_from(invocation.result, records), None

    def _given_up(self, failed: list[dict[str, Any]], retries: int) -> str | None:
        mapping = self.mapping
        if 0 <= mapping.maximum_retry_attempts < retries:
            return "RetryAttemptsExhausted"
        oldest = _arrival(failed[0])
        too_old = oldest is not None and time.time() - oldest > mapping.maximum_record_age_seconds
        if mapping.maximum_record_age_seconds >= 0 and too_old:
            return "RecordAgeExceeded"
        return None

    def _send_to_on_failure(
        self,
        shard_id: str,
        records: list[dict[str, Any]],
        condition: str,
        invocations: int,
        invocation: lambdas.Invocation | None,
    ) -> None:
        destination = self.mapping.on_failure_arn
        log.warning(
            "%s: %d stream record(s) skipped (%s)%s",
            self.mapping.function,
            len(records),
            condition,
            f", described in {destination}" if destination else "",
        )
        if not destination:
            return
        created = [_arrival(r) for r in records]
        sequences = [_sequence(r) for r in records]
        arn = lambdas.function_arn(self.mapping.function, self.region)
        error = invocation.function_error if invocation is not None else None
        document = {
            **lambdas.destination_record(arn, condition, invocations, error),
            ("KinesisBatchInfo" if self.mapping.shape == "kinesis" else "DDBStreamBatchInfo"): {
                "shardId": shard_id,
                "startSequenceNumber": sequences[0],
                "endSequenceNumber": sequences[-1],
                "approximateArrivalOfFirstRecord": _iso(created[0]),
                "approximateArrivalOfLastRecord": _iso(created[-1]),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }
        if ":sqs:" not in destination:
            log.warning("on-failure destination %s is not an SQS queue; not delivered locally", destination)
            return
        send_to_queue(self._client("sqs"), destination, json.dumps(document), group=self.mapping.function)


def _arrival(record: dict[str, Any]) -> Any:
    if "kinesis" in record:
        return int(record["kinesis"]["approximateArrivalTimestamp"])
    return record["dynamodb"].get("ApproximateCreationDateTime")


def _sequence(record: dict[str, Any]) -> str:
    return record["kinesis"]["sequenceNumber"] if "kinesis" in record else record["dynamodb"]["SequenceNumber"]


def _failed_from(response: Any, records: list[dict[str, Any]]) -> int | None:
    """Where a ReportBatchItemFailures response makes the batch fail from: its lowest failed sequence number's
    record; the whole batch if the response names a record it does not hold or is malformed; None if none failed."""
    if response is None or (isinstance(response, dict) and not response.get("batchItemFailures")):
        return None
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not isinstance(failures, list):
        return 0
    positions = {_sequence(record): index for index, record in enumerate(records)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in positions:
            return 0
        indexes.append(positions[identifier])
    return min(indexes)
