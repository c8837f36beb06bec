"""The e-mail channel against moto: mail stored as SES stores it (with the headers SES prepends) in the raw-mail
bucket, delivered to `functions/email_inbound` as the EventBridge event on its SQS queue, and the domain table's
stream read from moto and handed to `functions/email_outbound` through the mapping's own filters, as Lambda would.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest

from tests.conftest import EVENTS, LambdaContext, load_function

DOMAIN = "kefu.test"
SUPPORT = f"support@{DOMAIN}"
COMPLAINTS = f"complaints@{DOMAIN}"
RAW_BUCKET = "kefu-test-raw-mail"
ATTACHMENTS_BUCKET = "kefu-test-attachments"
REGION = "us-east-1"
EVENT_BUS = "kefu-test"
ACCOUNT = "123456789012"

MAIL_CONFIG: dict[str, Any] = {
    "domain": DOMAIN,
    "recipients": [SUPPORT, COMPLAINTS],
    "complaints": COMPLAINTS,
    "from_name": "Kefu Support",
    "acknowledge": True,
    "acknowledgement": {
        "zh": "您好，已收到您的来信，工单号 {ticket_id}。",
        "en": "Hello, we received your message: ticket {ticket_id} ({subject}).",
    },
    "burst_per_hour": 5,
    "max_attachment_bytes": 2000,
    "max_total_attachment_bytes": 3000,
}


def ses_id() -> str:
    """An SES message id as SES names stored mail: 40 lower-case letters and digits."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(40))


def mail(
    *,
    sender: str = "Li Lei <li.lei@example.cn>",
    to: str = SUPPORT,
    subject: str = "Order 1042 never arrived",
    body: str = "Hello, my parcel for order 1042 has not arrived after nine days.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A customer's mail as their client writes it (Message-IDs given without angle brackets)."""
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain="example.cn")
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    refs = list(references)
    if refs:
        message["References"] = " ".join(f"<{ref}>" for ref in refs)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def message_id_of(message: EmailMessage) -> str:
    return str(message["Message-ID"]).strip().strip("<>")


def as_stored_by_ses(
    message: EmailMessage | bytes,
    *,
    spam: str = "PASS",
    virus: str = "PASS",
    spf: str = "pass",
    dkim: str = "pass",
    dmarc: str = "pass",
    envelope_from: str = "li.lei@example.cn",
    recipient: str = SUPPORT,
) -> bytes:
    """The bytes SES writes to S3: its trace and verdict headers prepended to the message as received."""
    raw = message if isinstance(message, bytes) else message.as_bytes()
    domain = envelope_from.rsplit("@", 1)[-1]
    prepended = (
        f"Return-Path: <{envelope_from}>\r\n"
        f"Received: from mail.{domain} (mail.{domain} [203.0.113.25])\r\n"
        f" by inbound-smtp.{REGION}.amazonaws.com with SMTP id {ses_id()}\r\n"
        f" for {recipient};\r\n"
        f" {format_datetime(datetime.now(UTC))}\r\n"
        f"X-SES-Spam-Verdict: {spam}\r\n"
        f"X-SES-Virus-Verdict: {virus}\r\n"
        f"Received-SPF: {spf} (spfCheck: domain of {domain} designates 203.0.113.25 as permitted sender)"
        f" client-ip=203.0.113.25; envelope-from={envelope_from}; helo=mail.{domain};\r\n"
        f"Authentication-Results: amazonses.com;\r\n"
        f" spf={spf} (spfCheck: domain of {domain} designates 203.0.113.25 as permitted sender)"
        f" client-ip=203.0.113.25; envelope-from={envelope_from}; helo=mail.{domain};\r\n"
        f" dkim={dkim} header.i=@{domain};\r\n"
        f" dmarc={dmarc} header.from={domain};\r\n"
        f"X-SES-RECEIPT: AEFBQUFBQUFBQUFHbXlFSmhXa2VsSHpUTG5oNGx6OGpPQ1lSTXc9PQ==\r\n"
    ).encode()
    return prepended + raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@dataclass
