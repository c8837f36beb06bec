"""Dollars from counts: what a scenario used (measured by tests/cost/meter.py) priced with the one price table
(tests/cost/prices.py), per 10,000 tickets. Pure arithmetic: nothing here measures or calls anything.

How each count is priced:

- a function invocation: one Lambda request, and its configured memory (GB) × its duration rounded up to the
  millisecond, at the arm64 GB-second price (the duration: its own CPU time, measured, and `AWS_CALL_SECONDS` for
  each AWS call it made); an invocation of the API function is also one HTTP API request;
- DynamoDB: the write and read request units counted from the items (tests/integration/capacity.py), and for each
  item changed on the domain table its change data capture units (Kinesis Data Streams for DynamoDB) with the KB it
  puts on the on-demand stream and the KB each of the stream's readers takes off it;
- Step Functions: the Standard state transitions of the executions' histories;
- SES: each mail sent (per recipient) and each mail received with its 256 KB chunks;
- every other AWS call by what its service bills per request (`CALL_PRICES`): SQS, S3 PUT/GET classes, SNS
  publishes, EventBridge events (per entry), Secrets Manager. A call no rule prices is listed as unpriced, never
  silently free; `FREE` names what costs nothing per call and why.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from tests.cost.prices import Price

PER_TICKETS = 10_000

#: (service, operation) → the price key of one billed unit of the call (units per call: `billed_units`).
CALL_PRICES: dict[tuple[str, str], str] = {
    **{
        ("sqs", op): "sqs.requests"
        for op in (
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "GetQueueAttributes",
            "GetQueueUrl",
        )
    },
    **{
        ("s3", op): "s3.put"
        for op in ("PutObject", "CopyObject", "ListObjects", "ListObjectsV2", "CreateMultipartUpload", "UploadPart")
    },
    **{("s3", op): "s3.get" for op in ("GetObject", "HeadObject", "GetObjectTagging")},
    ("sns", "Publish"): "sns.publish",
    ("sns", "PublishBatch"): "sns.publish",
    ("events", "PutEvents"): "eventbridge.events",
    ("sesv2", "SendEmail"): "ses.outbound",
    ("ses", "SendEmail"): "ses.outbound",
    ("ses", "SendRawEmail"): "ses.outbound",
    ("secretsmanager", "GetSecretValue"): "secretsmanager.calls",
    # An occurrence of a schedule (not an API call: the run counts each schedule it fires under this name), and a
    # one-time schedule created (a deferred notice), which fires once (the local scheduler is stopped in the run).
    ("scheduler", "Fire"): "eventbridge.scheduler",
    ("scheduler", "CreateSchedule"): "eventbridge.scheduler",
}

#: Calls that cost nothing as calls, with why.
FREE: dict[str, str] = {
    "dynamodb": "priced by the request units counted from the items",
    "lambda": "an Invoke is priced as the invocation it starts",
    "stepfunctions": "StartExecution, StopExecution…: Standard workflows bill state transitions only",
    "dynamodbstreams": "reads of a table's stream by Lambda triggers are free",
    "kinesis": "the stream's data in and out is priced with the item changes",
    "scheduler": "Scheduler's API calls are free; what it invokes is priced",
}

#: Price keys grouped into the table's rows.
ROWS: dict[str, tuple[str, ...]] = {
    "Lambda": ("lambda.requests", "lambda.gb_seconds"),
    "API Gateway": ("apigw.http_requests",),
    "Step Functions": ("sfn.standard_transitions",),
    "DynamoDB writes": ("dynamodb.write_units",),
    "DynamoDB reads": ("dynamodb.read_units",),
    "Kinesis (table changes)": ("dynamodb.cdc_units", "kinesis.gb_in", "kinesis.gb_out"),
    "SES": ("ses.outbound", "ses.inbound", "ses.inbound_chunks"),
    "SQS": ("sqs.requests",),
    "S3": ("s3.put", "s3.get"),
    "SNS": ("sns.publish",),
    "EventBridge": ("eventbridge.events", "eventbridge.scheduler"),
    "Secrets Manager": ("secretsmanager.calls",),
}

INBOUND_CHUNK_BYTES = 256 * 1024


#: What one AWS call adds to a function's duration in AWS: the round trip within the region (DynamoDB's typical
#: single-digit milliseconds). Locally the calls go to moto in the same process, whose time is no measure of it, so
#: an invocation's duration is its own CPU time, measured, plus this for each call it made.
AWS_CALL_SECONDS = 0.008


@dataclass(frozen=True)
class Invocation:
    function: str
    memory_mb: int
    #: The handler's own CPU time in this invocation (its thread's), measured.
    cpu_seconds: float
    #: The AWS calls it made.
    calls: int = 0
    #: Wall time locally (moto in-process, a shared machine): shown, not billed.
    wall_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        """The duration it would have in AWS: its CPU time and a round trip per call."""
        return self.cpu_seconds + self.calls * AWS_CALL_SECONDS

    @property
    def gb_seconds(self) -> float:
        """Billed: the configured memory in GB × the duration rounded up to the millisecond."""
        return self.memory_mb / 1024 * math.ceil(self.seconds * 1000) / 1000


@dataclass
class Usage:
    """What `tickets` tickets of one scenario used, all together."""

    tickets: int
    invocations: list[Invocation] = field(default_factory=list)
    #: Invocations of the API function: each one is an HTTP API request.
    api_requests: int = 0
    #: (service, operation) → billed units (requests, or entries for the calls billed per entry).
    calls: Counter = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    #: Items changed on the domain table: their change data capture units and the KB they put on the stream.
    cdc_units: int = 0
    change_kb: int = 0
    #: Functions reading the table's Kinesis stream (each takes every change off it).
    stream_readers: int = 0
    transitions: int = 0
    mails_received: int = 0
    mail_bytes_received: int = 0

    def __post_init__(self) -> None:
        if self.tickets < 1:
            raise ValueError("a scenario prices at least one ticket")


@dataclass
class Bill:
    """Dollars per 10,000 tickets by price key, and the calls no rule priced."""

    dollars: dict[str, float]
    unpriced: Counter

    @property
    def total(self) -> float:
        return sum(self.dollars.values())

    def row(self, name: str) -> float:
        return sum(self.dollars.get(key, 0.0) for key in ROWS[name])


def quantities(usage: Usage) -> tuple[Counter, Counter]:
    """Billed quantities by price key, and the calls no rule prices, for all of the scenario's tickets."""
    billed: Counter = Counter()
    unpriced: Counter = Counter()
    billed["lambda.requests"] += len(usage.invocations)
    billed["lambda.gb_seconds"] += sum(invocation.gb_seconds for invocation in usage.invocations)
    billed["apigw.http_requests"] += usage.api_requests
    billed["sfn.standard_transitions"] += usage.transitions
    billed["dynamodb.write_units"] += usage.write_units
    billed["dynamodb.read_units"] += usage.read_units
    billed["dynamodb.cdc_units"] += usage.cdc_units
    billed["kinesis.gb_in"] += usage.change_kb
    billed["kinesis.gb_out"] += usage.change_kb * usage.stream_readers
    billed["ses.inbound"] += usage.mails_received
    billed["ses.inbound_chunks"] += math.ceil(usage.mail_bytes_received / INBOUND_CHUNK_BYTES)
    for (service, operation), units in usage.calls.items():
        key = CALL_PRICES.get((service, operation))
        if key is not None:
            billed[key] += units
        elif service not in FREE:
            unpriced[(service, operation)] += units
    return billed, unpriced


