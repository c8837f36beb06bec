"""Erasure and export of a customer over the HTTP API, run by the privacy state machine as synthesized (its exact ASL
from cdk.out, executing in moto) with its task run by `functions/privacy`: nothing of the customer's left in the
table or the buckets after an erasure while the KPI facts stay the same; an export's archive behind a short-lived
link; the problems of bad requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from kefu.config import PRIVACY_STATE_MACHINE_VAR, reload_settings
from kefu.kpis import service as kpis
from kefu_local.stepfunctions import LocalStepFunctions, wait_for_execution
from kefu_local.templates import cloud_assembly
from tests.conftest import ADMIN, AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Api, load_function
from tests.integration.mailroom import (
    ATTACHMENTS_BUCKET,
    RAW_BUCKET,
    mail,
    mailroom_fixture,  # noqa: F401 - provides the `mailroom` fixture
)
from tests.integration.test_customer_merge import merge

NAME, EMAIL, PHONE = "Carol Li", "carol.li@example.com", "+8613800138000"
#: What must not be found anywhere after the erasure (the phone also as its national digits).
PII = ("carol", "13800138000", "pudong")


@dataclass
class Privacy:
    api: Api
    sfn: LocalStepFunctions

    def settle(self) -> None:
        """Wait for every execution of the privacy machine to end (they run on moto's threads)."""
        client, machine = self.sfn.client, self.sfn.machine("PrivacyStateMachine").arn
        for _ in range(200):
            running = client.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
            if not running:
                break
            for execution in running:
                wait_for_execution(client, execution["executionArn"], 60)
        for execution in client.list_executions(stateMachineArn=machine)["executions"]:
            assert execution["status"] == "SUCCEEDED", execution


@pytest.fixture(scope="module")
def cdk_out() -> Path:
    return cloud_assembly()


@pytest.fixture
def privacy(desk, mailroom, cdk_out: Path, monkeypatch) -> Iterator[Privacy]:
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in (RAW_BUCKET, ATTACHMENTS_BUCKET):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with LocalStepFunctions(cdk_out, {"PrivacyFunction": load_function("privacy").lambda_handler}) as sfn:
        monkeypatch.setenv(PRIVACY_STATE_MACHINE_VAR, sfn.machine("PrivacyStateMachine").arn)
        reload_settings()
        yield Privacy(desk, sfn)


@pytest.fixture
def carol(privacy, mailroom) -> str:
    """A customer known by an agent's ticket (name, e-mail, phone in its text), a mail with an attachment, a reply,
    a resolution with a note, a survey comment."""
    api = privacy.api
    body = {
        "subject": "Carol Li: order 1042 never arrived",
        "description": f"Call her on {PHONE}; she lives in Pudong.",
        "customer": {"email": EMAIL, "phone": PHONE, "name": NAME},
    }
    ticket = api("POST", "/tickets", who=AGENT, body=body).json
    message = mail(sender=f"{NAME} <{EMAIL}>", subject="Carol here: my kettle", body="Regards, Carol Li, Pudong")
    message.add_attachment(b"Carol's receipt", maintype="text", subtype="plain", filename="carol-receipt.txt")
    mailroom.deliver(message, envelope_from=EMAIL)
    reply = {"body": "Dear Carol, we are on it.", "visibility": "public"}
    assert api("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body=reply).status == 201
    resolution = {"to": "resolved", "resolution": {"kind": "reship", "note": "Reshipped to Carol in Pudong"}}
    assert api("POST", f"/tickets/{ticket['id']}/transition", who=AGENT, body=resolution).status == 200
    return ticket["customerId"]


def erase(api: Api, customer_id: str):
    return api("DELETE", f"/customers/{customer_id}", who=ADMIN)


def table_text() -> str:
    from kefu.config import settings

    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=settings().table_name)["Items"]
    return json.dumps(items, ensure_ascii=False).lower()


def bucket_text(bucket: str) -> str:
    s3 = boto3.client("s3", region_name="us-east-1")
    found = []
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        found.append(version["Key"] + body.decode("utf-8", "replace"))
    return "\n".join(found).lower()


def test_an_erasure_leaves_none_of_the_customers_data_in_the_table_or_the_buckets(privacy, carol):
    assert any(word in table_text() for word in PII)  # the fixture is where the check looks
    assert "carol" in bucket_text(RAW_BUCKET) and "carol" in bucket_text(ATTACHMENTS_BUCKET)

    reply = erase(privacy.api, carol)
    assert reply.status == 202, reply.text
    assert reply.json["status"] == "erasing"
    privacy.settle()

    table, raw, files = table_text(), bucket_text(RAW_BUCKET), bucket_text(ATTACHMENTS_BUCKET)
    assert [word for word in PII if word in table] == []
    assert [word for word in PII if word in raw + files] == []
    gone = privacy.api("GET", f"/customers/{carol}", who=AGENT)
    assert gone.status == 410, gone.text
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json["erasure"]["status"] == "erased" and gone.json["erasure"]["erasedAt"]
    trail = privacy.api("GET", f"/customers/{carol}/audit", who=ADMIN).json["items"]
    assert [(e["action"], e["fields"], e["actorId"]) for e in trail if e["action"] == "erased"] == [
        ("erased", ["requested"], ADMIN.sub),
        ("erased", ["done"], "system:erasure"),
    ]


def test_an_erasure_keeps_every_ticket_fact_the_kpis_count(privacy, carol):
    from kefu.clock import now
    from kefu.store import kpis as kpi_store

    tickets = [t["id"] for t in privacy.api("GET", f"/customers/{carol}/tickets", who=AGENT).json["items"]]
    assert len(tickets) == 2
    for ticket_id in tickets:
        kpis.refresh(ticket_id)
    today = now().date().isoformat()
    report = {"from": today, "to": today, "by": "channel"}
    before = privacy.api("GET", "/reports/kpis", who=SUPERVISOR, query=report)
    facts_before = [kpi_store.read_facts(ticket_id).facts for ticket_id in tickets]
    assert before.status == 200, before.text
    assert before.json["totals"]["resolved"] == 1

    assert erase(privacy.api, carol).status == 202
    privacy.settle()
    for ticket_id in tickets:  # what the change feed does for each erased ticket
        kpis.refresh(ticket_id)

    assert privacy.api("GET", "/reports/kpis", who=SUPERVISOR, query=report).json == before.json
    unversioned = [{k: v for k, v in kpi_store.read_facts(t).facts.items() if k != "version"} for t in tickets]
    assert unversioned == [{k: v for k, v in facts.items() if k != "version"} for facts in facts_before]


def test_erasing_again_is_no_error(privacy, carol):
    assert erase(privacy.api, carol).status == 202
    privacy.settle()
    again = erase(privacy.api, carol)
    assert again.status == 200, again.text
    assert again.json["status"] == "erased"


def test_a_repeated_request_while_erasing_finishes_it(privacy, carol):
    first, second = erase(privacy.api, carol), erase(privacy.api, carol)
    assert (first.status, second.status) == (202, 202)
    privacy.settle()
    assert privacy.api("GET", f"/customers/{carol}", who=AGENT).json["erasure"]["status"] == "erased"


def test_bad_erasures_are_problems_and_change_nothing(privacy, carol):
    api = privacy.api
    other = api(
        "POST", "/tickets", who=AGENT, body={"subject": "s", "description": "d", "customer": {"email": "o@example.com"}}
    )
    absorbed = other.json["customerId"]
    assert merge(api, carol, absorbed, who=SUPERVISOR).status == 200
    for who, customer_id, status in (
        (AGENT, carol, 403),
        (SUPERVISOR, carol, 403),
        (CUSTOMER, carol, 403),
        (ADMIN, "CU-NOBODY00000", 404),
        (ADMIN, absorbed, 409),
    ):
        reply = api("DELETE", f"/customers/{customer_id}", who=who)
        assert reply.status == status, (who.sub, customer_id, reply.text)
        assert reply.headers["content-type"] == "application/problem+json"
    assert api("GET", f"/customers/{carol}", who=AGENT).status == 200


def read_archive(reply_json: dict) -> list[dict]:
    link = urlparse(reply_json["link"])
    assert parse_qs(link.query)["X-Amz-Expires"] == ["900"]
    key = link.path.split(f"/{ATTACHMENTS_BUCKET}/", 1)[-1].lstrip("/")
    if key.startswith(ATTACHMENTS_BUCKET):
        key = key.split("/", 1)[1]
    body = boto3.client("s3", region_name="us-east-1").get_object(Bucket=ATTACHMENTS_BUCKET, Key=key)["Body"].read()
    return [json.loads(line) for line in body.splitlines()]


def test_an_admin_exports_a_customer_to_one_archive_behind_a_short_lived_link(privacy, carol):
    api = privacy.api
    note = {"body": "internal: check the courier", "visibility": "internal"}
    ticket_id = api("GET", f"/customers/{carol}/tickets", who=AGENT).json["items"][0]["id"]
    assert api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body=note).status == 201

    started = api("POST", f"/customers/{carol}/export", who=ADMIN)
    assert started.status == 202, started.text
    assert started.json["status"] == "running"
    privacy.settle()
    done = api("GET", started.headers["location"], who=ADMIN)

    assert done.status == 200, done.text
    assert done.json["status"] == "done" and done.json["linkExpiresIn"] == 900
    lines = read_archive(done.json)
    kinds = {line["type"] for line in lines}
    assert kinds >= {"profile", "ticket", "timelineEntry", "rawMail", "attachment"}
    assert [line["email"] for line in lines if line["type"] == "profile"] == [EMAIL]
    assert not any("check the courier" in (line.get("body") or "") for line in lines)  # internal notes stay
    trail = api("GET", f"/customers/{carol}/audit", who=ADMIN).json["items"]
    assert [e["actorId"] for e in trail if e["action"] == "exported"] == [ADMIN.sub]


