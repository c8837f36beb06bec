"""Revisit campaigns in the templates: a schedule per enabled campaign of the deployment configuration (its cron in
its time zone) starting the RevisitCampaign state machine with the scheduled time, through a role that may do
nothing else, its failed deliveries in an alarmed dead-letter queue; the state machine's ASL (the quiet-hours Wait,
the inline Map and the Distributed Map reading the work bucket, retries and the failure path); the work bucket and
the task function's grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk.assertions import Template

from kefu.config import PUBLIC_API_URL_VAR, REVISIT_BUCKET_VAR
from kefu.revisits.config import Campaign
from kefu_infra.capabilities.function import LAMBDA_SERVICE_ERRORS, FunctionDefaults
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.capabilities.revisits import WORK_ITEMS_DAYS, Revisits
from tests.infra.template_checks import async_path_problems, resources


def statements(synthesized, role) -> list[dict]:
    role_id = synthesized.logical_id(role)
    return [
        statement
        for policy in synthesized.service["Resources"].values()
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def asl(synthesized) -> dict[str, Any]:
    """The state machine's definition, references written as <LogicalId> or <LogicalId.Attribute>."""
    machine = synthesized.service["Resources"][synthesized.logical_id(synthesized.kefu.service.revisits.state_machine)]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(
        part if isinstance(part, str) else f"<{part['Ref']}>" if "Ref" in part else f"<{'.'.join(part['Fn::GetAtt'])}>"
        for part in parts
    )
    return json.loads(text)


@pytest.fixture(scope="module")
def revisits(dev):
    return dev.kefu.service.revisits


# --- the schedules -----------------------------------------------------------------------------------------------


def test_each_campaign_of_the_stage_is_scheduled_on_its_cron_in_its_time_zone(dev, revisits):
    # The revisit group's schedules (the QA sampling has a group of its own).
    found = [
        p
        for p in resources(dev.service, "AWS::Scheduler::Schedule").values()
        if p["Properties"]["GroupName"] == "kefu-dev-revisits"
    ]
    schedules = {p["Properties"]["Name"]: p["Properties"] for p in found}
    campaigns = {campaign.id: campaign for campaign in dev.kefu.deployment.campaigns}

    assert set(schedules) == set(campaigns) == {"weekly-complaint-revisit", "daily-csat-survey", "daily-sms-survey"}
    for campaign_id, schedule in schedules.items():
        campaign = campaigns[campaign_id]
        assert schedule["ScheduleExpression"] == f"cron({campaign.schedule.cron})"
        assert schedule["ScheduleExpressionTimezone"] == campaign.schedule.timezone == "Asia/Shanghai"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["State"] == "ENABLED"
        assert schedule["GroupName"] == "kefu-dev-revisits"
    group_id = dev.logical_id(revisits.schedule_group)
    assert dev.service["Resources"][group_id]["Properties"]["Name"] == "kefu-dev-revisits"
    assert all(group_id in p.get("DependsOn", []) for p in found)  # created after the group it is in
    assert schedules["daily-csat-survey"]["ScheduleExpression"] == "cron(0 11 * * ? *)"


def test_a_schedule_starts_the_state_machine_with_its_campaign_and_scheduled_time(dev, revisits):
    schedule = dev.service["Resources"][dev.logical_id(revisits.schedules["daily-csat-survey"])]["Properties"]
    target = schedule["Target"]

    assert target["Arn"] == {"Ref": dev.logical_id(revisits.state_machine)}
    assert json.loads(target["Input"]) == {
        "campaignId": "daily-csat-survey",
        "scheduledAt": "<aws.scheduler.scheduled-time>",
    }
    assert target["RoleArn"] == {"Fn::GetAtt": [dev.logical_id(revisits.schedule_role), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dev.logical_id(revisits.dead_letters), "Arn"]}}


def test_the_schedules_role_may_only_start_the_state_machine_and_park_what_it_could_not_deliver(dev, revisits):
    role = dev.service["Resources"][dev.logical_id(revisits.schedule_role)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]

    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role
    granted = sorted(
        (action, json.dumps(s["Resource"])) for s in statements(dev, revisits.schedule_role) for action in actions_of(s)
    )
    assert granted == [
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": [dev.logical_id(revisits.dead_letters), "Arn"]})),
        ("states:StartExecution", json.dumps({"Ref": dev.logical_id(revisits.state_machine)})),
    ]


