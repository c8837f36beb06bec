"""What cdk.out declares exists in the local stack's moto, with the same keys, indexes, streams and redrive, state
machines with the templates' ASL and schedules with their expressions and targets: the local stack cannot drift
from the templates. Also the SQS event and partial-failure rules of the pollers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto.core.config import default_user_config

from kefu_local import references, stepfunctions
from kefu_local.aws import LocalAws
from kefu_local.pollers import failed_ids, sqs_event
from kefu_local.resources import INVOKE_CONFIG, MAPPING, QUEUE, TABLE_TYPES, LocalResources, ResourceBuilder
from kefu_local.schedules import SCHEDULE, create_schedules, schedule_request
from kefu_local.stepfunctions import STATE_MACHINE, create_state_machines, definition_of
from kefu_local.templates import Templates, cloud_assembly

from ..e2e.local_stack import free_port


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Templates, LocalResources, str]]:
    templates = Templates(cloud_assembly())  # reuses a fresh cdk.out, else synthesizes it
    aws = LocalAws("127.0.0.1", free_port())
    aws.start()
    # State machines are created as the local stack creates them: in the backend that parses and runs their ASL.
    sfn_config = default_user_config["stepfunctions"]
    stepfunctions.enable_execution()
    try:
        builder = ResourceBuilder(templates, aws.endpoint)
        references.extend(templates)
        resources = builder.build()
        create_state_machines(templates, client(aws.endpoint, "stepfunctions"))
        create_schedules(templates, client(aws.endpoint, "scheduler"))
        yield templates, resources, aws.endpoint
    finally:
        default_user_config["stepfunctions"] = sfn_config
        aws.stop()


def client(endpoint: str, service: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_every_table_exists_with_the_templates_keys_indexes_stream_and_ttl(built):
    templates, resources, endpoint = built
    dynamodb = client(endpoint, "dynamodb")
    declared = templates.resources(*TABLE_TYPES)
    assert len(declared) >= 2
    assert len(resources.tables) == len(declared)
    for name, resource in resources.tables.items():
        props = resource.properties
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
        local_indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table.get("GlobalSecondaryIndexes", [])
        }
        declared_indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props.get("GlobalSecondaryIndexes", [])
        }
        assert local_indexes == declared_indexes
        stream = props.get("StreamSpecification")
        if stream:
            assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
            assert table["LatestStreamArn"]
        else:
            assert not table.get("StreamSpecification", {}).get("StreamEnabled")
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if props.get("TimeToLiveSpecification", {}).get("Enabled"):
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]


def test_the_domain_table_has_its_indexes_and_a_stream(built):
    templates, _, endpoint = built
    name = templates.output("kefu-dev-stateful", "TableName")
    table = client(endpoint, "dynamodb").describe_table(TableName=name)["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3", "gsi4", "gsi5"}
    assert table["StreamSpecification"]["StreamEnabled"]


def test_every_queue_exists_with_its_redrive_policy_visibility_and_retention(built):
    templates, resources, endpoint = built
    sqs = client(endpoint, "sqs")
    declared = templates.resources(QUEUE)
    assert len(declared) >= 2
    assert len(resources.queues) == len(declared)
    redriven = 0
    for resource in declared:
        url = templates.resolve(resource.stack, {"Ref": resource.logical_id})
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        props = resource.properties
        for key in ("VisibilityTimeout", "MessageRetentionPeriod"):
            if key in props:
                assert attributes[key] == str(props[key]), (resource.logical_id, key)
        if "RedrivePolicy" in props:
            redriven += 1
            policy = json.loads(attributes["RedrivePolicy"])
            target = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            target_url = templates.resolve(resource.stack, {"Ref": target})
            target_arn = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["QueueArn"])
            assert policy["deadLetterTargetArn"] == target_arn["Attributes"]["QueueArn"]
            assert int(policy["maxReceiveCount"]) == props["RedrivePolicy"]["maxReceiveCount"]
    assert redriven >= 1


def test_every_bucket_exists(built):
    templates, _, endpoint = built
    declared = templates.resources("AWS::S3::Bucket")
    assert declared
    local = {b["Name"] for b in client(endpoint, "s3").list_buckets()["Buckets"]}
    for resource in declared:
        assert templates.resolve(resource.stack, {"Ref": resource.logical_id}) in local


def test_functions_get_the_local_names_through_their_template_environment(built):
    templates, resources, _ = built
    table = templates.output("kefu-dev-stateful", "TableName")
    idempotency = templates.output("kefu-dev-stateful", "IdempotencyTableName")
    assert resources.functions
    for spec in resources.functions.values():
        assert spec.handler_file.is_file()
        assert spec.environment["KEFU_TABLE"] == table
        assert spec.environment["KEFU_IDEMPOTENCY_TABLE"] == idempotency
        deployment_file = spec.environment.get("KEFU_DEPLOYMENT_FILE")
        if deployment_file:
            assert not deployment_file.startswith("/opt/"), "the layer's file is read from its asset in cdk.out"


def test_a_function_invoked_asynchronously_gets_its_retries_and_on_failure_queue_from_its_invoke_config(built):
    templates, resources, endpoint = built
    configs = {c.properties["FunctionName"]["Ref"]: c for c in templates.resources(INVOKE_CONFIG)}
    assert configs, "the template configures at least the escalation task's asynchronous invocations"
    for logical_id, spec in resources.functions.items():
        config = configs.get(logical_id)
        if config is None:
            assert (spec.async_retries, spec.on_failure_arn) == (2, None), spec.name
            continue
        assert spec.async_retries == config.properties["MaximumRetryAttempts"]
        queue = config.properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        url = templates.resolve(config.stack, {"Ref": queue})
        attributes = client(endpoint, "sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        assert spec.on_failure_arn == attributes["Attributes"]["QueueArn"], spec.name


def test_each_sqs_event_source_mapping_becomes_a_poller_with_the_templates_settings(built):
    templates, resources, _ = built
    declared = [m for m in templates.resources(MAPPING) if "Fn::GetAtt" in m.properties.get("EventSourceArn", {})]
    assert len(resources.mappings) == len(declared) >= 1
    intake = next(m for m in resources.mappings if m.queue_url.endswith("Intake-Queue"))
    source = next(m for m in declared if "Intake" in m.logical_id).properties
    assert intake.batch_size == source["BatchSize"]
    assert intake.window_seconds == source["MaximumBatchingWindowInSeconds"]
    assert intake.report_item_failures
    assert resources.functions[intake.function].handler_file.parts[-2] == "intake"


def test_the_visibility_timeout_override_applies_to_polled_queues(built, monkeypatch):
    # moto's servers in one process share their state: this rebuild updates the module's queues, then restores them.
    templates, _, endpoint = built
    monkeypatch.setenv("KEFU_LOCAL_VISIBILITY_TIMEOUT", "2")
    try:
        resources = ResourceBuilder(Templates(templates.cdk_out), endpoint).build()
        polled = resources.mappings[0].queue_url
        visibility = client(endpoint, "sqs").get_queue_attributes(QueueUrl=polled, AttributeNames=["VisibilityTimeout"])
        assert visibility["Attributes"] == {"VisibilityTimeout": "2"}
    finally:
        monkeypatch.delenv("KEFU_LOCAL_VISIBILITY_TIMEOUT")
        ResourceBuilder(Templates(templates.cdk_out), endpoint).build()


def test_an_sqs_event_has_lambdas_record_shape():
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"k": {"StringValue": "v", "DataType": "String"}},
    }
    (record,) = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:q")["Records"]
    assert record["messageId"] == "m1"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":q")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["k"]["stringValue"] == "v"


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        (None, set()),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ("not a dict", {"a", "b"}),
    ],
)
def test_reported_failures_follow_lambdas_rules(response, failed):
    assert failed_ids(response, {"a", "b"}) == failed


def test_every_state_machine_exists_with_the_templates_asl_resolved_to_local_names(built):
    templates, _, endpoint = built
    sfn = client(endpoint, "stepfunctions")
    local = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for resource in templates.resources(STATE_MACHINE):
        arn = templates.resolve(resource.stack, {"Ref": resource.logical_id})
        assert arn in local.values(), resource.logical_id
        described = sfn.describe_state_machine(stateMachineArn=arn)
        assert json.loads(described["definition"]) == definition_of(templates, resource), resource.logical_id
        assert described["type"] == resource.properties.get("StateMachineType", "STANDARD")
        assert "${" not in described["definition"], "every DefinitionSubstitution is applied"


def test_every_schedule_exists_with_its_expression_time_zone_window_state_and_target(built):
    templates, _, endpoint = built
    scheduler = client(endpoint, "scheduler")
    for resource in templates.resources(SCHEDULE):
        declared = schedule_request(
            templates.resolve(resource.stack, resource.properties), references.physical_name(templates, resource)
        )
        local = scheduler.get_schedule(Name=declared["Name"], GroupName=declared.get("GroupName", "default"))
        assert local["ScheduleExpression"] == declared["ScheduleExpression"], resource.logical_id
        assert local["ScheduleExpressionTimezone"] == declared.get("ScheduleExpressionTimezone", "UTC")
        assert local["FlexibleTimeWindow"] == declared["FlexibleTimeWindow"]
        assert local["State"] == declared.get("State", "ENABLED")
        target = {key: value for key, value in local["Target"].items() if key != "RetryPolicy"}
        expected = {key: value for key, value in declared["Target"].items() if key != "RetryPolicy"}
        assert target == expected, resource.logical_id
        if "RetryPolicy" in declared["Target"]:
            assert local["Target"]["RetryPolicy"] == declared["Target"]["RetryPolicy"]
