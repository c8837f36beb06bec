"""Quality inspection in the synthesized templates: the automatic checks read the table's Kinesis stream (its second
reader) with a filter that passes only resolved or closed tickets, with an on-failure queue and alarms."""

from __future__ import annotations

import json

from tests.infra.template_checks import props, resources


def qa_mapping(template: dict) -> dict:
    (mapping,) = [
        props(m)
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if "QaChecks" in json.dumps(props(m)["FunctionName"])
    ]
    return mapping


def test_the_checks_read_the_kinesis_stream_only_for_resolved_or_closed_tickets(dev):
    mapping = qa_mapping(dev.service)

    assert "TableChanges" in json.dumps(mapping["EventSourceArn"])
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "OnFailure" in mapping["DestinationConfig"]
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {
        "data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}, "status": {"S": ["resolved", "closed"]}}}}
    }


def test_the_kinesis_stream_has_two_readers_of_the_five_it_serves(dev):
    readers = [
        m
        for m in resources(dev.service, "AWS::Lambda::EventSourceMapping").values()
        if "TableChanges" in json.dumps(props(m)["EventSourceArn"])
    ]
    assert len(readers) == 2


def test_the_checks_failures_are_alarmed(dev):
    alarms = {props(a)["AlarmName"] for a in resources(dev.service, "AWS::CloudWatch::Alarm").values()}

    assert {"kefu-dev-qa-checks-dead-letters", "kefu-dev-qa-checks-errors"} <= alarms
