"""Intake: phone/IVR, chat, social and app-feedback systems put contacts on a queue (DESIGN §2).

The queue and its dead-letter queue exist now, so contact systems can be connected and nothing they send is
lost; the consumer (`functions/intake`) comes with the issue that writes it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge

#: The timeout the intake function will get; the queue hides a received batch for six times as long
#: (AWS's guidance for Lambda consumers), so a batch being retried is never handed out twice at once.
CONSUMER_TIMEOUT = Duration.seconds(30)
VISIBILITY_TIMEOUT = Duration.seconds(6 * CONSUMER_TIMEOUT.to_seconds())
#: A contact that fails this many receives is parked in the dead-letter queue (and an alarm goes off).
MAX_RECEIVES = 5


class Intake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, monitoring: Monitoring) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = self._add_dead_letter_queue()
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
        )
        monitoring.watch_queue("intake", self.queue)
        monitoring.watch_dead_letter_queue("intake", self.dead_letters)

    def _add_dead_letter_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "DeadLetters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(
            queue,
            "Serverless-SQSRedrivePolicy",
            "This is the intake dead-letter queue itself: it keeps failed contacts for 14 days under an alarm; "
            "a dead-letter queue of its own would only move them out of sight.",
        )
        return queue