def test_a_customer_exports_their_own_data_and_no_one_elses(privacy):
    api = privacy.api
    assert api("POST", "/tickets", who=CUSTOMER, body={"subject": "Kettle", "description": "Broken"}).status == 201
    started = api("POST", "/me/export", who=CUSTOMER)
    assert started.status == 202, started.text
    privacy.settle()
    done = api("GET", started.headers["location"], who=CUSTOMER)
    assert done.json["status"] == "done"
    assert {line["type"] for line in read_archive(done.json)} >= {"profile", "ticket", "timelineEntry"}
    assert api("GET", started.headers["location"], who=OTHER_CUSTOMER).status == 404
    assert api("POST", "/me/export", who=OTHER_CUSTOMER).status == 404  # nothing kept about them yet
    assert api("POST", "/me/export", who=AGENT).status == 403


def test_exports_of_erased_or_unknown_customers_are_problems(privacy, carol):
    api = privacy.api
    assert erase(api, carol).status == 202
    privacy.settle()
    for customer_id, status in ((carol, 410), ("CU-NOBODY00000", 404)):
        reply = api("POST", f"/customers/{customer_id}/export", who=ADMIN)
        assert reply.status == status, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
    assert api("POST", f"/customers/{carol}/export", who=AGENT).status == 403
    assert api("GET", f"/customers/{carol}/exports/EX-0000", who=ADMIN).status == 404


