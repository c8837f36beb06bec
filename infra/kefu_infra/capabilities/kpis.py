"""Service KPIs: the function that keeps the per-day aggregates in step with the tickets (functions/kpis).

Why Kinesis Data Streams for DynamoDB: the domain table's own stream already has two readers (the escalation watcher
and the outbound events), the most AWS recommends per stream; a third would be throttled with them. The table's
changes also go to a Kinesis data stream (the stateful stack's `TableChanges`), which serves up to five readers of
its own, keeps records a week (a replay after a bad release), and costs nothing on the table's write path. Its
records may come twice or out of order, which suits this reader: a record only names the ticket that changed, and the
ticket's facts are recomputed from the table (kefu.kpis.service). EventBridge Pipes from the table's stream would be a
third reader itself unless the existing two moved behind it; recomputing from an index would add an index write to
every ticket write and a schedule's delay.

Cost at 10,000 tickets a day (each written about 6 times): per ticket write one Kinesis record (on-demand PUT
payload units), and in the function GetItem (facts), GetItem (ticket), Query (timeline), Query (the customer's
tickets), and one TransactWriteItems when a figure moved: 5 calls per write, ~30 per ticket
(tests/integration/test_kpis_cost.py measures it), ~300,000 a day; the transaction writes the facts and 20-40
aggregate items. A report reads at most 2 calls per day of its period.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from kefu_infra.capabilities.dead_letters import (
    STREAM_MAX_RECORD_AGE,
    STREAM_RETRY_ATTEMPTS,
    dead_letter_queue,
)
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge

TIMEOUT = Duration.seconds(60)
BATCH_SIZE = 100
#: Lambda's event filter on the Kinesis records' data: tickets written, nothing else (facts and aggregates are
#: written to the same table and must not wake the function again).
TICKET_CHANGES = {"data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}}


class Kpis(Construct):
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
        self.dead_letters = dead_letter_queue(
            self,
            "DeadLetters",
            holds="the KPI aggregation",
            fed_by="it is the on-failure destination of the KPI function's Kinesis mapping, where Lambda describes "
            "the records it gave up on",
        )
        self.aggregator = KefuFunction(
            self,
            "AggregatorFunction",
            name="kpis",
            defaults=defaults,
            memory_mb=512,
            timeout=TIMEOUT,
            description="Keeps the KPI aggregates in step with the tickets, from the table's Kinesis data stream",
        )
        function = self.aggregator.function
        grant_domain_data(function)
        self.mapping = self._add_mapping(function, table_changes)
        monitoring.watch_function("kpis", function)
        monitoring.watch_dead_letter_queue("kpis", self.dead_letters)
        monitoring.watch_dead_letter_age("kpis", self.dead_letters)

    def _add_mapping(self, function: lambda_.Function, stream: kinesis.IStream) -> lambda_.EventSourceMapping:
        stream.grant_read(function)
        mapping = lambda_.EventSourceMapping(
            self,
            "TableChanges",
            target=function,
            event_source_arn=stream.stream_arn,
            # Replaying the whole retention is harmless (facts are recomputed), so a new mapping misses nothing.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            max_batching_window=Duration.seconds(1),
            bisect_batch_on_error=True,
            retry_attempts=STREAM_RETRY_ATTEMPTS,
            max_record_age=STREAM_MAX_RECORD_AGE,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.dead_letters),
            filters=[{"pattern": json.dumps(TICKET_CHANGES)}],
        )
        mapping.node.add_dependency(self.aggregator.role)
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by a Kinesis event source mapping, never asynchronously: records that still fail after their "
            "bisected retries are described in the mapping's on-failure queue, which is alarmed.",
        )
        return mapping
