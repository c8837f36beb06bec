"""Delivering to a queue by its ARN locally (kefu_local.targets), as EventBridge, Scheduler and Lambda do."""

from __future__ import annotations

import uuid

import boto3

from kefu_local.targets import send_to_queue


def test_messages_sent_to_a_queue_by_its_arn_ask_its_url_once(aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    # A name of its own: the URLs asked are kept for the process.
    url = sqs.create_queue(QueueName=f"deliveries-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    asked = []
    sqs.meta.events.register("before-call.sqs.GetQueueUrl", lambda **_: asked.append(1))

    for n in range(3):
        send_to_queue(sqs, arn, f"message {n}", group="g")

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["message 0", "message 1", "message 2"]
    # AWS's services send to a target by its ARN and make no other call: the local stack asks the URL once.
    assert len(asked) == 1
