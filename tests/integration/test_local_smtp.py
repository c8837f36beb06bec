"""The local SMTP server does what the templates' SES receipt rules do (kefu_local.smtp): mail for their recipients
is stored raw in the rule's bucket, as SES stores it, and S3's event reaches the mail rule's queue."""

from __future__ import annotations

import email
import json
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP

import boto3
import pytest

from kefu_local import references
from kefu_local.config import PortInUse
from kefu_local.events import EventBus
from kefu_local.resources import ResourceBuilder
from kefu_local.smtp import ReceiptRule, SesReceiving, SmtpServer, receipt_rules
from kefu_local.stepfunctions import as_templates

from ..e2e.local_stack import free_port

SUPPORT = "support@dev.kefu.example.com"
RAW_MAIL = {"Fn::ImportValue": "kefu-dev-stateful:RawMailName"}


def receipt_rule(name: str, recipients: list[str], tls: str, prefix: str, after: str | None = None) -> dict:
    rule = {
        "Name": name,
        "Actions": [{"S3Action": {"BucketName": RAW_MAIL, "ObjectKeyPrefix": prefix}}],
        "Enabled": True,
        "Recipients": recipients,
        "ScanEnabled": True,
        "TlsPolicy": tls,
    }
    return {
        "Type": "AWS::SES::ReceiptRule",
        "Properties": {"Rule": rule, "RuleSetName": {"Ref": "RuleSet"}, **({"After": after} if after else {})},
    }


@pytest.fixture
def templates(aws):
    mail_rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [RAW_MAIL]}, "object": {"key": [{"prefix": "inbound/"}]}},
            },
            "Targets": [{"Id": "Queue", "Arn": {"Fn::GetAtt": ["MailQueue", "Arn"]}}],
        },
    }
    built = as_templates(
        {
            "kefu-dev-stateful": {
                "Resources": {"RawMail": {"Type": "AWS::S3::Bucket", "Properties": {}}},
                "Outputs": {
                    "RawMail": {"Value": {"Ref": "RawMail"}, "Export": {"Name": "kefu-dev-stateful:RawMailName"}}
                },
            },
            "kefu-dev-service": {
                "Resources": {
                    "RuleSet": {"Type": "AWS::SES::ReceiptRuleSet", "Properties": {"RuleSetName": "kefu-dev"}},
                    "Store": receipt_rule(
                        "store", [SUPPORT, "complaints@dev.kefu.example.com"], "Require", "inbound/", after="partners"
                    ),
                    "Partners": receipt_rule(
                        "partners", ["partners.example.com", ".suppliers.example"], "Optional", "partners/"
                    ),
                    "MailQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
                    "Stored": mail_rule,
                },
            },
        }
    )
    for resource in built.resources("AWS::S3::Bucket", "AWS::SQS::Queue"):
        ResourceBuilder(built, None)  # type: ignore[arg-type]
        built.resolve(resource.stack, {"Ref": resource.logical_id})
    references.extend(built)
    return built