class Result:
    failures: list[str]
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class Mailroom:
    """Delivers stored mail to the inbound function and the table's stream to the outbound function."""

    def __init__(self, tmp_path, monkeypatch) -> None:
        import boto3

        self._tmp_path, self._monkeypatch = tmp_path, monkeypatch
        self.acknowledge = MAIL_CONFIG["acknowledge"]
        self.s3 = boto3.client("s3", region_name=REGION)
        self.inbound = load_function("email_inbound")
        self.outbound = load_function("email_outbound")
        self.envelope = json.loads((EVENTS / "sqs_intake_batch.json").read_text())["Records"][0]
        self.object_created = json.loads((EVENTS / "eventbridge_s3_object_created.json").read_text())
        self._stream = StreamReader()

    def configure(self, **mail_changes: Any) -> None:
        """Deploy another mail configuration (the outbound mapping's filters follow `acknowledge`)."""
        deploy(self._tmp_path, self._monkeypatch, **mail_changes)
        self.acknowledge = {**MAIL_CONFIG, **mail_changes}["acknowledge"]

    # --- inbound ---------------------------------------------------------------------------------------------

    def store(self, raw: bytes, ses_message_id: str | None = None) -> str:
        """Put a mail where SES puts it; returns its key."""
        key = f"inbound/{ses_message_id or ses_id()}"
        self.s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=raw)
        return key

    def record(self, key: str) -> dict[str, Any]:
        """The SQS record carrying S3's EventBridge event for a stored object."""
        event = copy.deepcopy(self.object_created)
        event["id"] = str(uuid.uuid4())
        event["region"] = REGION
        event["resources"] = [f"arn:aws:s3:::{RAW_BUCKET}"]
        event["detail"]["bucket"]["name"] = RAW_BUCKET
        event["detail"]["object"]["key"] = key
        record = copy.deepcopy(self.envelope)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(event)
        record["eventSourceARN"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:kefu-test-email-inbound"
        return record

    def run(self, records: list[dict[str, Any]]) -> Result:
        context = LambdaContext(function_name="kefu-email-inbound")
        result = self.inbound.lambda_handler({"Records": records}, context)
        return Result([failure["itemIdentifier"] for failure in result["batchItemFailures"]])

    def deliver(self, message: EmailMessage | bytes, **ses: Any) -> str:
        """Store a mail as SES does and deliver its event; returns its SES message id. Fails on a failed record."""
        key = self.store(as_stored_by_ses(message, **ses) if isinstance(message, EmailMessage) else message)
        result = self.run([self.record(key)])
        assert result.failures == [], "the record failed"
        return key.rsplit("/", 1)[-1]

    # --- outbound --------------------------------------------------------------------------------------------

    def stream_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last call, as Lambda shapes them, that the mapping lets through."""
        from kefu.store.mail import outbound_stream_filters
        from kefu_local.patterns import matches

        filters = outbound_stream_filters(acknowledgements=self.acknowledge)
        return [record for record in self._stream.read() if any(matches(f, record) for f in filters)]

    def send(self, records: list[dict[str, Any]]) -> list[str]:
        """Invoke the outbound function with a batch; returns the failed sequence numbers."""
        result = self.outbound.lambda_handler({"Records": records}, LambdaContext(function_name="kefu-email-outbound"))
        return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]

    def flush(self) -> list[dict[str, Any]]:
        """Hand every new stream record the mapping lets through to the outbound function, in batches of ten;
        returns the records handed over."""
        records = self.stream_records()
        for start in range(0, len(records), 10):
            assert self.send(records[start : start + 10]) == []
        return records

    def skip_stream(self) -> None:
        self._stream.read()


class StreamReader:
    """Reads the domain table's stream in moto from where it last stopped (TRIM_HORIZON at first)."""

    def __init__(self) -> None:
        import boto3
        from botocore.config import Config

        from kefu.config import settings

        table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=settings().table_name)
        self.arn = table["Table"]["LatestStreamArn"]
        # moto answers stream calls at the regional endpoint, not the account's.
        self.client = boto3.client(
            "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
        )
        self.iterators: dict[str, str] = {}

    def read(self) -> list[dict[str, Any]]:
        records = []
        for shard in self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self.iterators.get(shard_id)
                or self.client.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            response = self.client.get_records(ShardIterator=iterator)
            self.iterators[shard_id] = response.get("NextShardIterator") or iterator
            records += [self._as_lambda_record(record) for record in response["Records"]]
        return records

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        # As Lambda shapes it (the local stack's poller does the same): binary values as base64 text, as the search
        # index's item holds (kefu.store.kb_index), epoch-second creation time.
        from kefu_local.streams import lambda_record

        return lambda_record(record, self.arn, REGION)


