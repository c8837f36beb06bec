"""Quality inspection (质检): the automatic checks on every resolved ticket (functions/qa_checks, kefu.qa.inspection).

Why the table's Kinesis data stream, the KPI function's fan-out, and not the EventBridge bus's status-changed events:
the bus carries `kefu.ticket.status-changed` only for tickets of a contact channel with a queue (phone, chat, …), so
web and e-mail tickets would go unchecked; the Kinesis stream has every ticket write, keeps records a week (a
release with a bad rule is replayed), and takes up to five readers (this is its second). A separate reader rather
than more work in the KPI function: a failing check must never hold the KPI aggregates back, nor the reverse.

Lambda's event filter passes only tickets written resolved or closed (a few of the ~6 writes of a ticket's life;
a survey answer writes the ticket too, so a low CSAT is seen). Cost per record passed: GetItem (ticket), Query
(timeline, 100 entries a page), GetItem (stored findings) and a PutItem when they changed: 3-4 calls, about 8 per
ticket (resolved, closed, a survey answer), 80,000 a day at 10,000 tickets a day.
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

from kefu_infra.capabilities.dead_letters import STREAM_MAX_RECORD_AGE, STREAM_RETRY_ATTEMPTS, dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge

CHECKS_TIMEOUT = Duration.seconds(60)
CHECKS_BATCH_SIZE = 50
#: Lambda's event filter on the Kinesis records' data: tickets written resolved or closed, nothing else.
RESOLVED_TICKETS = {
    "data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}, "status": {"S": ["resolved", "closed"]}}}}
}


class QaChecks(Construct):
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
            holds="the automatic QA checks",
            fed_by="it is the on-failure destination of the QA checks function's Kinesis mapping, where Lambda "
            "describes the records it gave up on",
        )
        self.checker = KefuFunction(
            self,
            "Function",
            name="qa_checks",
            defaults=defaults,
            memory_mb=512,
            timeout=CHECKS_TIMEOUT,
            description="Automatic QA checks on every resolved ticket, from the table's Kinesis data stream",
        )
        function = self.checker.function
        grant_domain_data(function)
        self.mapping = self._add_mapping(function, table_changes)
        monitoring.watch_function("qa-checks", function)
        monitoring.watch_dead_letter_queue("qa-checks", self.dead_letters)
        monitoring.watch_dead_letter_age("qa-checks", self.dead_letters)

    def _add_mapping(self, function: lambda_.Function, stream: kinesis.IStream) -> lambda_.EventSourceMapping:
        stream.grant_read(function)
        mapping = lambda_.EventSourceMapping(
            self,
            "TableChanges",
            target=function,
            event_source_arn=stream.stream_arn,
            # Replaying the retention is harmless (findings are recomputed), so a new mapping misses nothing.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=CHECKS_BATCH_SIZE,
            max_batching_window=Duration.seconds(5),
            bisect_batch_on_error=True,
            retry_attempts=STREAM_RETRY_ATTEMPTS,
            max_record_age=STREAM_MAX_RECORD_AGE,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.dead_letters),
            filters=[{"pattern": json.dumps(RESOLVED_TICKETS)}],
        )
        mapping.node.add_dependency(self.checker.role)
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by a Kinesis event source mapping, never asynchronously: records that still fail after their "
            "bisected retries are described in the mapping's on-failure queue, which is alarmed.",
        )
        return mapping
