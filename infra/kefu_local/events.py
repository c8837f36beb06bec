"""EventBridge rules of the templates, and the events S3 sends them, delivered to the rules' targets locally.

`EventBus(templates, endpoint)` reads every `AWS::Events::Rule` (its `EventPattern`, matched with
`kefu_local.patterns`, its `State`, its bus, its `Targets`). `put(event)` delivers an event to the targets of every
enabled rule of its bus whose pattern matches it: an SQS queue (SendMessage, the event JSON as the body; FIFO
queues get the target's `SqsParameters.MessageGroupId`), a Lambda function (an asynchronous Invoke, dispatched
in-process by `kefu_local.lambdas`), a state machine (StartExecution), each after the target's `Input`,
`InputPath` or `InputTransformer`. `object_created(bucket, key, size, etag)` builds the "Object Created" event S3
sends to EventBridge for a bucket with EventBridge notifications on, and puts it on the default bus.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3

from kefu import clock
from kefu_local import patterns, references
from kefu_local.runtime import LOCAL_REGION
from kefu_local.targets import deliver
from kefu_local.templates import Templates, Unresolvable

log = logging.getLogger(__name__)

RULE = references.RULE
DEFAULT_BUS = "default"
_REQUEST_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class RuleTarget:
    id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    message_group_id: str | None = None


@dataclass
class LocalRule:
    name: str
    arn: str
    bus: str
    pattern: dict[str, Any]
    enabled: bool
    targets: list[RuleTarget] = field(default_factory=list)


def rules_of(templates: Templates) -> list[LocalRule]:
    """The templates' rules with an event pattern (scheduled rules have none), resolved to local names and ARNs."""
    rules = []
    for resource in templates.resources(RULE):
        try:
            props = templates.resolve(resource.stack, resource.properties)
        except Unresolvable as err:
            log.warning("rule %s is not run locally: %s has no local value", resource.logical_id, err)
            continue
        if "EventPattern" not in props:
            continue
        bus = str(props.get("EventBusName") or DEFAULT_BUS).rsplit("/", 1)[-1]
        rules.append(
            LocalRule(
                name=references.physical_name(templates, resource),
                arn=str(templates.resolve(resource.stack, {"Fn::GetAtt": [resource.logical_id, "Arn"]})),
                bus=bus,
                pattern=patterns.parse(props["EventPattern"]),
                enabled=props.get("State", "ENABLED") != "DISABLED",
                targets=[
                    RuleTarget(
                        id=target["Id"],
                        arn=target["Arn"],
                        input=target.get("Input"),
                        input_path=target.get("InputPath"),
                        input_transformer=target.get("InputTransformer"),
                        message_group_id=target.get("SqsParameters", {}).get("MessageGroupId"),
                    )
                    for target in props.get("Targets", [])
                ],
            )
        )
    return rules


def object_created_event(
    bucket: str,
    key: str,
    size: int,
    etag: str,
    *,
    account: str,
    region: str = LOCAL_REGION,
    version_id: str | None = None,
    requester: str | None = None,
    source_ip: str = "127.0.0.1",
    reason: str = "PutObject",
) -> dict[str, Any]:
    """The event S3 sends to EventBridge when an object is created (detail-type "Object Created")."""
    obj: dict[str, Any] = {"key": key, "size": size, "etag": etag.strip('"')}
    if version_id:
        obj["version-id"] = version_id
    obj["sequencer"] = f"{time.time_ns():X}".rjust(18, "0")[:18]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(16)),
            "requester": requester or account,
            "source-ip-address": source_ip,
            "reason": reason,
        },
    }


def _path(document: Any, path: str) -> Any:
    """A simple JSONPath (`$`, `$.detail.object.key`, `$.resources[0]`) into the event; None if absent."""
    value = document
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path.removeprefix("$")):
        name, index = part
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
    return value


def transformed(target: RuleTarget, event: dict[str, Any], rule: LocalRule) -> str:
    """What the target receives: the event, or its `Input`, `InputPath` or `InputTransformer` rendering."""
    if target.input is not None:
        return target.input
    if target.input_path:
        return json.dumps(_path(event, target.input_path))
    if target.input_transformer:
        values = {name: _path(event, path) for name, path in target.input_transformer.get("InputPathsMap", {}).items()}
        values |= {
            "aws.events.rule-arn": rule.arn,
            "aws.events.rule-name": rule.name,
            "aws.events.event.ingestion-time": event.get("time"),
            "aws.events.event": event,
            "aws.events.event.json": event,
        }

        def render(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            if match.group(1) not in values:
                return match.group(0)
            return value if isinstance(value, str) else json.dumps(value)

        return re.sub(r"<([\w.-]+)>", render, target.input_transformer["InputTemplate"])
    return json.dumps(event)


class EventBus:
    """Delivers events to the targets of the templates' matching rules, with clients against the local endpoint."""

    def __init__(self, rules: list[LocalRule], endpoint: str | None, *, account: str, region: str = LOCAL_REGION):
        self.rules = rules
        self.endpoint = endpoint
        self.account = account
        self.region = region
        self._clients: dict[str, Any] = {}

    @classmethod
    def from_templates(cls, templates: Templates, endpoint: str | None) -> EventBus:
        return cls(rules_of(templates), endpoint, account=templates.account, region=templates.region)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=self.region)
        return self._clients[service]

    def matching(self, event: dict[str, Any], bus: str = DEFAULT_BUS) -> list[LocalRule]:
        return [r for r in self.rules if r.enabled and r.bus == bus and patterns.matches(r.pattern, event)]

    def put(self, event: dict[str, Any], bus: str = DEFAULT_BUS) -> int:
        """Deliver `event` to every matching rule's targets; how many deliveries succeeded."""
        delivered = 0
        for rule in self.matching(event, bus):
            for target in rule.targets:
                try:
                    self._deliver(target, transformed(target, event, rule))
                    delivered += 1
                except Exception:
                    log.exception("rule %s: delivery to %s failed", rule.name, target.arn)
        return delivered

    def object_created(self, bucket: str, key: str, size: int, etag: str, **details: Any) -> dict[str, Any]:
        """S3's "Object Created" event for this object, put on the default bus; the event."""
        event = object_created_event(bucket, key, size, etag, account=self.account, region=self.region, **details)
        self.put(event)
        return event

    def _deliver(self, target: RuleTarget, body: str) -> None:
        deliver(self.client, target.arn, body, group=target.message_group_id or target.id)
