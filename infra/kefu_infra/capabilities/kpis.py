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

from aws_cdk import Duration

from kefu_infra.capabilities.stream_reader import StreamReading, TableChangesReader

TIMEOUT = Duration.seconds(60)
BATCH_SIZE = 100
#: Lambda's event filter on the Kinesis records' data: tickets written, nothing else (facts and aggregates are
#: written to the same table and must not wake the function again).
TICKET_CHANGES = {"data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}}

READING = StreamReading(
    name="kpis",
    function_id="AggregatorFunction",
    description="Keeps the KPI aggregates in step with the tickets, from the table's Kinesis data stream",
    memory_mb=512,
    timeout=TIMEOUT,
    batch_size=BATCH_SIZE,
    max_batching_window=Duration.seconds(1),
    pattern=TICKET_CHANGES,
    holds="the KPI aggregation",
    function_label="the KPI function",
    watched_as="kpis",
)


class Kpis(TableChangesReader):
    """The KPI aggregation: functions/kpis reading the table's changes."""

    reading = READING
