"""The template's tables, queues, buckets, secrets, topics, event buses and SES sending identities, created in the
local moto server under deterministic names, and the template's functions as the local stack runs them (source file,
environment, event source mappings).

Local names: `<stack>-<construct path>` (`kefu-dev-stateful-Table`, `kefu-dev-service-IntakeQueue`), or the
template's own name when it gives one; buckets in lower case. The functions learn them as in AWS, through the
environment variables the template gives them, resolved here.

`KEFU_LOCAL_VISIBILITY_TIMEOUT=<seconds>` shortens the visibility timeout of every queue a function polls, so a
failed message comes back (and reaches its dead-letter queue after maxReceiveCount) in seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from kefu_local.config import REPO_ROOT, LocalStackError
from kefu_local.templates import Resource, Templates, Unresolvable

log = logging.getLogger(__name__)

VISIBILITY_VAR = "KEFU_LOCAL_VISIBILITY_TIMEOUT"
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
#: Either table type, where they resolve alike.
_ANY_TABLE = "table"
QUEUE = "AWS::SQS::Queue"
BUCKET = "AWS::S3::Bucket"
SECRET = "AWS::SecretsManager::Secret"
TOPIC = "AWS::SNS::Topic"
EVENT_BUS = "AWS::Events::EventBus"
#: A domain (or address) SES may send from: created verified locally, as SES moto refuses mail from anything else.
EMAIL_IDENTITY = "AWS::SES::EmailIdentity"
FUNCTION = "AWS::Lambda::Function"
MAPPING = "AWS::Lambda::EventSourceMapping"
#: A function's asynchronous invocations: their retries and on-failure destination.
INVOKE_CONFIG = "AWS::Lambda::EventInvokeConfig"
#: A role a function hands to a service (the notices' wake-up schedules): only its ARN matters locally, where
#: nothing assumes it.
ROLE = "AWS::IAM::Role"
#: SQS queue properties that map one to one onto queue attributes.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def visibility_override() -> int | None:
    raw = os.environ.get(VISIBILITY_VAR, "").strip()
    if not raw:
        return None
    try:
        seconds = int(raw)
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 43200:
        raise LocalStackError(f"{VISIBILITY_VAR} must be a number of seconds (0-43200), got {raw!r}")
    return seconds


def _named(resource: Resource) -> str:
    """The name of a resource nothing creates locally: a function (run in-process), a role (never assumed)."""
    if resource.type == FUNCTION:
        return str(resource.properties.get("FunctionName") or local_name(resource))
    if resource.type == ROLE:
        return str(resource.properties.get("RoleName") or resource.logical_id)
    raise Unresolvable(f"{resource.type} {resource.logical_id} has no local counterpart")


def local_name(resource: Resource) -> str:
    name = f"{resource.stack}-{resource.construct_path}"
    if resource.type == BUCKET:
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())[:63].strip("-")
    return name


@dataclass
class LocalFunctionSpec:
    """A function of the template, as the local stack runs it."""

    logical_id: str
    name: str
    handler_file: Path
    handler: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    #: Retries of a failed asynchronous invocation (its event invoke config; Lambda's default 2).
    async_retries: int = 2
    #: The SQS queue a failed asynchronous invocation goes to once its retries are exhausted (its ARN), if any.
    on_failure_arn: str | None = None


@dataclass
class QueueMapping:
    """An SQS event source mapping: which function polls which queue, how."""

    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    window_seconds: float
    report_item_failures: bool
    enabled: bool = True


@dataclass
class LocalResources:
    """What was created in moto, by local name."""

    tables: dict[str, Resource] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # name → URL
    buckets: dict[str, Resource] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # name → ARN
    topics: dict[str, str] = field(default_factory=dict)  # name → ARN
    functions: dict[str, LocalFunctionSpec] = field(default_factory=dict)
    mappings: list[QueueMapping] = field(default_factory=list)


class ResourceBuilder:
    """Creates the template's resources in moto on first reference, so `Ref`s and `GetAtt`s resolve in any order."""

    def __init__(self, templates: Templates, endpoint: str):
        self.templates = templates
        self.endpoint = endpoint
        self.created = LocalResources()
        self._physical: dict[tuple[str, str], str] = {}
        self._polled: set[tuple[str, str]] = set()
        self._visibility = visibility_override()
        self._clients: dict[str, Any] = {}
        templates.ref = self._ref
        templates.att = self._att
        for mapping in templates.resources(MAPPING):
            arn = mapping.properties.get("EventSourceArn")
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                self._polled.add((mapping.stack, arn["Fn::GetAtt"][0]))

    def client(self, service: str) -> Any:
        # One client a service for the build: it asks for one per resource (~80 a start), at ~25 ms of CPU each.
        if service not in self._clients:
            region = self.templates.region
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=region)
        return self._clients[service]

    def build(self) -> LocalResources:
        for resource in self.templates.resources(*TABLE_TYPES, QUEUE, BUCKET, SECRET, TOPIC, EMAIL_IDENTITY, EVENT_BUS):
            self._ref(resource)
        for resource in self.templates.resources(FUNCTION):
            self._function(resource)
        for resource in self.templates.resources(INVOKE_CONFIG):
            self._invoke_config(resource)
        for resource in self.templates.resources(MAPPING):
            self._mapping(resource)
        return self.created

    # -- Ref and GetAtt ------------------------------------------------------------------------------------------

    def _ref(self, resource: Resource) -> str:
        key = (resource.stack, resource.logical_id)
        if key not in self._physical:
            if resource.type in TABLE_TYPES:
                self._physical[key] = self._create_table(resource)
            elif resource.type == QUEUE:
                self._physical[key] = self._create_queue(resource)
            elif resource.type == BUCKET:
                self._physical[key] = self._create_bucket(resource)
            elif resource.type == SECRET:
                self._physical[key] = self._create_secret(resource)
            elif resource.type == TOPIC:
                self._physical[key] = self._create_topic(resource)
            elif resource.type == EMAIL_IDENTITY:
                self._physical[key] = self._create_email_identity(resource)
            elif resource.type == EVENT_BUS:
                self._physical[key] = self._create_event_bus(resource)
            else:
                self._physical[key] = _named(resource)
        return self._physical[key]

    def _att(self, resource: Resource, attribute: str) -> str:
        physical = self._ref(resource)
        kind = _ANY_TABLE if resource.type in TABLE_TYPES else resource.type
        resolve = self._attributes().get((kind, attribute))
        if resolve is None:
            raise Unresolvable(f"{resource.type} {resource.logical_id}.{attribute}")
        return resolve(physical)

    def _attributes(self) -> dict[tuple[str, str], Callable[[str], str]]:
        """How each type's `Fn::GetAtt` attributes follow from its physical name (or URL, or ARN)."""
        region, account = self.templates.region, self.templates.account
        return {
            (_ANY_TABLE, "Arn"): lambda table: f"arn:aws:dynamodb:{region}:{account}:table/{table}",
            (_ANY_TABLE, "StreamArn"): self._stream_arn,
            (QUEUE, "Arn"): self._queue_arn,
            (QUEUE, "QueueName"): lambda url: url.rsplit("/", 1)[-1],
            (QUEUE, "QueueUrl"): lambda url: url,
            (BUCKET, "Arn"): lambda bucket: f"arn:aws:s3:::{bucket}",
            (BUCKET, "DomainName"): lambda bucket: f"{bucket}.s3.amazonaws.com",
            (BUCKET, "RegionalDomainName"): lambda bucket: f"{bucket}.s3.amazonaws.com",
            (TOPIC, "TopicArn"): lambda topic: topic,
            (TOPIC, "TopicName"): lambda topic: topic.rsplit(":", 1)[-1],
            (EVENT_BUS, "Name"): lambda bus: bus,
            (EVENT_BUS, "Arn"): lambda bus: f"arn:aws:events:{region}:{account}:event-bus/{bus}",
            (FUNCTION, "Arn"): lambda function: f"arn:aws:lambda:{region}:{account}:function:{function}",
            (ROLE, "Arn"): lambda role: f"arn:aws:iam::{account}:role/{role}",
        }

    def _stream_arn(self, table: str) -> str:
        return self.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]

    def _queue_arn(self, url: str) -> str:
        attributes = self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    # -- creation ------------------------------------------------------------------------------------------------

    def _create_table(self, resource: Resource) -> str:
        # A Kinesis destination has no local counterpart: its readers are fed from the table's own stream
        # (kefu_local.streams), so the table is made without it.
        kept = {k: v for k, v in resource.properties.items() if k != "KinesisStreamSpecification"}
        props = self.templates.resolve(resource.stack, kept)
        name = props.get("TableName") or local_name(resource)
        billing = props.get("BillingMode", "PROVISIONED")
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": billing,
        }
        throughput = props.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if billing == "PROVISIONED":
            request["ProvisionedThroughput"] = throughput
        indexes = []
        for index in props.get("GlobalSecondaryIndexes", []):
            entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
            if billing == "PROVISIONED":
                entry["ProvisionedThroughput"] = index.get("ProvisionedThroughput", throughput)
            indexes.append(entry)
        if indexes:
            request["GlobalSecondaryIndexes"] = indexes
        if props.get("LocalSecondaryIndexes"):
            request["LocalSecondaryIndexes"] = [
                {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                for index in props["LocalSecondaryIndexes"]
            ]
        stream = props.get("StreamSpecification")
        if stream and stream.get("StreamViewType"):
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        client = self.client("dynamodb")
        try:
            client.create_table(**request)
        except client.exceptions.ResourceInUseException:
            self.created.tables[name] = resource  # an earlier start in this process made it: it is there all the same
            return name
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        self.created.tables[name] = resource
        return name

    def _create_queue(self, resource: Resource) -> str:
        props = resource.properties
        name = self.templates.resolve(resource.stack, props.get("QueueName")) or local_name(resource)
        if props.get("FifoQueue") and not name.endswith(".fifo"):
            name += ".fifo"
        attributes = {
            key: str(self.templates.resolve(resource.stack, props[key])).lower()
            if isinstance(props[key], bool)
            else str(self.templates.resolve(resource.stack, props[key]))
            for key in _QUEUE_ATTRIBUTES
            if key in props
        }
        if self._visibility is not None and (resource.stack, resource.logical_id) in self._polled:
            attributes["VisibilityTimeout"] = str(self._visibility)
        if "RedrivePolicy" in props:
            # Resolving the target creates the dead-letter queue first.
            policy = self.templates.resolve(resource.stack, props["RedrivePolicy"])
            attributes["RedrivePolicy"] = _json(
                {
                    "deadLetterTargetArn": policy["deadLetterTargetArn"],
                    "maxReceiveCount": int(policy["maxReceiveCount"]),
                }
            )
        sqs = self.client("sqs")
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.QueueNameExists:  # there from an earlier build in this moto: made to match again
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        self.created.queues[name] = url
        return url

    def _create_bucket(self, resource: Resource) -> str:
        name = self.templates.resolve(resource.stack, resource.properties.get("BucketName")) or local_name(resource)
        client = self.client("s3")
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
            client.create_bucket(Bucket=name)
        if resource.properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        self.created.buckets[name] = resource
        return name

    def _create_secret(self, resource: Resource) -> str:
        """A secret with the template's value, or a value generated as GenerateSecretString asks; its ARN (`Ref`)."""
        props = self.templates.resolve(resource.stack, resource.properties)
        name = props.get("Name") or local_name(resource)
        client = self.client("secretsmanager")
        try:
            arn = client.describe_secret(SecretId=name)["ARN"]  # there from an earlier build: its value is kept
        except client.exceptions.ResourceNotFoundException:
            value = props.get("SecretString") or _generated_secret(props.get("GenerateSecretString") or {})
            arn = client.create_secret(Name=name, SecretString=value)["ARN"]
        self.created.secrets[name] = arn
        return arn

    def _create_topic(self, resource: Resource) -> str:
        """A topic by the template's name (its encryption is not reproduced locally); its ARN (`Ref`)."""
        name = self.templates.resolve(resource.stack, resource.properties.get("TopicName")) or local_name(resource)
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]  # creating an existing topic returns it
        self.created.topics[name] = arn
        return arn

    def _create_email_identity(self, resource: Resource) -> str:
        """The identity, verified (moto's SES has nothing to verify); its name (`Ref`)."""
        identity = str(self.templates.resolve(resource.stack, resource.properties["EmailIdentity"]))
        client = self.client("sesv2")
        with contextlib.suppress(client.exceptions.AlreadyExistsException):
            client.create_email_identity(EmailIdentity=identity)
        return identity

    def _create_event_bus(self, resource: Resource) -> str:
        """The bus by the template's name (its rules are the local stack's: kefu_local.buses); its name (`Ref`)."""
        name = str(self.templates.resolve(resource.stack, resource.properties["Name"]))
        client = self.client("events")
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_event_bus(Name=name)
        return name

    # -- functions -----------------------------------------------------------------------------------------------

    def _function(self, resource: Resource) -> None:
        props = resource.properties
        handler = str(props.get("Handler", ""))
        if not str(props.get("Runtime", "python")).startswith("python") or "." not in handler:
            return
        module, _, attribute = handler.rpartition(".")
        asset = self.templates.asset_dir(resource)
        if asset is None:
            return  # inline code (custom resources): nothing kefu runs
        handler_file = _source_of(asset / f"{module.replace('.', '/')}.py")
        name = self._ref(resource)
        environment: dict[str, str] = {}
        for key, value in props.get("Environment", {}).get("Variables", {}).items():
            try:
                resolved = str(self.templates.resolve(resource.stack, value))
            except Unresolvable as err:
                log.warning("%s: %s has no local value (%s); left unset", name, key, err)
                continue
            environment[key] = self._layer_path(resource, resolved)
        self.created.functions[resource.logical_id] = LocalFunctionSpec(
            logical_id=resource.logical_id,
            name=name,
            handler_file=handler_file,
            handler=attribute,
            environment=environment,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
        )

    def _layer_path(self, function: Resource, value: str) -> str:
        """`/opt/x` (a file a layer puts there) → that file in the layer's asset in cdk.out, if it is there."""
        if not value.startswith("/opt/"):
            return value
        for layer in function.properties.get("Layers", []):
            if isinstance(layer, dict) and "Ref" in layer:
                try:
                    asset = self.templates.asset_dir(self.templates.resource(function.stack, layer["Ref"]))
                except Unresolvable:
                    continue
                if asset is not None and (asset / value.removeprefix("/opt/")).exists():
                    return str(asset / value.removeprefix("/opt/"))
        return value

    def _invoke_config(self, resource: Resource) -> None:
        props = resource.properties
        function_ref = props.get("FunctionName", {})
        function_id = function_ref.get("Ref") if isinstance(function_ref, dict) else None
        spec = self.created.functions.get(function_id) if isinstance(function_id, str) else None
        if spec is None:
            log.warning("event invoke config %s: function %s is not run locally", resource.logical_id, function_ref)
            return
        spec.async_retries = int(props.get("MaximumRetryAttempts", 2))
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is None:
            return
        arn = str(self.templates.resolve(resource.stack, destination))
        if ":sqs:" not in arn:
            log.warning("%s: on-failure destination %s is not an SQS queue; not delivered locally", spec.name, arn)
            return
        spec.on_failure_arn = arn

    def _mapping(self, resource: Resource) -> None:
        props = resource.properties
        source = props.get("EventSourceArn")
        if not (isinstance(source, dict) and "Fn::GetAtt" in source):
            return
        queue = self.templates.resource(resource.stack, source["Fn::GetAtt"][0])
        if queue.type != QUEUE:
            return  # DynamoDB streams, Kinesis: not polled locally yet
        function_ref = props.get("FunctionName", {})
        function_id = function_ref.get("Ref") if isinstance(function_ref, dict) else None
        if function_id not in self.created.functions:
            log.warning("event source mapping %s: function %s is not run locally", resource.logical_id, function_ref)
            return
        url = self._ref(queue)
        self.created.mappings.append(
            QueueMapping(
                function=function_id,
                queue_url=url,
                queue_arn=self._queue_arn(url),
                batch_size=int(props.get("BatchSize", 10)),
                window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                enabled=bool(props.get("Enabled", True)),
            )
        )


def _source_of(asset_file: Path) -> Path:
    """The checkout's file that an asset copied (`functions/<name>/handler.py`), so edits show without a synth;
    the asset's copy if none has the same content."""
    if not asset_file.is_file():
        raise LocalStackError(f"{asset_file} is missing: run `make synth`")
    content = asset_file.read_bytes()
    relative = asset_file.name
    for candidate in sorted((REPO_ROOT / "functions").glob(f"*/{relative}")):
        if candidate.read_bytes() == content:
            return candidate
    return asset_file


def _generated_secret(spec: dict[str, Any]) -> str:
    """A random value shaped like GenerateSecretString's (length; letters and digits when it excludes punctuation)."""
    length = int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))
