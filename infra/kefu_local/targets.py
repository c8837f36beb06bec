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


def send_to_queue(sqs: Any, queue_arn: str, body: str, *, group: str, **extra: Any) -> None:
    """SendMessage to the queue `queue_arn`; a FIFO queue's message gets `group` and a deduplication id of its own."""
    _, _, _, _, account, name = queue_arn.split(":")
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body, **extra}
    if name.endswith(".fifo"):
        request["MessageGroupId"] = group
        request["MessageDeduplicationId"] = str(uuid.uuid4())
    sqs.send_message(**request)
