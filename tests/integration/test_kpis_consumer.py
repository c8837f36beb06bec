"""The KPI function (functions/kpis) reading the table's changes from Kinesis, and the local stack running it from
the table's own stream in Kinesis' shape (kefu_local.streams)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import date

import boto3
import pytest

from kefu import table_changes
from kefu.config import settings
from kefu.identity import Caller
from kefu.kpis import reports
from kefu.kpis import service as kpis
from kefu.store import kpis as kpi_store
from kefu_local.lambdas import dispatching
from kefu_local.resources import ResourceBuilder
from kefu_local.stepfunctions import as_templates
from kefu_local.streams import StreamMapping, StreamPoller, stream_mappings
from tests.conftest import SUPERVISOR, LambdaContext, load_function
from tests.integration.conftest import open_ticket
from tests.waiting import wait_for

FUNCTION = "kefu-kpis-test"


def kinesis_event(*changes: dict) -> dict:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "k",
                    "sequenceNumber": str(1000 + n),
                    "data": base64.b64encode(json.dumps(change).encode()).decode()
                    if isinstance(change, dict)
                    else change,
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{1000 + n}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/kefu-dev-TableChanges",
            }
            for n, change in enumerate(changes)
        ]
    }


def ticket_change(ticket_id: str) -> dict:
    return {
        "eventName": "MODIFY",
        "dynamodb": {"NewImage": {"kind": {"S": "ticket"}, "id": {"S": ticket_id}}},
        "tableName": "kefu",
        "recordFormat": "application/json",
    }


def created_today(ticket: dict) -> int:
    found = kpi_store.day_items([(date.fromisoformat(ticket["createdAt"][:10]), "all")])
    return sum(values.get("created", 0) for values in found.values())


def test_a_tickets_change_delivered_twice_counts_it_once(desk, monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    ticket = open_ticket(desk)
    handler = load_function("kpis")

    result = handler.lambda_handler(
        kinesis_event(ticket_change(ticket["id"]), ticket_change(ticket["id"])), LambdaContext()
    )

    assert result == {"batchItemFailures": []}
    assert created_today(ticket) == 1


def test_an_unreadable_record_fails_alone_and_the_rest_of_the_batch_counts(desk, monkeypatch, caplog):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    ticket = open_ticket(desk)
    handler = load_function("kpis")
    not_a_ticket = {"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "kpi"}}}}

    event = kinesis_event("not base64 json!", not_a_ticket, ticket_change(ticket["id"]))
    caplog.clear()
    result = handler.lambda_handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "1000"}, {"itemIdentifier": "1001"}]}
    assert created_today(ticket) == 1
    # each unreadable record logged once, with its sequence number and why
    lines = [vars(r) for r in caplog.records if "table change" in r.getMessage()]
    assert [(line["msg"], line["sequence"]) for line in lines] == [
        ("unreadable table change", "1000"),
        ("unreadable table change", "1001"),
    ]
    assert "not base64 JSON" in lines[0]["reason"]


def test_the_reason_a_record_is_unreadable_is_said():
    with pytest.raises(table_changes.UnreadableRecord, match="not base64 JSON"):
        table_changes.changed_ticket("%%%")
    with pytest.raises(table_changes.UnreadableRecord, match="not a ticket's change"):
        table_changes.changed_ticket(base64.b64encode(b'{"dynamodb": {}}').decode())


def test_a_removed_tickets_change_names_it_only_for_a_reader_that_asks_for_removals():
    removed = {"eventName": "REMOVE", "dynamodb": {"OldImage": {"kind": {"S": "ticket"}, "id": {"S": "TK-1"}}}}
    data = base64.b64encode(json.dumps(removed).encode()).decode()

    assert table_changes.changed_ticket(data, table_changes.WRITTEN_OR_REMOVED) == "TK-1"
    with pytest.raises(table_changes.UnreadableRecord, match="not a ticket's change"):
        table_changes.changed_ticket(data)


def eventually(condition: Callable[[], bool]) -> bool:
    """The first truthy value of `condition()` (a hang guard, not a speed check: tests/waiting.py)."""
    return wait_for(condition, lambda: f"the condition at line {condition.__code__.co_firstlineno}", poll_s=0.05)


def test_locally_a_kinesis_mapping_reads_the_tables_stream_in_kinesis_shape(aws):
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="kefu-kinesis-test",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    stream = client.describe_table(TableName="kefu-kinesis-test")["Table"]["LatestStreamArn"]
    events: list[dict] = []
    mapping = StreamMapping(
        function=FUNCTION,
        stream_arn=stream,
        filters=[{"data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}}],
        shape="kinesis",
    )
    with dispatching({FUNCTION: lambda event, context: events.append(event)}):
        poller = StreamPoller(mapping, None)
        poller.start()
        try:
            for kind in ("kpi", "ticket"):
                client.put_item(
                    TableName="kefu-kinesis-test",
                    Item={
                        "pk": {"S": f"TICKET#{kind}"},
                        "sk": {"S": "TICKET"},
                        "kind": {"S": kind},
                        "id": {"S": "TK-1"},
                    },
                )
            assert eventually(lambda: events)
        finally:
            poller.stop()

    (record,) = [r for event in events for r in event["Records"]]
    assert (record["eventSource"], record["eventName"]) == ("aws:kinesis", "aws:kinesis:record")
    change = json.loads(base64.b64decode(record["kinesis"]["data"]))
    assert change["eventName"] == "INSERT" and change["tableName"] == "kefu-kinesis-test"
    assert change["dynamodb"]["NewImage"]["kind"] == {"S": "ticket"}
    assert table_changes.changed_ticket(record["kinesis"]["data"]) == "TK-1"


def test_the_templates_kinesis_mapping_is_run_from_the_tables_stream(aws):
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "KinesisStreamSpecification": {"StreamArn": {"Fn::GetAtt": ["Changes", "Arn"]}},
        },
    }
    changes = {"Type": "AWS::Kinesis::Stream", "Properties": {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}}}
    function = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": FUNCTION}}
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::ImportValue": "kefu-dev-stateful:ChangesArn"},
            "FunctionName": {"Ref": "Kpis"},
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 100,
        },
    }
    templates = as_templates(
        {
            "kefu-dev-stateful": {
                "Resources": {"Table": table, "Changes": changes},
                "Outputs": {
                    "ChangesArn": {
                        "Value": {"Fn::GetAtt": ["Changes", "Arn"]},
                        "Export": {"Name": "kefu-dev-stateful:ChangesArn"},
                    }
                },
            },
            "kefu-dev-service": {"Resources": {"Kpis": function, "Mapping": mapping}},
        }
    )
    ResourceBuilder(templates, None)  # type: ignore[arg-type]

    (read,) = stream_mappings(templates, {"Kpis": FUNCTION})

    stream = boto3.client("dynamodb").describe_table(TableName="kefu-dev-stateful-Table")["Table"]["LatestStreamArn"]
    assert (read.stream_arn, read.shape, read.function) == (stream, "kinesis", FUNCTION)


def test_a_report_reads_at_most_two_calls_per_day(desk, aws_calls, monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    kpis.refresh(open_ticket(desk)["id"])
    who = Caller.from_claims(SUPERVISOR.claims())
    for by, start, end, days in (
        ("day", "2026-10-01", "2026-10-31", 31),
        ("channel", "2026-10-01", "2026-10-31", 31),
        ("week", "2026-10-01", "2026-12-29", 90),
    ):
        aws_calls.reset()
        reports.kpi_report(who, start, end, by)
        assert len(aws_calls.on_table(settings().table_name)) <= 2 * days, (by, aws_calls.count())


def test_a_ticket_change_costs_five_calls_and_a_redelivery_four_reads(desk, aws_calls, monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    ticket = open_ticket(desk)

    aws_calls.reset()
    kpis.refresh(ticket["id"])
    first = aws_calls.on_table(settings().table_name)
    aws_calls.reset()
    kpis.refresh(ticket["id"])
    again = aws_calls.on_table(settings().table_name)

    assert sorted(first) == ["GetItem", "GetItem", "Query", "Query", "TransactWriteItems"]
    assert sorted(again) == ["GetItem", "GetItem", "Query", "Query"]


# --- the facts item (issue 22: its size is billed at each change of the ticket) -------------------------------


def facts_item(ticket_id: str) -> dict:
    return boto3.client("dynamodb").get_item(
        TableName=settings().table_name, Key={"pk": {"S": f"KPIFACT#{ticket_id}"}, "sk": {"S": "FACT"}}
    )["Item"]


def test_a_tickets_facts_item_holds_each_set_of_counters_once_and_stays_under_1_kb(desk):
    ticket = open_ticket(desk)
    kpis.refresh(ticket["id"])
    assert desk("POST", f"/tickets/{ticket['id']}/messages", who=SUPERVISOR, body={"body": "Done."}).status == 201
    assert kpis.refresh(ticket["id"]) == 1

    item = facts_item(ticket["id"])
    day = date.fromisoformat(ticket["createdAt"][:10])
    total = kpi_store.day_items([(day, "all")])[(day, "all")]

    assert (total["created"], total["frtN"]) == (1, 1), "the second change moved the day by its difference only"
    assert item["slots"]["S"].count('"created"') == 1, "the day's rows share their counters"
    assert sum(len(name) + len(value.get("S", value.get("N", ""))) for name, value in item.items()) < 1024
    assert "version" not in item["facts"]["S"] and "reopened" not in item["facts"]["S"], "nor what is at its default"


def test_a_change_that_moves_no_counter_writes_nothing(desk, aws_calls, monkeypatch):
    monkeypatch.setattr(kpis, "desk_zone", lambda: kpis._zone("UTC"))
    ticket = open_ticket(desk)
    kpis.refresh(ticket["id"])
    assert desk("POST", f"/tickets/{ticket['id']}/messages", body={"body": "Any news?"}).status == 201

    aws_calls.reset()
    assert kpis.refresh(ticket["id"]) == 0
    assert "TransactWriteItems" not in aws_calls.on_table(settings().table_name)
    assert created_today(ticket) == 1


def test_facts_stored_slot_by_slot_before_read_back_as_they_were(desk):
    ticket = open_ticket(desk)
    kpis.refresh(ticket["id"])
    written = kpi_store.read_facts(ticket["id"])
    old_form = {"\x1f".join(key): counters for key, counters in written.slots.items()}
    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key={"pk": {"S": f"KPIFACT#{ticket['id']}"}, "sk": {"S": "FACT"}},
        UpdateExpression="SET slots = :slots",
        ExpressionAttributeValues={":slots": {"S": json.dumps(old_form, sort_keys=True)}},
    )

    assert kpi_store.read_facts(ticket["id"]) == written
    assert kpis.refresh(ticket["id"]) == 0, "the same facts: nothing moves"
