"""Intake: phone/IVR, chat, social and app-feedback systems put contacts on a queue (DESIGN §2), and
`functions/intake` turns them into tickets. A contact that can never be taken (not an intake message…) the function
sends to the dead-letter queue itself, with the reason in its message attributes; one failing on the way is reported
as a batch item failure, and after MAX_RECEIVES receives SQS parks it there (alarmed; `kefu dlq show|redrive`).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu.config import INTAKE_DEAD_LETTER_URL_VAR
from kefu_infra.capabilities.dead_letters import dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction, grant_idempotency
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge

#: The intake function's timeout; the queue hides a received batch for six times as long
#: (AWS's guidance for Lambda consumers), so a batch being retried is never handed out twice at once.
CONSUMER_TIMEOUT = Duration.seconds(30)
VISIBILITY_TIMEOUT = Duration.seconds(6 * CONSUMER_TIMEOUT.to_seconds())
#: A contact that fails this many receives is parked in the dead-letter queue (and an alarm goes off).
MAX_RECEIVES = 5
#: Contacts per invocation, and how long Lambda may wait to fill a batch (a contact waits at most this long).
BATCH_SIZE = 10
MAX_BATCHING_WINDOW = Duration.seconds(1)


class Intake(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(self, "DeadLetters", holds="the intake queue")
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
        self.consumer = self._add_consumer(defaults, grant_domain_data, idempotency_table)
        monitoring.watch_function("intake", self.consumer.function)

    def _add_consumer(
        self,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
    ) -> KefuFunction:
        consumer = KefuFunction(
            self,
            "Function",
            name="intake",
            defaults=defaults,
            memory_mb=512,
            timeout=CONSUMER_TIMEOUT,
            description="Turns contacts from the intake queue into tickets",
        )
        function = consumer.function
        grant_domain_data(function)
        self.queue.grant_consume_messages(function)
        # A contact no retry could take is parked at once, with why, rather than received MAX_RECEIVES times.
        # Where the function parks a contact no retry could take (functions/intake).
        function.add_environment(INTAKE_DEAD_LETTER_URL_VAR, self.dead_letters.queue_url)
        self.dead_letters.grant_send_messages(function)
        grant_idempotency(idempotency_table, function)
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=MAX_BATCHING_WINDOW,
                report_batch_item_failures=True,
            )
        )
        acknowledge(
            function,
            "Serverless-LambdaEventSourceMappingDestination",
            "SQS event source mappings take no on-failure destination: the intake queue's redrive policy is the "
            "failure path, parking a record in the alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by an SQS event source mapping, never asynchronously: failed records stay on the intake queue, "
            "whose redrive policy parks them in its alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        return consumer
