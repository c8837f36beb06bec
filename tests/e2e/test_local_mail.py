"""Mail into `kefu local up` as a mail server sends it: smtplib over STARTTLS to the local SMTP port. The message
lands raw in the SES receipt rule's bucket, and S3's "Object Created" event reaches EventBridge rules' queues.

The stack runs on a copy of cdk.out with one more rule on the raw mail (to a queue no function polls), so the
event can be read where it arrives; everything else is the templates' own."""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest

from kefu_local.templates import cloud_assembly

from .local_stack import LocalStackProcess, new_stack, own_stack

pytestmark = [pytest.mark.e2e, own_stack("mail")]

SERVICE = "kefu-dev-service.template.json"
SMOKE_QUEUE = "kefu-dev-service-SmtpSmokeQueue"


def receipt_rule(template: dict[str, Any]) -> dict[str, Any]:
    rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::SES::ReceiptRule"]
    assert rules, "the service template has an SES receipt rule"
    return rules[0]["Properties"]["Rule"]


def cdk_out_with_a_smoke_rule(folder: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of cdk.out (assets linked) whose service stack also routes raw mail to a queue of its own."""
    source = cloud_assembly()
    folder.mkdir()
    for entry in source.iterdir():
        if entry.name.startswith("asset."):
            (folder / entry.name).symlink_to(entry)
        elif entry.is_file():
            shutil.copy2(entry, folder / entry.name)
    template = json.loads((folder / SERVICE).read_text())
    rule = receipt_rule(template)
    (store,) = (action["S3Action"] for action in rule["Actions"] if "S3Action" in action)
    template["Resources"]["SmtpSmokeQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": SMOKE_QUEUE}}
    template["Resources"]["SmtpSmokeRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [store["BucketName"]]},
                    "object": {"key": [{"prefix": store.get("ObjectKeyPrefix", "")}]},
                },
            },
            "State": "ENABLED",
            "Targets": [{"Id": "Smoke", "Arn": {"Fn::GetAtt": ["SmtpSmokeQueue", "Arn"]}}],
        },
    }
    (folder / SERVICE).write_text(json.dumps(template))
    # Taken as up to date even while the sources change under it (the stack would synthesize it again).
    far = time.time() + 10 * 365 * 24 * 3600
    os.utime(folder / "manifest.json", (far, far))
    return folder, rule


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStackProcess, dict[str, Any]]]:
    workdir = tmp_path_factory.mktemp("kefu-mail")
    cdk_out, rule = cdk_out_with_a_smoke_rule(workdir / "cdk.out")
    stack = new_stack(workdir, {"KEFU_LOCAL_CDK_OUT": str(cdk_out)})
    stack.start()
    yield stack, rule
    stack.stop_if_running()


def mail(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann Lee <ann@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("The lid arrived cracked.\n")
    return message


def send(stack: LocalStackProcess, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.starttls()
        smtp.sendmail("ann@example.com", [message["To"]], message.as_bytes(policy=SMTP))


def find_stored(stack: LocalStackProcess, prefix: str, subject: str, timeout: float = 10) -> tuple[str, str, bytes]:
    s3 = stack.client("s3")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
            for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                if subject.encode() in body:
                    return bucket, item["Key"], body
        time.sleep(0.2)
    pytest.fail(f"no stored mail with subject {subject!r} under {prefix}")


def test_a_mail_sent_with_smtplib_lands_in_the_raw_mail_bucket_and_its_event_on_the_rules_queue(mail_stack):
    stack, rule = mail_stack
    subject = f"Broken lid {uuid.uuid4().hex[:8]}"
    prefix = next(a["S3Action"] for a in rule["Actions"] if "S3Action" in a).get("ObjectKeyPrefix", "")

    send(stack, mail(rule["Recipients"][0], subject))

    bucket, key, body = find_stored(stack, prefix, subject)
    assert body.startswith(b"Return-Path: <ann@example.com>\r\nReceived: from ")
    assert b"X-SES-Spam-Verdict: PASS" in body
    assert b"Authentication-Results: amazonses.com;" in body
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=SMOKE_QUEUE)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
    assert messages, "S3's event reached the rule's queue"
    event = json.loads(messages[0]["Body"])
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert (event["detail"]["bucket"]["name"], event["detail"]["object"]["key"]) == (bucket, key)


def test_mail_for_an_address_no_receipt_rule_names_is_refused_with_550(mail_stack):
    stack, _ = mail_stack

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(stack, mail("nobody@elsewhere.example", "Hello?"))

    assert refused.value.recipients["nobody@elsewhere.example"][0] == 550


def test_the_banner_shows_the_smtp_address_and_how_to_send_a_mail(mail_stack):
    stack, rule = mail_stack
    deadline = time.monotonic() + 10
    while "Ctrl-C stops it." not in stack.output() and time.monotonic() < deadline:
        time.sleep(0.1)

    output = stack.output()
    assert f"127.0.0.1:{stack.smtp_port}" in output
    assert "KEFU_SMTP_PORT" in output
    assert f"swaks --server 127.0.0.1:{stack.smtp_port}" in output
    assert rule["Recipients"][0] in output
