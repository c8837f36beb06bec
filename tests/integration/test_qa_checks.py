"""The automatic QA checks' function (functions/qa_checks) on the table's Kinesis records: a resolved ticket's
findings are kept per ticket, a duplicate record writes nothing more, an open ticket is not checked."""

from __future__ import annotations

import base64
import json
import time

from kefu.qa import inspection
from kefu.store import qa_findings
from tests.conftest import AGENT, CUSTOMER, LambdaContext, load_function
from tests.integration.conftest import open_ticket


def kinesis_event(*ticket_ids: str) -> dict:
    def record(n: int, ticket_id: str) -> dict:
        change = {"eventName": "MODIFY", "dynamodb": {"NewImage": {"kind": {"S": "ticket"}, "id": {"S": ticket_id}}}}
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "k",
                "sequenceNumber": str(1000 + n),
                "data": base64.b64encode(json.dumps(change).encode()).decode(),
                "approximateArrivalTimestamp": time.time(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"shardId-000000000000:{1000 + n}",
            "eventName": "aws:kinesis:record",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/kefu-dev-TableChanges",
        }

    return {"Records": [record(n, ticket_id) for n, ticket_id in enumerate(ticket_ids)]}


def worked_and_resolved(api, reply: str) -> dict:
    ticket = open_ticket(api)
    assert api("POST", f"/tickets/{ticket['id']}/assign", who=AGENT, body={"take": True}).status == 200
    assert api("POST", f"/tickets/{ticket['id']}/messages", who=AGENT, body={"body": reply}).status == 201
    assert api("POST", f"/tickets/{ticket['id']}/messages", who=CUSTOMER, body={"body": "太失望了"}).status == 201
    moved = api(
        "POST",
        f"/tickets/{ticket['id']}/transition",
        who=AGENT,
        body={"to": "resolved", "resolution": {"kind": "answer"}},
    )
    assert moved.status == 200, moved.text
    return ticket


def test_a_resolved_tickets_findings_are_kept_citing_its_timeline(desk):
    ticket = worked_and_resolved(desk, "这个不归我管。")
    handler = load_function("qa_checks")

    result = handler.lambda_handler(kinesis_event(ticket["id"]), LambdaContext())

    assert result == {"batchItemFailures": []}
    stored = qa_findings.read(ticket["id"])
    assert stored is not None and stored.agent_id == AGENT.sub
    rules = {finding["rule"] for finding in stored.findings}
    assert {"forbidden_phrase", "missing_greeting", "missing_closing", "negative_at_end", "reply_gap"} <= rules
    timeline = desk("GET", f"/tickets/{ticket['id']}/timeline", who=AGENT).json["items"]
    reply_id = next(entry["id"] for entry in timeline if entry["kind"] == "reply")
    assert {f["entryId"] for f in stored.findings if f["rule"] == "forbidden_phrase"} == {reply_id}


def test_a_record_delivered_twice_writes_the_findings_once(desk, aws_calls):
    ticket = worked_and_resolved(desk, "您好，已处理，祝您生活愉快。")
    handler = load_function("qa_checks")
    aws_calls.reset()
    handler.lambda_handler(kinesis_event(ticket["id"]), LambdaContext())
    assert aws_calls.count()[("dynamodb", "PutItem")] == 1
    aws_calls.reset()

    handler.lambda_handler(kinesis_event(ticket["id"]), LambdaContext())

    # The ticket, its timeline, the findings kept: the same, so nothing is written.
    assert aws_calls.count() == {("dynamodb", "GetItem"): 2, ("dynamodb", "Query"): 1}


def test_an_open_ticket_is_not_checked(desk):
    ticket = open_ticket(desk)

    assert inspection.inspect(ticket["id"]) is None
    assert qa_findings.read(ticket["id"]) is None


def test_an_unreadable_record_is_reported_as_a_batch_item_failure(desk):
    handler = load_function("qa_checks")
    event = kinesis_event("TK-AAAAAAAA")
    event["Records"][0]["kinesis"]["data"] = "not base64 json"

    result = handler.lambda_handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "1000"}]}
