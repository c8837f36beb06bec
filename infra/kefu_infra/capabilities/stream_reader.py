"""A function that reads the domain table's changes from its Kinesis data stream (the stateful stack's
`TableChanges`), as the KPI aggregation and the automatic QA checks do: its on-failure queue, the function with the
domain data granted, the event source mapping (filtered, partial batch failures, bisected retries, what still fails
described in the queue), and their alarms. The functions' batch loop is kefu.table_changes.

Kinesis rather than the table's own stream: kefu_infra.capabilities.kpis says why. The stream takes up to five
readers; each is a capability of its own, so a failing reader never holds another one back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from kefu_infra.capabilities.dead_letters import STREAM_MAX_RECORD_AGE, STREAM_RETRY_ATTEMPTS, dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge


@dataclass(frozen=True)
class StreamReading:
    """What differs between the table's stream readers."""

    #: The function's folder under functions/, and its construct id here.
    name: str
    function_id: str
    description: str
    memory_mb: int
    timeout: Duration
    batch_size: int
    max_batching_window: Duration
    #: Lambda's event filter on the records' data: what wakes the function.
    pattern: dict[str, Any]
    #: What the on-failure queue holds, as dead_letter_queue words it, and whose mapping feeds it.
    holds: str
    function_label: str
    #: The name its alarms and dashboard widgets go by.
    watched_as: str


class TableChangesReader(Construct):
    """A reader's resources, under the capability's own construct (a subclass naming its `reading`), so their
    logical ids are the capability's."""

    reading: ClassVar[StreamReading]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_changes: kinesis.IStream,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        reading = self.reading
        fed_by = (
            f"it is the on-failure destination of {reading.function_label}'s Kinesis mapping, where Lambda describes "
            "the records it gave up on"
        )
        self.dead_letters = dead_letter_queue(self, "DeadLetters", holds=reading.holds, fed_by=fed_by)
        self.reader = KefuFunction(
            self,
            reading.function_id,
            name=reading.name,
            defaults=defaults,
            memory_mb=reading.memory_mb,
            timeout=reading.timeout,
            description=reading.description,
        )
        function = self.reader.function
        grant_domain_data(function)
        self.mapping = self._add_mapping(function, table_changes, reading)
        monitoring.watch_function(reading.watched_as, function)
        monitoring.watch_dead_letter_queue(reading.watched_as, self.dead_letters)
        monitoring.watch_dead_letter_age(reading.watched_as, self.dead_letters)

    def _add_mapping(
        self, function: lambda_.Function, stream: kinesis.IStream, reading: StreamReading
    ) -> lambda_.EventSourceMapping:
        stream.grant_read(function)
        mapping = lambda_.EventSourceMapping(
            self,
            "TableChanges",
            target=function,
            event_source_arn=stream.stream_arn,
            # Replaying the whole retention is harmless (what a reader keeps is recomputed from the ticket), so a
            # new mapping misses nothing.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=reading.batch_size,
            max_batching_window=reading.max_batching_window,
            bisect_batch_on_error=True,
            retry_attempts=STREAM_RETRY_ATTEMPTS,
            max_record_age=STREAM_MAX_RECORD_AGE,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.dead_letters),
            filters=[{"pattern": json.dumps(reading.pattern)}],
        )
        # The mapping reads the stream with the function's role: its policy must exist before the mapping.
        mapping.node.add_dependency(self.reader.role)
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by a Kinesis event source mapping, never asynchronously: records that still fail after their "
            "bisected retries are described in the mapping's on-failure queue, which is alarmed.",
        )
        return mapping