@pytest.fixture
def smtp(templates) -> Iterator[SmtpServer]:
    receiving = SesReceiving(receipt_rules(templates), EventBus.from_templates(templates, None), None)
    server = SmtpServer(receiving, "127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


def message(to: str = SUPPORT) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ann Lee <ann@example.com>"
    mail["To"] = to
    mail["Subject"] = "Where is my parcel?"
    mail["Message-ID"] = "<parcel-1@example.com>"
    mail.set_content("Order 1001 has not arrived yet.\n")
    return mail.as_bytes(policy=SMTP)  # CRLF line ends, as on the wire


def send(server: SmtpServer, to: str = SUPPORT, *, tls: bool = True) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(server.host, server.port, local_hostname="mail.example.com", timeout=10) as client:
        if tls:
            client.starttls()
        return client.sendmail("ann@example.com", [to], message(to))


def stored_objects(templates, prefix: str) -> list[bytes]:
    s3 = boto3.client("s3")
    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return [s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed]


def test_mail_for_a_rules_recipient_is_stored_raw_under_the_prefix_with_the_headers_ses_prepends(smtp, templates):
    send(smtp)

    (raw,) = stored_objects(templates, "inbound/")
    (stored,) = smtp.receiving.stored
    assert len(stored.message_id) == 40 and stored.message_id.isalnum() and stored.message_id.islower()
    assert stored.key == f"inbound/{stored.message_id}"
    assert raw.endswith(message())
    parsed = email.message_from_bytes(raw)
    headers = [name for name, _ in parsed.items()]
    assert headers[:6] == [
        "Return-Path",
        "Received",
        "X-SES-Spam-Verdict",
        "X-SES-Virus-Verdict",
        "Received-SPF",
        "Authentication-Results",
    ]
    assert parsed["Return-Path"] == "<ann@example.com>"
    assert f"by inbound-smtp.us-east-1.amazonaws.com with SMTP id {stored.message_id}" in parsed["Received"]
    assert parsed["Received"].startswith("from mail.example.com (mail.example.com [127.0.0.1])")
    assert f"for {SUPPORT};" in parsed["Received"]
    assert parsed["X-SES-Spam-Verdict"] == parsed["X-SES-Virus-Verdict"] == "PASS"
    assert parsed["Received-SPF"].startswith("none ")
    results = " ".join(parsed["Authentication-Results"].split())
    assert results.startswith("amazonses.com; spf=none")
    assert "dkim=none header.i=@example.com;" in results
    assert "dmarc=none header.from=example.com;" in results
    assert parsed["Subject"] == "Where is my parcel?"


def test_the_stored_mail_reaches_the_mail_rules_queue_as_s3s_object_created_event(smtp, templates):
    send(smtp)

    sqs = boto3.client("sqs")
    url = templates.resolve("kefu-dev-service", {"Ref": "MailQueue"})
    (received,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(received["Body"])
    (stored,) = smtp.receiving.stored
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == stored.bucket
    assert event["detail"]["object"]["key"] == stored.key
    assert event["detail"]["object"]["size"] == len(stored_objects(templates, "inbound/")[0])


def test_a_recipient_no_rule_names_is_refused_with_550(smtp):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp, "sales@dev.kefu.example.com")

    (code, reply) = refused.value.recipients["sales@dev.kefu.example.com"]
    assert code == 550
    assert b"mailbox unavailable" in reply


def test_a_rule_requiring_tls_refuses_its_recipients_until_starttls(smtp, templates):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp, tls=False)

    assert refused.value.recipients[SUPPORT][0] == 530
    assert stored_objects(templates, "inbound/") == []


def test_a_domain_rule_with_optional_tls_takes_plain_mail_for_the_domain_and_its_subdomains(smtp, templates):
    send(smtp, "orders@partners.example.com", tls=False)
    send(smtp, "billing@eu.suppliers.example", tls=False)

    assert len(stored_objects(templates, "partners/")) == 2
    assert stored_objects(templates, "inbound/") == []


def test_the_templates_receipt_rules_are_read_in_rule_set_order_with_their_bucket_resolved(templates):
    partners, store = receipt_rules(templates)

    bucket = templates.resolve("kefu-dev-stateful", {"Ref": "RawMail"})
    assert (partners.name, store.name) == ("partners", "store")
    assert store.recipients == [SUPPORT, "complaints@dev.kefu.example.com"]
    assert store.stores == [(bucket, "inbound/")]
    assert store.tls_required and store.scan_enabled
    assert not partners.tls_required


@pytest.mark.parametrize(
    ("recipients", "address", "expected"),
    [
        ([SUPPORT], "SUPPORT@dev.kefu.example.com", True),
        ([SUPPORT], "sales@dev.kefu.example.com", False),
        (["dev.kefu.example.com"], "anyone@dev.kefu.example.com", True),
        (["dev.kefu.example.com"], "anyone@eu.dev.kefu.example.com", False),
        ([".kefu.example.com"], "anyone@dev.kefu.example.com", True),
        ([".kefu.example.com"], "anyone@kefu.example.com", False),
        ([], "whoever@example.org", True),
    ],
)
def test_recipients_match_as_ses_matches_them(recipients, address, expected):
    assert ReceiptRule("r", recipients, []).matches(address) is expected


def test_a_taken_smtp_port_is_reported_with_the_variable_that_moves_it(smtp, templates):
    second = SmtpServer(SesReceiving([], EventBus([], None, account="123456789012"), None), smtp.host, smtp.port)

    with pytest.raises(PortInUse) as taken:
        second.start()

    assert taken.value.env_var == "KEFU_SMTP_PORT"
    assert f"port {smtp.port}" in str(taken.value)
