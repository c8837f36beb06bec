"""A customer's erasure in `kefu local up`, used as a client would: an agent opens a ticket for them over HTTP, they
mail in over SMTP with an attachment, an admin erases them with `DELETE /customers/{id}`, and the privacy state
machine (the template's ASL in moto, its task in process) runs until the record answers 410. Then nothing of theirs
is anywhere: not in any table, not in any version of any object of any bucket, not in the stack's logs."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
import requests

from kefu_local.templates import cloud_assembly

from .local_stack import DEFAULT_STACK, LocalStackProcess
from .test_local_mail import SERVICE, receipt_rule

pytestmark = [pytest.mark.e2e, DEFAULT_STACK]

NAME, EMAIL, PHONE = "Zhou Meiling", "meiling.zhou@example.org", "+8613912345678"
#: The fixture's personal data as it could appear anywhere (the phone also as national digits).
PII = ("meiling", "zhou", "13912345678", "jinqiao")


def until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"not within {timeout} s: {what}")


def recipient() -> str:
    template = json.loads((cloud_assembly() / SERVICE).read_text())
    return receipt_rule(template)["Recipients"][0]


def mail_in(stack: LocalStackProcess) -> None:
    message = EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = recipient()
    message["Subject"] = "Meiling: the kettle again"
    message.set_content(f"Zhou Meiling here, Jinqiao. Call {PHONE}.\n")
    message.add_attachment(b"Meiling's receipt, Jinqiao store", maintype="text", subtype="plain", filename="r.txt")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.starttls()
        smtp.sendmail(EMAIL, [message["To"]], message.as_bytes(policy=SMTP))


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not stored text")


def everything_stored(stack: LocalStackProcess) -> str:
    """Every item of every table and every version of every object, as lower-case text."""
    parts: list[str] = []
    dynamodb, s3 = stack.client("dynamodb"), stack.client("s3")
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            # Binary values (the knowledge index's file item) read as the objects' bodies are below.
            parts.append(json.dumps(page["Items"], ensure_ascii=False, default=_as_text))
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"]
                parts.append(version["Key"] + body.read().decode("utf-8", "replace"))
    return "\n".join(parts).lower()


def test_an_erased_customer_is_nowhere_in_the_tables_the_buckets_or_the_logs(running_stack: LocalStackProcess):
    stack = running_stack
    agent = {"Authorization": f"Bearer {stack.token('--role', 'agent')}"}
    admin = {"Authorization": f"Bearer {stack.token('--role', 'admin')}"}
    body = {
        "subject": "Zhou Meiling: kettle leaks",
        "description": f"Ring {PHONE}, she is at Jinqiao.",
        "customer": {"email": EMAIL, "phone": PHONE, "name": NAME},
    }
    opened = requests.post(f"{stack.url}/tickets", json=body, headers=agent, timeout=10)
    assert opened.status_code == 201, opened.text
    customer = opened.json()["customerId"]
    mail_in(stack)

    def both_tickets() -> bool:
        found = requests.get(f"{stack.url}/customers/{customer}/tickets", headers=agent, timeout=10).json()
        return len(found["items"]) == 2

    until(both_tickets, "the mail became the customer's second ticket")
    before = everything_stored(stack)
    assert all(word in before for word in ("meiling", "13912345678", "jinqiao"))  # where the check looks

    erased = requests.delete(f"{stack.url}/customers/{customer}", headers=admin, timeout=10)
    assert erased.status_code == 202, erased.text

    def gone() -> dict | None:
        reply = requests.get(f"{stack.url}/customers/{customer}", headers=agent, timeout=10)
        return reply.json() if reply.status_code == 410 and reply.json()["erasure"]["status"] == "erased" else None

    until(gone, "the erasure finished")
    stored = everything_stored(stack)
    assert [word for word in PII if word in stored] == []
    logs = stack.output().lower()
    assert "erasure" in logs or "privacy step" in logs  # the privacy task ran in this process and logged
    assert [word for word in PII if word in logs] == []
