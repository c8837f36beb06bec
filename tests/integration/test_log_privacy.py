"""No personal data in the logs: a full flow's log lines, as the functions print them, hold none of the fixture
customer's name, e-mail address, phone number or words."""

from __future__ import annotations

import copy
import io
import json
import logging
import uuid

import pytest

from tests.conftest import AGENT, EVENTS, Identity, LambdaContext, load_function

NAME = "Ouyang Xiaoming"
EMAIL = "ouyang.xiaoming@example.com"
PHONE = "+8613912345678"
WORDS = "lychee-sorbet-4471"  # in every subject and body of the flow
CUSTOMER_PII = [NAME, "Ouyang", EMAIL, "ouyang.xiaoming", "13912345678", "139 1234 5678", WORDS]


@pytest.fixture
def printed(monkeypatch) -> io.StringIO:
    """Every line kefu's logger prints, at every level, formatted as in Lambda."""
    from kefu.observability import logger

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    level = logger.log_level
    logger.setLevel("DEBUG")
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def intake_batch(*bodies: dict) -> dict:
    template = json.loads((EVENTS / "sqs_intake_batch.json").read_text())
    records = []
    for body in bodies:
        record = copy.deepcopy(template["Records"][0])
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(body, ensure_ascii=False)
        records.append(record)
    return {"Records": records}


def test_a_full_flow_logs_no_personal_data(desk, printed, monkeypatch):
    import boto3

    # Given the intake queue's dead-letter queue and the fixture customer
    url = boto3.client("sqs").create_queue(QueueName="kefu-test-privacy-dead-letters")["QueueUrl"]
    monkeypatch.setenv("KEFU_INTAKE_DLQ_URL", url)
    intake = load_function("intake")
    customer = {"email": EMAIL, "phone": PHONE, "name": NAME}

    # When an agent opens a ticket for them, the customer writes on it, they call in, the CRM updates them,
    # a malformed contact quoting them is parked, and a request fails with their address in the error
    opened = desk(
        "POST", "/tickets", who=AGENT, body={"subject": f"Order {WORDS}", "description": WORDS, "customer": customer}
    )
    assert opened.status == 201, opened.text
    ticket = opened.json
    me = Identity(ticket["customerId"], email=EMAIL)
    assert (
        desk("POST", f"/tickets/{ticket['id']}/messages", who=me, body={"body": f"Any news on {WORDS}?"}).status == 201
    )
    assert desk("GET", "/customers", who=AGENT, query={"email": EMAIL}).status == 200
    call = {"channel": "phone", "externalId": "ivr-9", "customer": customer, "subject": WORDS, "body": WORDS}
    crm = {"type": "customer.updated", "externalId": "crm-9", "customer": {"phone": "139 1234 5678"}, "tier": "vip"}
    broken = {**call, "externalId": "ivr-10", "priority": f"urgent, call {PHONE} or {EMAIL}"}
    result = intake.lambda_handler(intake_batch(call, crm, broken), LambdaContext(function_name="kefu-intake"))
    assert result["batchItemFailures"] == []
    from kefu.customers import service as customers

    def failing(*_args, **_kwargs):
        raise ValueError(f"lookup failed for {EMAIL} / {PHONE} ({NAME})")

    monkeypatch.setattr(customers, "search", failing)
    assert desk("GET", "/customers", who=AGENT, query={"q": "ouyang"}).status == 500

    # Then the flow was logged (what was taken, parked and failed) ...
    text = printed.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    messages = {line["message"] for line in lines}
    assert {"intake record taken", "customer update applied", "intake record dead-lettered"} <= messages
    assert {"unhandled error"} <= messages
    assert any(line.get("exception_name") == "ValueError" and "in failing" in line["exception"] for line in lines)
    # ... and no line holds any of the customer's personal data
    leaked = [pii for pii in CUSTOMER_PII if pii.lower() in text.lower()]
    assert leaked == [], [line for line in text.splitlines() if any(p.lower() in line.lower() for p in leaked)]


def test_names_and_words_are_masked_by_field_and_contact_points_anywhere():
    from kefu.log_masking import PersonalDataFilter

    record = logging.LogRecord("kefu", logging.INFO, __file__, 1, "mail from %s", (EMAIL,), None)
    record.customer = {"name": NAME, "id": "CU-0000000001", "phone": PHONE}
    record.note = f"call {PHONE}"
    record.ticketId = "TK-7F3K9Q2M"
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "mail from <email>"
    assert record.customer == {"name": "***", "id": "CU-0000000001", "phone": "***"}
    assert record.note == "***"
    assert record.ticketId == "TK-7F3K9Q2M"
