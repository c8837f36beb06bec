"""The one price table `make cost` prices kefu with: AWS list prices in us-east-1 (N. Virginia), on-demand, without
free tiers or volume discounts, as each service's public pricing page gives them (address beside each price).

Written 2026-12-03 from the pages as last published (DynamoDB's on-demand prices are those after the November 2024
reduction). A changed price is changed here, with its date: nothing else in `make cost` holds a price.

Only what a ticket's life costs by use is priced; what a month costs whatever the traffic (Kinesis stream hours,
CloudWatch custom metrics and alarms, KMS keys, Cognito users, storage) is not.
"""

from __future__ import annotations

from dataclasses import dataclass

DATE = "2026-12-03"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    #: US dollars for `per` units.
    dollars: float
    per: int
    #: What one unit is.
    unit: str
    source: str

    @property
    def each(self) -> float:
        return self.dollars / self.per


LAMBDA = "https://aws.amazon.com/lambda/pricing/"
SFN = "https://aws.amazon.com/step-functions/pricing/"
DDB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
SES = "https://aws.amazon.com/ses/pricing/"
SQS = "https://aws.amazon.com/sqs/pricing/"
S3 = "https://aws.amazon.com/s3/pricing/"
SNS = "https://aws.amazon.com/sns/pricing/"
EVENTBRIDGE = "https://aws.amazon.com/eventbridge/pricing/"
APIGW = "https://aws.amazon.com/api-gateway/pricing/"
KINESIS = "https://aws.amazon.com/kinesis/data-streams/pricing/"
SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"

PRICES: dict[str, Price] = {
    # kefu's functions run on arm64 (Graviton): its GB-second price, the first tier (up to 7.5 billion GB-s a month).
    "lambda.requests": Price(0.20, 1_000_000, "invocation", LAMBDA),
    "lambda.gb_seconds": Price(0.0000133334, 1, "GB-second (arm64, billed to the millisecond)", LAMBDA),
    "apigw.http_requests": Price(1.00, 1_000_000, "HTTP API request (first 300 million a month)", APIGW),
    "sfn.standard_transitions": Price(0.025, 1_000, "Standard workflow state transition", SFN),
    # Express, for the alternatives the report names: per request and per GB-second of duration (64 MB steps).
    "sfn.express_requests": Price(1.00, 1_000_000, "Express workflow request", SFN),
    "sfn.express_gb_seconds": Price(0.00001667, 1, "Express workflow GB-second (first 1,000 hours a month)", SFN),
    "dynamodb.write_units": Price(0.625, 1_000_000, "on-demand write request unit", DDB),
    "dynamodb.read_units": Price(0.125, 1_000_000, "on-demand read request unit", DDB),
    # Kinesis Data Streams for DynamoDB: one change data capture unit per started KB of each item changed, then the
    # on-demand stream's data in (rounded to 1 KB a record) and out (per consumer reading it).
    "dynamodb.cdc_units": Price(0.10, 1_000_000, "change data capture unit (Kinesis Data Streams for DynamoDB)", DDB),
    "kinesis.gb_in": Price(0.08, 1024 * 1024, "KB written to an on-demand stream", KINESIS),
    "kinesis.gb_out": Price(0.04, 1024 * 1024, "KB read from an on-demand stream", KINESIS),
    "ses.outbound": Price(0.10, 1_000, "e-mail sent (per recipient)", SES),
    "ses.inbound": Price(0.10, 1_000, "e-mail received", SES),
    "ses.inbound_chunks": Price(0.09, 1_000, "256 KB incoming mail chunk", SES),
    "sqs.requests": Price(0.40, 1_000_000, "standard queue request (64 KB chunk)", SQS),
    "s3.put": Price(0.005, 1_000, "S3 Standard PUT, COPY, POST or LIST request", S3),
    "s3.get": Price(0.0004, 1_000, "S3 Standard GET, SELECT or other request", S3),
    "sns.publish": Price(0.50, 1_000_000, "SNS publish (64 KB chunk; delivery to SQS free)", SNS),
    "eventbridge.events": Price(1.00, 1_000_000, "custom event put on a bus (64 KB chunk)", EVENTBRIDGE),
    "eventbridge.scheduler": Price(1.00, 1_000_000, "EventBridge Scheduler invocation", EVENTBRIDGE),
    "secretsmanager.calls": Price(0.05, 10_000, "Secrets Manager API call", SECRETS),
}
