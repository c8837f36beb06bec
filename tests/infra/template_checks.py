"""Checks over synthesized CloudFormation templates. Each returns the problems it finds (empty when none), so a
test can show every problem at once, and so each check can be tried on a template built to fail it."""

from __future__ import annotations

import json
from typing import Any

Template = dict[str, Any]

#: Services that invoke a Lambda function asynchronously when given permission to invoke it.
ASYNC_INVOKERS = {
    "s3.amazonaws.com",
    "sns.amazonaws.com",
    "events.amazonaws.com",
    "ses.amazonaws.com",
    "logs.amazonaws.com",
    "iot.amazonaws.com",
}
#: The actions active tracing needs on '*' (X-Ray has no resource-level permissions).
TRACING_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
#: SNS Publish to a phone number (a text message) names no resource either: allowed on '*' only beside a deny of
#: sns:Publish on every topic, so that it reaches phone numbers alone.
TEXT_ACTIONS = {"sns:Publish"}


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties", {})


def target(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


# --- async paths -----------------------------------------------------------------------------------------


def async_invoked_functions(template: Template) -> set[str]:
    """Functions something invokes asynchronously: a service given permission, a rule, a schedule, a topic."""
    invoked = set()
    for permission in resources(template, "AWS::Lambda::Permission").values():
        if props(permission).get("Principal") in ASYNC_INVOKERS:
            invoked.add(target(props(permission).get("FunctionName")))
    for config in resources(template, "AWS::Lambda::EventInvokeConfig").values():
        invoked.add(target(props(config).get("FunctionName")))
    for rule in resources(template, "AWS::Events::Rule").values():
        invoked.update(target(t.get("Arn")) for t in props(rule).get("Targets", []))
    for schedule in resources(template, "AWS::Scheduler::Schedule").values():
        invoked.add(target(props(schedule).get("Target", {}).get("Arn")))
    for subscription in resources(template, "AWS::SNS::Subscription").values():
        if props(subscription).get("Protocol") == "lambda":
            invoked.add(target(props(subscription).get("Endpoint")))
    functions = resources(template, "AWS::Lambda::Function")
    return {fid for fid in invoked if fid in functions}


def _failure_destination(template: Template, function_id: str) -> str | None:
    function = resources(template, "AWS::Lambda::Function")[function_id]
    dead_letters = target(props(function).get("DeadLetterConfig", {}).get("TargetArn"))
    if dead_letters:
        return dead_letters
    for config in resources(template, "AWS::Lambda::EventInvokeConfig").values():
        if target(props(config).get("FunctionName")) == function_id:
            on_failure = props(config).get("DestinationConfig", {}).get("OnFailure", {})
            return target(on_failure.get("Destination"))
    return None


def _alarmed_queues(template: Template) -> set[str]:
    alarmed = set()
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        p = props(alarm)
        if p.get("Namespace") != "AWS/SQS" or p.get("MetricName") != "ApproximateNumberOfMessagesVisible":
            continue
        if not p.get("AlarmActions"):
            continue
        for dimension in p.get("Dimensions", []):
            if dimension.get("Name") == "QueueName":
                alarmed.add(target(dimension.get("Value")))
    return alarmed


def async_path_problems(template: Template) -> list[str]:
    """Every SQS queue, every asynchronously invoked function and every schedule has a dead-letter queue, with an
    alarm on it."""
    queues = resources(template, "AWS::SQS::Queue")
    redrive = {qid: target(props(q).get("RedrivePolicy", {}).get("deadLetterTargetArn")) for qid, q in queues.items()}
    dead_letter_queues = {dlq for dlq in redrive.values() if dlq}
    problems = []
    for fid in sorted(async_invoked_functions(template)):
        destination = _failure_destination(template, fid)
        if destination is None:
            problems.append(f"function {fid} is invoked asynchronously but has no dead-letter queue")
        elif destination not in queues:
            problems.append(f"function {fid} sends failures to {destination}, which is not a queue here")
        else:
            dead_letter_queues.add(destination)
    for mapping in resources(template, "AWS::Lambda::EventSourceMapping").values():
        # A stream mapping's on-failure destination is where Lambda describes the records it gave up on.
        on_failure = props(mapping).get("DestinationConfig", {}).get("OnFailure", {})
        if target(on_failure.get("Destination")) in queues:
            dead_letter_queues.add(target(on_failure.get("Destination")))
    for sid, schedule in resources(template, "AWS::Scheduler::Schedule").items():
        # Where EventBridge Scheduler puts an occurrence it could not deliver to its target after its retries.
        dead_letters = target(props(schedule).get("Target", {}).get("DeadLetterConfig", {}).get("Arn"))
        if dead_letters in queues:
            dead_letter_queues.add(dead_letters)
        else:
            problems.append(f"schedule {sid} has no dead-letter queue")
    problems += [
        f"queue {qid} has no dead-letter queue"
        for qid, dlq in redrive.items()
        if dlq is None and qid not in dead_letter_queues
    ]
    alarmed = _alarmed_queues(template)
    problems += [f"dead-letter queue {dlq} has no alarm" for dlq in sorted(dead_letter_queues - alarmed)]
    return problems


def visibility_problems(template: Template) -> list[str]:
    """Each queue hides a received message for at least six times its consumer's timeout."""
    queues = resources(template, "AWS::SQS::Queue")
    functions = resources(template, "AWS::Lambda::Function")
    problems = []
    for mid, mapping in resources(template, "AWS::Lambda::EventSourceMapping").items():
        qid = target(props(mapping).get("EventSourceArn"))
        if qid not in queues:
            continue
        fid = target(props(mapping).get("FunctionName"))
        timeout = props(functions[fid]).get("Timeout", 3)
        visibility = props(queues[qid]).get("VisibilityTimeout", 30)
        if visibility < 6 * timeout:
            problems.append(f"{mid}: queue {qid} visibility timeout {visibility}s < 6 x {fid} timeout {timeout}s")
    return problems


# --- functions -------------------------------------------------------------------------------------------


def function_problems(template: Template) -> list[str]:
    """JSON logging into a log group with a retention, active tracing, arm64, Python 3.13."""
    log_groups = resources(template, "AWS::Logs::LogGroup")
    problems = []
    for fid, function in resources(template, "AWS::Lambda::Function").items():
        p = props(function)
        logging = p.get("LoggingConfig", {})
        if logging.get("LogFormat") != "JSON":
            problems.append(f"{fid}: logs are not JSON")
        group = target(logging.get("LogGroup"))
        if group not in log_groups:
            problems.append(f"{fid}: no log group of its own in the template")
        elif "RetentionInDays" not in props(log_groups[group]):
            problems.append(f"{fid}: its log group {group} keeps logs forever")
        if p.get("TracingConfig", {}).get("Mode") != "Active":
            problems.append(f"{fid}: tracing is not active")
        if p.get("Architectures") != ["arm64"]:
            problems.append(f"{fid}: not arm64")
        if p.get("Runtime") != "python3.13":
            problems.append(f"{fid}: runtime {p.get('Runtime')}, not python3.13")
    return problems


def log_retention_problems(template: Template) -> list[str]:
    return [
        f"log group {gid} keeps logs forever"
        for gid, group in resources(template, "AWS::Logs::LogGroup").items()
        if "RetentionInDays" not in props(group)
    ]


def role_problems(template: Template) -> list[str]:
    """Each function has a role of its own, and no wildcard action on anything but X-Ray's '*'."""
    functions = resources(template, "AWS::Lambda::Function")
    roles = {fid: target(props(f).get("Role")) for fid, f in functions.items()}
    problems = []
    for role in {r for r in roles.values() if list(roles.values()).count(r) > 1}:
        problems.append(f"role {role} is shared by {sorted(f for f, r in roles.items() if r == role)}")
    function_roles = set(roles.values())
    for pid, policy in resources(template, "AWS::IAM::Policy").items():
        if not {target(r) for r in props(policy).get("Roles", [])} & function_roles:
            continue
        statements = props(policy)["PolicyDocument"]["Statement"]
        texts_only = any(
            s.get("Effect") == "Deny" and "sns:Publish" in _listed(s["Action"]) and _every_topic(s["Resource"])
            for s in statements
        )
        for statement in statements:
            if statement.get("Effect") == "Deny":
                continue
            actions = _listed(statement["Action"])
            on = _listed(statement["Resource"])
            allowed = TRACING_ACTIONS | (TEXT_ACTIONS if texts_only else set())
            if "*" in on and not set(actions) <= allowed:
                problems.append(f"{pid}: {sorted(actions)} on '*'")
            wild = [a for a in actions if "*" in a]
            if wild:
                problems.append(f"{pid}: wildcard actions {wild}")
    for rid, role in resources(template, "AWS::IAM::Role").items():
        if rid in function_roles and props(role).get("ManagedPolicyArns"):
            problems.append(f"role {rid} has managed policies")
    return problems


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _every_topic(resource: Any) -> bool:
    """arn:<partition>:sns:*:*:* (plain, or joined around the partition)."""
    text = resource if isinstance(resource, str) else json.dumps(resource)
    return ":sns:*:*:*" in text


# --- the domain table ------------------------------------------------------------------------------------


def _key_schema(keys: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((k["KeyType"], k["AttributeName"]) for k in keys)


def _projection(projection: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return (projection.get("ProjectionType", "ALL"), tuple(sorted(projection.get("NonKeyAttributes", []))))


def table_schema_from_template(table: dict[str, Any]) -> dict[str, Any]:
    """The parts of an AWS::DynamoDB::Table the pynamodb model also declares, in one comparable shape."""
    p = props(table)
    indexes = {
        kind: {
            index["IndexName"]: (_key_schema(index["KeySchema"]), _projection(index.get("Projection", {})))
            for index in p.get(key, [])
        }
        for kind, key in (("global", "GlobalSecondaryIndexes"), ("local", "LocalSecondaryIndexes"))
    }
    return {
        "keys": _key_schema(p["KeySchema"]),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in p["AttributeDefinitions"]),
        "indexes": indexes,
        "stream": p.get("StreamSpecification", {}).get("StreamViewType"),
        "billing": p.get("BillingMode", "PROVISIONED"),
    }


def table_schema_from_model(model: Any) -> dict[str, Any]:
    """The same shape, from what pynamodb would send to CreateTable for the model."""
    schema = model._get_schema()
    indexes = {
        kind: {
            index["index_name"]: (_key_schema(index["key_schema"]), _projection(index["projection"]))
            for index in schema.get(key, [])
        }
        for kind, key in (("global", "global_secondary_indexes"), ("local", "local_secondary_indexes"))
    }
    return {
        "keys": _key_schema(schema["key_schema"]),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]),
        "indexes": indexes,
        "stream": getattr(model.Meta, "stream_view_type", None),
        "billing": getattr(model.Meta, "billing_mode", "PROVISIONED"),
    }


