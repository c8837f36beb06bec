"""Where every async path parks what it could not do: an encrypted SQS queue kept 14 days under alarms, and the
reading of the domain table's stream that several capabilities share.

    queue = dead_letter_queue(self, "DeadLetters", holds="the intake queue's contacts", fed_by=None)
    consume_table_stream(self, "TicketStream", function=fn, table=table, batch_size=50, on_failure=queue, …)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu_infra.checks import acknowledge

RETENTION = Duration.days(14)
#: The age at which a dead letter alarms: days before the retention would drop it unseen.
AGE_ALARM = Duration.days(10)
#: A stream batch still failing after this many bisected retries, or older than this, goes to the on-failure queue.
STREAM_RETRY_ATTEMPTS = 5
STREAM_MAX_RECORD_AGE = Duration.hours(6)


def dead_letter_queue(scope: Construct, construct_id: str, *, holds: str, fed_by: str | None = None) -> sqs.Queue:
    """A dead-letter queue for `holds` (e.g. "the intake queue's contacts"). `fed_by` says what puts messages in it
    when no queue redrives to it (a stream mapping's on-failure destination, a schedule's dead-letter config)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        retention_period=RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    if fed_by:
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            f"This queue is a dead-letter queue, though no queue redrives to it: {fed_by}.",
        )
    acknowledge(
        queue,
        "Serverless-SQSRedrivePolicy",
        f"This is the dead-letter queue of {holds} itself: it keeps what failed for 14 days under alarms; a "
        "dead-letter queue of its own would only move it out of sight.",
    )
    return queue


def consume_table_stream(
    scope: Construct,
    construct_id: str,
    *,
    function: lambda_.IFunction,
    role: iam.IRole,
    table: dynamodb.ITable,
    batch_size: int,
    on_failure: sqs.IQueue,
    filters: Sequence[dict[str, Any]],
    starting_position: lambda_.StartingPosition = lambda_.StartingPosition.LATEST,
    max_batching_window: Duration | None = None,
) -> lambda_.EventSourceMapping:
    """`function` reads the table's stream, only the records `filters` (Lambda event-filter patterns) let through:
    partial batch failures, bisected retries, and what still fails described in `on_failure`."""
    stream_arn = table.table_stream_arn
    assert stream_arn is not None, "the domain table has a stream"
    # The stream of this table only (CDK's grantStreamRead would add dynamodb:ListStreams on '*').
    iam.Grant.add_to_principal(
        grantee=function,
        actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
        resource_arns=[stream_arn],
    )
    mapping = lambda_.EventSourceMapping(
        scope,
        construct_id,
        target=function,
        event_source_arn=stream_arn,
        starting_position=starting_position,
        batch_size=batch_size,
        max_batching_window=max_batching_window,
        bisect_batch_on_error=True,
        retry_attempts=STREAM_RETRY_ATTEMPTS,
        max_record_age=STREAM_MAX_RECORD_AGE,
        report_batch_item_failures=True,
        on_failure=sources.SqsDlq(on_failure),
        filters=[{"pattern": json.dumps(pattern)} for pattern in filters],
    )
    # The mapping reads the stream with the function's role: its policy must exist before the mapping.
    mapping.node.add_dependency(role)
    acknowledge(
        function,
        "Serverless-LambdaDLQ",
        "Invoked by a DynamoDB stream event source mapping, never asynchronously: records that still fail after "
        "their bisected retries are described in the mapping's on-failure queue, which is alarmed.",
    )
    return mapping