# --- reading what happened ---------------------------------------------------------------------------------


def sent_messages() -> list[EmailMessage]:
    """Every mail SES (moto) accepted, parsed."""
    from moto.ses.models import ses_backends

    return [
        message_from_bytes(m.raw_data.encode(), policy=policy.default)  # type: ignore[misc]
        for m in ses_backends[ACCOUNT][REGION].sent_messages
    ]


def tickets_of(address: str) -> list:
    from kefu.store import customers, tickets

    customer = customers.by_contact("email", address)
    if customer is None:
        return []
    return tickets.by_customer(customer.id, status=None, limit=50, cursor=None).items


def timeline(ticket_id: str) -> list:
    from kefu.store import tickets

    return tickets.timeline(ticket_id, public_only=False, limit=100, cursor=None).items


def messages(ticket_id: str) -> list:
    """The customer's messages on a ticket, in order."""
    return [entry for entry in timeline(ticket_id) if entry.kind == "message"]


def record_of(ses_message_id: str):
    from kefu.store import mail

    return mail.record_of(ses_message_id)


def all_tickets() -> list:
    from kefu.model.tickets import Status
    from kefu.store import tickets

    return [t for status in Status for t in tickets.by_status(status, limit=100, cursor=None).items]


# --- fixtures ----------------------------------------------------------------------------------------------


def deploy(tmp_path, monkeypatch, **mail_changes: Any) -> None:
    """Write a deployment document with this mail configuration and make the functions read it."""
    from kefu import deployment

    document = {
        "stage": "test",
        "mail": {**MAIL_CONFIG, **mail_changes},
        "groups": {
            "l1": {"name": "First line", "kind": "general"},
            "l2": {"name": "Product experts", "kind": "expert"},
            "complaints": {"name": "Complaints desk", "kind": "complaints"},
        },
        "default_group": "l1",
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()


@pytest.fixture(name="mailroom")
def mailroom_fixture(aws, tmp_path, monkeypatch) -> Mailroom:
    """A mail domain verified in SES, the buckets, the deployment's mail settings; import it as `mailroom_fixture`."""
    import boto3

    from kefu import deployment

    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (RAW_BUCKET, ATTACHMENTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("KEFU_RAW_MAIL_BUCKET", RAW_BUCKET)
    monkeypatch.setenv("KEFU_ATTACHMENTS_BUCKET", ATTACHMENTS_BUCKET)
    # SES sends only from verified identities: the mail domain is verified (the deployment verifies it with DKIM).
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=DOMAIN)
    # The outbound dispatcher also puts each answer on kefu's bus (no rule there takes an e-mail ticket's).
    boto3.client("events", region_name=REGION).create_event_bus(Name=EVENT_BUS)
    monkeypatch.setenv("KEFU_EVENT_BUS", EVENT_BUS)
    deploy(tmp_path, monkeypatch)
    yield Mailroom(tmp_path, monkeypatch)
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()
