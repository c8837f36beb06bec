"""The local e-mail path as a customer's mail client uses it: a mail sent with smtplib to the local SMTP port is
stored the way SES stores it, queued through the EventBridge rule and taken by the inbound function; it shows up as
a ticket in the HTTP API, and a reply carrying the ticket token lands on the same ticket."""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import requests

from .local_stack import DEFAULT_STACK, LocalStackProcess

pytestmark = [pytest.mark.e2e, DEFAULT_STACK]

SUPPORT = "support@dev.kefu.example.com"  # infra/config/dev.yaml: the stage the local stack runs
DEADLINE_S = 40


def send(stack: LocalStackProcess, message: EmailMessage) -> None:
    """Deliver as a mail server would to SES: STARTTLS first (the receipt rule requires TLS)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the local server's certificate is made up at start
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.send_message(message)


def customer_mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Mei Lin <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.cn")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def wait_for(what: str, stack: LocalStackProcess, find):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {DEADLINE_S} s:\n{stack.output()[-4000:]}")


def test_a_mail_to_the_smtp_port_becomes_a_ticket_and_its_reply_joins_it(running_stack: LocalStackProcess):
    supervisor = {"Authorization": f"Bearer {running_stack.token('--role', 'supervisor')}"}
    sender = f"mei.lin.{uuid.uuid4().hex[:8]}@example.cn"
    subject = f"Parcel {uuid.uuid4().hex[:6]} arrived damaged"

    send(running_stack, customer_mail(sender, subject, "The box was crushed and the vase inside is broken."))

    def ticket_with_subject():
        # Every page: the stack is shared, other modules' tickets are listed too.
        for status in ("new", "open"):
            params = {"status": status, "limit": 100}
            while True:
                listed = requests.get(f"{running_stack.url}/tickets", headers=supervisor, params=params, timeout=10)
                assert listed.status_code == 200, listed.text
                found = next((t for t in listed.json()["items"] if t["subject"] == subject), None)
                if found:
                    return found
                if not listed.json().get("nextCursor"):
                    break
                params["cursor"] = listed.json()["nextCursor"]
        return None

    ticket = wait_for("a ticket for the mail", running_stack, ticket_with_subject)
    assert ticket["channel"] == "email"
    assert ticket["description"] == "The box was crushed and the vase inside is broken."

    send(running_stack, customer_mail(sender, f"Re: {subject} [{ticket['id']}]", "Here is the order number: 1042."))

    def customer_messages():
        timeline = requests.get(
            f"{running_stack.url}/tickets/{ticket['id']}/timeline",
            headers=supervisor,
            params={"limit": 100},
            timeout=10,
        )
        assert timeline.status_code == 200, timeline.text
        written = [e for e in timeline.json()["items"] if e["kind"] == "message"]
        return written if len(written) == 2 else None

    opening, reply = wait_for("the reply joining the ticket", running_stack, customer_messages)
    assert opening["data"]["from"] == sender
    assert reply["body"] == "Here is the order number: 1042."
    assert reply["data"]["threadedBy"] == "subject-token"
