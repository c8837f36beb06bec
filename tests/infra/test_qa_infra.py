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


def sampling_asl(synthesized) -> dict:
    machine = synthesized.service["Resources"][
        synthesized.logical_id(synthesized.kefu.service.qa_sampling.state_machine)
    ]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "<ref>" for part in parts))


def test_the_monthly_sampling_is_scheduled_on_the_configured_cron_in_its_time_zone(dev):
    sampling = dev.kefu.service.qa_sampling
    schedule = props(dev.service["Resources"][dev.logical_id(sampling.schedule)])

    assert schedule["Name"] == "monthly-sampling" and schedule["GroupName"] == "kefu-dev-qa"
    assert schedule["ScheduleExpression"] == "cron(0 3 1 * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    target = schedule["Target"]
    assert target["Arn"] == {"Ref": dev.logical_id(sampling.state_machine)}
    assert json.loads(target["Input"]) == {"scheduledAt": "<aws.scheduler.scheduled-time>"}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dev.logical_id(sampling.dead_letters), "Arn"]}}


def test_the_sampling_state_machine_samples_then_succeeds_and_a_failure_fails_the_run(dev):
    definition = sampling_asl(dev)

    assert definition["StartAt"] == "Sample"
    sample = definition["States"]["Sample"]
    assert sample["Next"] == "Done" and definition["States"]["Done"]["Type"] == "Succeed"
    assert [c["Next"] for c in sample["Catch"]] == ["RunFailed"]
    assert definition["States"]["RunFailed"]["Type"] == "Fail"
    assert {"ValidationError", "BadRequest"} <= {
        e for r in sample["Retry"] if r["MaxAttempts"] == 0 for e in r["ErrorEquals"]
    }
    alarms = {props(a)["AlarmName"] for a in resources(dev.service, "AWS::CloudWatch::Alarm").values()}
    assert {"kefu-dev-qa-schedule-dead-letters", "kefu-dev-qa-errors"} <= alarms