def test_an_erasure_step_cut_short_finishes_when_run_again(privacy, carol, monkeypatch):
    # An execution retries a failed step with the same document, and a repeated DELETE starts from the first
    # page: either way the step runs again over what it half did.
    from kefu.customers import erasure
    from kefu.store import erasure as erasure_store

    monkeypatch.setenv(PRIVACY_STATE_MACHINE_VAR, "")  # the request's own execution is not wanted here
    reload_settings()
    erasure_store.request(carol, at=erasure.now(), note=erasure.audit.note(privacy_admin(), erasure.AuditAction.ERASED))
    document = {"job": "erase", "customerId": carol, "phase": "tickets", "cursor": None, "done": False}
    redact = erasure_store.redact_ticket
    calls = {"n": 0}

    def crash_on_the_second(ticket_id: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the function timed out")
        redact(ticket_id)

    monkeypatch.setattr(erasure_store, "redact_ticket", crash_on_the_second)
    with pytest.raises(RuntimeError):
        erasure.step(document)
    while not document["done"]:
        document = erasure.step(document)

    assert [word for word in PII if word in table_text()] == []
    assert privacy.api("GET", f"/customers/{carol}", who=AGENT).json["erasure"]["status"] == "erased"


def privacy_admin():
    from kefu.identity import Caller

    return Caller.from_claims(ADMIN.claims())


def test_a_record_being_erased_answers_410_and_its_contact_points_find_nobody(desk, privacy_machine):
    # The machine only records the execution: the record stays `erasing`, as while a real one runs.
    customer = desk(
        "POST", "/tickets", who=AGENT, body={"subject": "s", "description": "d", "customer": {"email": EMAIL}}
    )
    customer_id = customer.json["customerId"]
    assert erase(desk, customer_id).status == 202

    reply = desk("GET", f"/customers/{customer_id}", who=AGENT)
    assert reply.status == 410, reply.text
    assert reply.json["erasure"]["status"] == "erasing" and reply.json["erasure"]["erasedAt"] is None
    assert desk("GET", "/customers", who=AGENT, query={"email": EMAIL}).json["items"] == []
    assert (
        desk("PATCH", f"/customers/{customer_id}", who=AGENT, body={"note": "x"}, headers={"If-Match": "*"}).status
        == 410
    )


def test_an_erased_tickets_packed_entries_are_redacted_as_its_other_entries(desk):
    """Entries stored with the one before them (kefu.store.tickets._packs: the opening's routing entry, whose reasons
    quote the customer's words, and the status change of an agent's first reply) are redacted as entries alone are:
    their data's text, their body, their files."""
    from kefu.store import erasure as erasure_store
    from tests.integration.conftest import open_ticket

    tid = open_ticket(desk)["id"]
    assert desk("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "On its way."}).status == 201
    before = desk("GET", f"/tickets/{tid}/timeline", who=AGENT).json["items"]
    assert [e["kind"] for e in before] == ["message", "routing", "reply", "status"]
    assert "dispatch" in json.dumps(before[1]["data"])  # the routing reasons quote the description

    erasure_store.redact_ticket(tid)
    after = desk("GET", f"/tickets/{tid}/timeline", who=AGENT).json["items"]
    expected = [
        {
            **entry,
            "data": erasure_store.redacted_data(entry["data"]),
            **({"body": erasure_store.ERASED} if entry["body"] else {}),
        }
        for entry in before
    ]
    assert after == expected
    assert "dispatch" not in json.dumps(after)
