"""The KPI capability in the synthesized templates: the table's changes on Kinesis, the aggregator reading them with
a filter and an on-failure queue, the table's own stream left to its two readers, and the business row and alarms."""

from __future__ import annotations

import json

from tests.infra.template_checks import props, resources


def test_the_tables_changes_go_to_an_encrypted_kinesis_stream(dev):
    (table,) = [
        t for t in resources(dev.stateful, "AWS::DynamoDB::Table").values() if "KinesisStreamSpecification" in props(t)
    ]
    (stream_id,) = resources(dev.stateful, "AWS::Kinesis::Stream")
    stream = resources(dev.stateful, "AWS::Kinesis::Stream")[stream_id]
    assert props(table)["KinesisStreamSpecification"]["StreamArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert props(stream)["StreamEncryption"]["EncryptionType"] == "KMS"


def test_the_aggregator_reads_kinesis_only_tickets_with_an_on_failure_queue(dev):
    kinesis_mappings = [
        m
        for m in resources(dev.service, "AWS::Lambda::EventSourceMapping").values()
        if "TableChanges" in json.dumps(props(m)["EventSourceArn"]) and "Kpis" in json.dumps(props(m)["FunctionName"])
    ]
    (mapping,) = kinesis_mappings
    settings = props(mapping)
    assert settings["StartingPosition"] == "TRIM_HORIZON"
    assert settings["BisectBatchOnFunctionError"] is True
    assert settings["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "OnFailure" in settings["DestinationConfig"]
    (pattern,) = [json.loads(f["Pattern"]) for f in settings["FilterCriteria"]["Filters"]]
    assert pattern == {"data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}}}}}


def test_the_tables_own_stream_keeps_two_readers(dev):
    stream_mappings = [
        m
        for m in resources(dev.service, "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in json.dumps(props(m)["EventSourceArn"])
    ]
    assert len(stream_mappings) <= 2


def test_the_dashboard_has_a_business_row_and_the_alarms_the_desk_needs(dev):
    (dashboard,) = resources(dev.service, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(props(dashboard)["DashboardBody"])
    for metric in ("TicketsOpened", "FirstResponseSeconds", "SlaBreaches", "Escalations", "Csat", "NpsPromoters"):
        assert metric in body, metric
    alarms = {props(a)["AlarmName"] for a in resources(dev.service, "AWS::CloudWatch::Alarm").values()}
    assert {"kefu-dev-survey-follow-ups-failed", "kefu-dev-intake-waiting", "kefu-dev-kpis-dead-letters"} <= alarms
