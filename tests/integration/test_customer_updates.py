"""`customer.updated` from the business's CRM through the intake queue: the tier it sets takes effect at the next
routing and SLA decision; a message no retry can apply is parked like a contact that cannot be taken."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from tests.conftest import ADMIN, AGENT, CUSTOMER, EVENTS, LambdaContext, load_function
from tests.integration.conftest import open_ticket


@pytest.fixture
def intake(desk, monkeypatch):
    import boto3

    url = boto3.client("sqs").create_queue(QueueName="kefu-test-intake-dead-letters")["QueueUrl"]
    monkeypatch.setenv("KEFU_INTAKE_DLQ_URL", url)
    assert desk("PUT", "/groups/vip", who=ADMIN, body={"name": "VIP desk", "kind": "vip"}).status == 200
    return load_function("intake")


def deliver(intake, *bodies: dict) -> list[str]:
    """Send the bodies as one SQS batch; the message ids reported failed."""
    template = json.loads((EVENTS / "sqs_intake_batch.json").read_text())
    records = []
    for body in bodies:
        record = copy.deepcopy(template["Records"][0])
        record["messageId"] = str(uuid.uuid4())
        record["body"] = json.dumps(body, ensure_ascii=False)
        records.append(record)
    result = intake.lambda_handler({"Records": records}, LambdaContext(function_name="kefu-intake"))
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def update(customer: dict, **fields) -> dict:
    return {"type": "customer.updated", "externalId": "crm-1001", "customer": customer, **fields}


def as_agent(desk, ticket: dict) -> dict:
    """The ticket as staff see it (tier, group and SLA policy are not shown to its customer)."""
    return desk("GET", f"/tickets/{ticket['id']}", who=AGENT).json


def parked() -> list[dict]:
    import boto3

    client = boto3.client("sqs")
    url = client.get_queue_url(QueueName="kefu-test-intake-dead-letters")["QueueUrl"]
    found = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return [{k: v["StringValue"] for k, v in m["MessageAttributes"].items()} for m in found.get("Messages", [])]


def test_a_vip_set_by_the_crm_gets_the_vip_desk_on_their_next_ticket(desk, intake):
    # Given a customer who opened a standard ticket
    first = as_agent(desk, open_ticket(desk))
    assert (first["customerTier"], first["groupId"]) == ("standard", "l1")
    # When the CRM says they are a VIP
    assert deliver(intake, update({"id": first["customerId"]}, tier="vip", tags=["Gold"])) == []
    # Then their next ticket is theirs as a VIP's, on the VIP desk (a VIP's repeat contact is raised to P1)
    second = as_agent(desk, open_ticket(desk, subject="Where is my refund?"))
    assert (second["customerTier"], second["groupId"], second["priority"]) == ("vip", "vip", "P1")
    record = desk("GET", f"/customers/{CUSTOMER.sub}", who=AGENT).json
    assert (record["tier"], record["tags"], record["externalId"]) == ("vip", ["gold"], "crm-1001")


def test_a_vip_named_by_the_crm_gets_the_vip_desk_and_the_vip_sla(desk, intake):
    # Given the CRM says carol@example.com is a VIP, before she ever contacted the desk
    assert deliver(intake, update({"email": "Carol@Example.com", "name": "Carol"}, tier="vip")) == []
    # When an agent opens a ticket for her by that address
    ticket = as_agent(desk, open_ticket(desk, who=AGENT, customer={"email": "carol@example.com"}))
    # Then it is on the VIP desk and on the VIP SLA (1 h first response, 8 business hours to resolve)
    assert (ticket["customerTier"], ticket["groupId"], ticket["sla"]["policy"]) == ("vip", "vip", "vip")


def test_a_vip_known_only_by_phone_is_served_as_one_from_the_first_contact(desk, intake):
    # Given the CRM names a customer kefu has never seen, by a local mobile number
    assert deliver(intake, update({"phone": "138 0013 8000"}, tier="vip")) == []
    # When that number calls in through the intake queue
    call = {
        "channel": "phone",
        "externalId": "ivr-1",
        "customer": {"phone": "+8613800138000"},
        "subject": "Refund",
        "body": "Charged twice",
    }
    assert deliver(intake, call) == []
    # Then the call's ticket is the VIP's, on the VIP desk
    [found] = desk("GET", "/customers", who=AGENT, query={"phone": "+8613800138000"}).json["items"]
    [ticket] = desk("GET", f"/customers/{found['id']}/tickets", who=AGENT).json["items"]
    assert (ticket["customerTier"], ticket["groupId"]) == ("vip", "vip")


def test_an_update_delivered_late_does_not_undo_a_newer_one(desk, intake):
    customer_id = open_ticket(desk)["customerId"]
    newer = update({"id": customer_id}, tier="high_value", occurredAt="2026-03-02T10:00:00+08:00")
    older = update({"id": customer_id}, tier="vip", occurredAt="2026-03-01T10:00:00+08:00")
    assert deliver(intake, newer) == []
    assert deliver(intake, older, newer) == []
    assert desk("GET", f"/customers/{customer_id}", who=AGENT).json["tier"] == "high_value"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (update({"id": "CU-NOBODY0000"}, tier="vip"), "customer CU-NOBODY0000 does not exist"),
        (update({"email": "carol@example.com"}, tier="platinum"), "tier:"),
        (update({"phone": "12345"}, tier="vip"), "not a valid phone number"),
        (update({"email": "carol@example.com"}, tier="vip", colour="red"), "colour:"),
    ],
    ids=["unknown-id", "unknown-tier", "bad-phone", "unknown-field"],
)
def test_an_update_no_retry_can_apply_is_parked_with_its_reason(desk, intake, body, detail):
    assert deliver(intake, body) == []
    [attributes] = parked()
    assert attributes["kefu-error"] in {"refused", "not an intake message"}
    assert detail in attributes["kefu-error-detail"]
    assert desk("GET", "/customers", who=AGENT, query={"email": "carol@example.com"}).json["items"] == []