def test_undelivered_campaign_starts_wait_encrypted_in_an_alarmed_dead_letter_queue(dev, revisits):
    queue_id = dev.logical_id(revisits.dead_letters)
    queue = dev.service["Resources"][queue_id]["Properties"]
    dimension = {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    alarms = [
        a["Properties"]
        for a in resources(dev.service, "AWS::CloudWatch::Alarm").values()
        if dimension in a["Properties"].get("Dimensions", [])  # metric-math alarms have none
    ]

    assert queue["SqsManagedSseEnabled"] is True
    assert {a["MetricName"] for a in alarms} == {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
    }
    assert all(a["AlarmActions"] for a in alarms)


def test_a_schedule_without_a_dead_letter_queue_or_with_an_unwatched_one_is_reported():
    schedule = {"Type": "AWS::Scheduler::Schedule", "Properties": {"Target": {"Arn": "arn:aws:states:::x"}}}
    undelivered = {"Type": "AWS::SQS::Queue", "Properties": {}}

    assert async_path_problems({"Resources": {"Run": schedule}}) == ["schedule Run has no dead-letter queue"]
    schedule["Properties"]["Target"]["DeadLetterConfig"] = {"Arn": {"Fn::GetAtt": ["Undelivered", "Arn"]}}
    assert async_path_problems({"Resources": {"Run": schedule, "Undelivered": undelivered}}) == [
        "dead-letter queue Undelivered has no alarm"
    ]


def revisits_in_a_stack_of_its_own(campaigns: list[dict]) -> Template:
    """The construct alone, for a deployment's campaigns (the stage's own stay as they are)."""
    stack = Stack(App(), "Campaigns")
    table = dynamodb.Table(
        stack, "Idempotency", partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    )
    Revisits(
        stack,
        "Revisits",
        prefix="kefu-test",
        campaigns=[Campaign.model_validate(campaign) for campaign in campaigns],
        defaults=FunctionDefaults(layers=[], environment={}, log_retention_days=30, log_level="INFO"),
        grant_domain_data=lambda grantee: iam.Grant.add_to_principal(
            grantee=grantee, actions=["dynamodb:GetItem"], resource_arns=[table.table_arn]
        ),
        idempotency_table=table,
        survey_secret=secretsmanager.Secret(stack, "Secret"),
        mail_identity=ses.EmailIdentity(stack, "Mail", identity=ses.Identity.domain("kefu.test")),
        api_url="https://api.kefu.test/",
        monitoring=Monitoring(stack, "Monitoring", prefix="kefu-test", alarm_email="ops@kefu.test"),
    )
    return Template.from_stack(stack)


def test_a_disabled_campaign_gets_no_schedule_and_each_keeps_its_own_time_zone():
    def campaign(campaign_id: str, cron: str, timezone: str, enabled: bool = True) -> dict:
        return {
            "id": campaign_id,
            "schedule": {"cron": cron, "timezone": timezone},
            "select": {"resolved_days_ago": {"min": 1, "max": 3}},
            "method": "email_survey",
            "enabled": enabled,
        }

    template = revisits_in_a_stack_of_its_own(
        [
            campaign("paris-survey", "30 9 ? * TUE *", "Europe/Paris"),
            campaign("paused-survey", "0 10 * * ? *", "UTC", enabled=False),
        ]
    )

    schedules = list(template.find_resources("AWS::Scheduler::Schedule").values())
    assert [
        (s["Properties"]["Name"], s["Properties"]["ScheduleExpression"], s["Properties"]["ScheduleExpressionTimezone"])
        for s in schedules
    ] == [("paris-survey", "cron(30 9 ? * TUE *)", "Europe/Paris")]


# --- the state machine -------------------------------------------------------------------------------------------


def test_the_run_waits_out_quiet_hours_then_fans_out_inline_or_from_the_work_bucket(dev):
    states = asl(dev)["States"]

    assert asl(dev)["StartAt"] == "Select"
    assert states["Select"]["Next"] == "QuietHours"
    assert states["QuietHours"] == {
        "Type": "Wait",
        "TimestampPath": "$.sendAt",
        "Next": "LargeSelection?",
        "Comment": states["QuietHours"]["Comment"],
    }
    choice = states["LargeSelection?"]
    assert choice["Choices"] == [{"Variable": "$.large", "BooleanEquals": True, "Next": "SendFromBucket"}]
    assert choice["Default"] == "SendInline"
    assert states["SendInline"]["ItemsPath"] == "$.batches"
    assert states["SendInline"]["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert states["SendInline"]["Next"] == states["SendFromBucket"]["Next"] == "Report"
    assert states["Report"]["Next"] == "Done" and states["Done"] == {"Type": "Succeed"}


def test_the_distributed_map_reads_the_batches_select_wrote_to_the_work_bucket(dev, revisits):
    fan_out = asl(dev)["States"]["SendFromBucket"]

    assert fan_out["ItemReader"] == {
        "Resource": "arn:<AWS::Partition>:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": f"<{dev.logical_id(revisits.bucket)}>", "Key.$": "$.items.key"},
    }
    assert fan_out["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    # Batches are made by Select (moto refuses an ItemBatcher): each item is one batch of targets for one child.
    assert "ItemBatcher" not in fan_out
    assert fan_out["ItemSelector"]["batch.$"] == "$$.Map.Item.Value"
    assert fan_out["ResultPath"] is None  # the children's counts are on the run record, not in the state
    assert 1 <= fan_out["MaxConcurrency"] <= 20


def test_both_maps_send_each_batch_with_the_run_it_belongs_to(dev):
    states = asl(dev)["States"]

    for name in ("SendInline", "SendFromBucket"):
        assert states[name]["ItemSelector"] == {
            "action": "send",
            "campaignId.$": "$.campaignId",
            "runId.$": "$.runId",
            "scheduledAt.$": "$.scheduledAt",
            "batch.$": "$$.Map.Item.Value",
        }


def test_every_task_retries_lambda_service_errors_with_backoff_and_failures_end_in_the_failure_record(dev, revisits):
    states = asl(dev)["States"]
    inner = {
        name: state
        for map_state in ("SendInline", "SendFromBucket")
        for name, state in states[map_state]["ItemProcessor"]["States"].items()
    }
    tasks = {name: state for name, state in {**states, **inner}.items() if state["Type"] == "Task"}

    assert set(tasks) == {"Select", "Report", "RecordFailure", "SendBatch", "SendBatchFromBucket"}
    function = f"<{dev.logical_id(revisits.task.function)}.Arn>"
    for name, task in tasks.items():
        assert task["Resource"] == function, name
        (service_errors,) = [r for r in task["Retry"] if r["ErrorEquals"] == LAMBDA_SERVICE_ERRORS]
        assert service_errors["BackoffRate"] > 1 and service_errors["MaxAttempts"] >= 3, name
    for name in ("Select", "SendInline", "SendFromBucket", "Report"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "RecordFailure"}
        ], name
    assert states["RecordFailure"]["Next"] == "RunFailed"
    assert states["RunFailed"] == {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}


def test_the_state_machine_is_standard_logged_and_traced(dev, revisits):
    machine = dev.service["Resources"][dev.logical_id(revisits.state_machine)]["Properties"]
    log_group = dev.service["Resources"][dev.logical_id(revisits.log_group)]["Properties"]

    assert machine["StateMachineType"] == "STANDARD"
    assert machine["StateMachineName"] == "kefu-dev-revisit-campaign"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert log_group["LogGroupName"] == "/aws/vendedlogs/states/kefu-dev-revisit-campaign"
    assert log_group["RetentionInDays"] > 0


# --- the work bucket and the task function -----------------------------------------------------------------------


def test_the_work_bucket_is_private_encrypted_tls_only_and_empties_itself(dev, revisits):
    bucket_id = dev.logical_id(revisits.bucket)
    bucket = dev.service["Resources"][bucket_id]["Properties"]
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(dev.service, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]

    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert [r["ExpirationInDays"] for r in bucket["LifecycleConfiguration"]["Rules"]] == [WORK_ITEMS_DAYS]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def test_the_task_function_knows_the_work_bucket_and_the_public_api_url(dev, revisits):
    environment = dev.service["Resources"][dev.logical_id(revisits.task.function)]["Properties"]["Environment"]
    variables = environment["Variables"]

    assert variables[REVISIT_BUCKET_VAR] == {"Ref": dev.logical_id(revisits.bucket)}
    assert "execute-api" in json.dumps(variables[PUBLIC_API_URL_VAR])
    assert variables["KEFU_SURVEY_SECRET_ARN"]


def test_the_task_function_may_use_the_tables_the_secret_ses_and_its_runs_in_the_bucket_and_nothing_more(dev, revisits):
    granted = {action for s in statements(dev, revisits.task.role) for action in actions_of(s)}

    assert {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"} <= granted
    assert {"secretsmanager:GetSecretValue", "ses:SendEmail", "ses:SendRawEmail", "s3:PutObject"} <= granted
    assert not {"dynamodb:Scan", "s3:GetObject", "s3:DeleteObject", "states:StartExecution"} & granted
    (put,) = [s for s in statements(dev, revisits.task.role) if "s3:PutObject" in actions_of(s)]
    assert put["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [dev.logical_id(revisits.bucket), "Arn"]}, "/runs/*"]]}