# --- stateful resources ----------------------------------------------------------------------------------

STATEFUL_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Cognito::UserPool")


def stateful_problems(template: Template) -> list[str]:
    """Retained on deletion and replacement, encrypted, recoverable, protected from deletion."""
    problems = []
    for kind in STATEFUL_TYPES:
        for rid, resource in resources(template, kind).items():
            if resource.get("DeletionPolicy") != "Retain" or resource.get("UpdateReplacePolicy") != "Retain":
                problems.append(f"{rid}: not retained")
    for rid, table in resources(template, "AWS::DynamoDB::Table").items():
        p = props(table)
        if not p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            problems.append(f"{rid}: no point-in-time recovery")
        if not p.get("DeletionProtectionEnabled"):
            problems.append(f"{rid}: no deletion protection")
        if not p.get("SSESpecification", {}).get("SSEEnabled"):
            problems.append(f"{rid}: not encrypted with a KMS key")
    for rid, bucket in resources(template, "AWS::S3::Bucket").items():
        if not props(bucket).get("BucketEncryption"):
            problems.append(f"{rid}: no default encryption")
        if props(bucket).get("PublicAccessBlockConfiguration") != {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }:
            problems.append(f"{rid}: public access not blocked")
    for rid, pool in resources(template, "AWS::Cognito::UserPool").items():
        if props(pool).get("DeletionProtection") != "ACTIVE":
            problems.append(f"{rid}: no deletion protection")
    return problems