def price(usage: Usage, prices: dict[str, Price]) -> Bill:
    """The scenario's dollars per 10,000 tickets, by price key."""
    billed, unpriced = quantities(usage)
    scale = PER_TICKETS / usage.tickets
    dollars = {key: amount * prices[key].each * scale for key, amount in billed.items() if amount}
    return Bill(dollars, unpriced)


def difference(more: Bill, base: Bill) -> Bill:
    """What `more` costs over `base`, key by key (a scenario's extra over another)."""
    keys = set(more.dollars) | set(base.dollars)
    return Bill({key: more.dollars.get(key, 0.0) - base.dollars.get(key, 0.0) for key in keys}, Counter())


def table(bills: dict[str, Bill]) -> str:
    """A text table: one column per scenario, one row per service, then the total, in $ per 10,000 tickets."""
    names = list(bills)
    width = max(12, *(len(name) + 2 for name in names))
    lines = [f"{'$ per 10,000 tickets':<26}" + "".join(f"{name:>{width}}" for name in names)]
    for row in ROWS:
        values = [bills[name].row(row) for name in names]
        if any(abs(value) >= 0.00005 for value in values):
            lines.append(f"{row:<26}" + "".join(f"{value:>{width}.4f}" for value in values))
    lines.append(f"{'total':<26}" + "".join(f"{bills[name].total:>{width}.4f}" for name in names))
    return "\n".join(lines)


#: The column headings of `shares_table`, short: a row per function makes it wide enough.
_SHORT = {
    "API Gateway": "API GW",
    "DynamoDB writes": "DDB writes",
    "DynamoDB reads": "DDB reads",
    "Kinesis (table changes)": "Kinesis",
}


def shares_table(bills: dict[str, Bill], *, strip: str = "") -> str:
    """A text table of one scenario's shares (tests/cost/meter.py `Phase.shares`): one row per function, costliest
    first, one column per service used and the total, in $ per 10,000 tickets; the last row adds them up."""
    columns = [row for row in ROWS if any(abs(bill.row(row)) >= 0.00005 for bill in bills.values())]
    headings = [_SHORT.get(column, column) for column in columns] + ["total"]
    names = sorted(bills, key=lambda name: bills[name].total, reverse=True)
    width = max(10, *(len(heading) + 2 for heading in headings))
    label = max(26, *(len(name.removeprefix(strip)) + 2 for name in names))
    lines = [f"{'':<{label}}" + "".join(f"{heading:>{width}}" for heading in headings)]
    for name in names:
        values = [bills[name].row(column) for column in columns] + [bills[name].total]
        lines.append(f"{name.removeprefix(strip):<{label}}" + "".join(f"{value:>{width}.4f}" for value in values))
    sums = [sum(bill.row(column) for bill in bills.values()) for column in columns]
    lines.append(f"{'all':<{label}}" + "".join(f"{v:>{width}.4f}" for v in (*sums, sum(sums))))
    return "\n".join(lines)
