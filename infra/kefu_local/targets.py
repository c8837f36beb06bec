"""Delivering a body to a target by its ARN, as EventBridge rules, Scheduler schedules and stream event source
mappings do: an SQS queue (SendMessage), a Lambda function (an asynchronous Invoke), a state machine
(StartExecution)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any


def deliver(client: Callable[[str], Any], arn: str, body: str, *, group: str) -> None:
    """Deliver `body` to the target `arn` with `client(service)`; `group` is a FIFO queue's MessageGroupId."""
    service = arn.split(":")[2]
    if service == "sqs":
        send_to_queue(client("sqs"), arn, body, group=group)
    elif service == "lambda":
        client("lambda").invoke(FunctionName=arn, InvocationType="Event", Payload=body.encode())
    elif service == "states":
        client("stepfunctions").start_execution(stateMachineArn=arn, input=body)
    else:
        raise ValueError(f"targets of {service} are not delivered locally")


#: (SQS endpoint, queue ARN) -> the queue's URL. EventBridge, Scheduler and Lambda send to a target queue by its ARN
#: and make no other call; asking the URL once per queue, not before every message, keeps the local stack's calls
#: those AWS makes (`make cost` counts them: tests/cost/meter.py). A queue's URL is its account and name, the same
#: when a `kefu_local reset` makes the queue again.
_queue_urls: dict[tuple[str, str], str] = {}


def send_to_queue(sqs: Any, queue_arn: str, body: str, *, group: str, **extra: Any) -> None:
    """SendMessage to the queue `queue_arn`; a FIFO queue's message gets `group` and a deduplication id of its own."""
    _, _, _, _, account, name = queue_arn.split(":")
    key = (sqs.meta.endpoint_url, queue_arn)
    url = _queue_urls.get(key)
    if url is None:
        url = _queue_urls[key] = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body, **extra}
    if name.endswith(".fifo"):
        request["MessageGroupId"] = group
        request["MessageDeduplicationId"] = str(uuid.uuid4())
    sqs.send_message(**request)
