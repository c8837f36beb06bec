"""Customer notifications: a rule on kefu's bus, a queue, and `functions/notifications`, which tells each customer
of an agent's answer, of their ticket waiting on them, and of its resolution, by their contact preference.

    kefu bus ── rule (kefu.ticket.replied, kefu.ticket.status-changed) ──> Notifications queue ──> notifications
    EventBridge Scheduler (one-time `at()` schedules, kefu-notice-*) ──────────┘        │
                          SES (e-mail) · SNS (SMS) · PutEvents kefu.customer.notified (app push) <──┘

- The queue (encrypted, TLS only) parks a message received MAX_RECEIVES times in its dead-letter queue, which also
  takes the events EventBridge and the Scheduler could not deliver; alarmed on depth and age.
- A notice deferred by quiet hours or the per-ticket rate limit waits in the ticket's notice state; the function
  creates a one-time schedule (deleted after it fires) that sends `{"wake": …}` to the queue at its due time, with
  the role made here (sqs:SendMessage on this queue only). The function may create only schedules named
  `kefu-notice-*` in the default group, and pass only that role.
- SES's bounces and complaints of kefu's mail reach the same queue from the account's default bus (the mail
  domain's configuration set publishes them there, capabilities/email.py); the function notes them on the ticket.
- Sends: SES through the mail identity (as the outbound dispatcher), SNS Publish to phone numbers (which has no
  resource to scope; every topic is denied), PutEvents on kefu's bus (the app's push event, for the app channel's rule).

Per notice the function makes 5 AWS calls (a text, a push, a deferral) or 10 (an e-mail); kefu.notifications.service
says which.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu.channels.config import SOURCE
from kefu.channels.events import REPLIED, STATUS_CHANGED
from kefu.config import EVENT_BUS_VAR, NOTICES_QUEUE_ARN_VAR, NOTICES_SCHEDULER_ROLE_VAR
from kefu.notifications import bounces
from kefu.notifications.wakeups import GROUP, PREFIX
from kefu_infra.capabilities.dead_letters import dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction, grant_texts
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge, nag_print

CONSUMER_TIMEOUT = Duration.seconds(30)
VISIBILITY_TIMEOUT = Duration.seconds(6 * CONSUMER_TIMEOUT.to_seconds())
MAX_RECEIVES = 5
BATCH_SIZE = 10
MAX_BATCHING_WINDOW = Duration.seconds(1)
#: How often, and for how long, EventBridge retries delivering an event to the queue before it dead-letters it.
DELIVERY_RETRIES = 10
DELIVERY_MAX_AGE = Duration.hours(2)


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        mail_identity: ses.IEmailIdentity,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(
            self,
            "DeadLetters",
            holds="the notifications queue",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
        )
        self.rule = self._add_rule(bus)
        self.mail_feedback_rule = self._add_mail_feedback_rule()
        self.scheduler_role = self._add_scheduler_role()
        self.consumer = self._add_consumer(defaults, grant_domain_data)
        self._add_grants(bus, mail_identity)
        monitoring.watch_queue("notifications", self.queue)
        monitoring.watch_dead_letter_queue("notifications", self.dead_letters)
        monitoring.watch_dead_letter_age("notifications", self.dead_letters)
        monitoring.watch_function("notifications", self.consumer.function)

    def _add_rule(self, bus: events.IEventBus) -> events.Rule:
        return events.Rule(
            self,
            "Rule",
            event_bus=bus,
            description="Agents' answers and status changes, for the customers' notifications",
            event_pattern=events.EventPattern(source=[SOURCE], detail_type=[REPLIED, STATUS_CHANGED]),
            targets=[
                event_targets.SqsQueue(
                    self.queue,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=DELIVERY_RETRIES,
                    max_event_age=DELIVERY_MAX_AGE,
                )
            ],
        )

    def _add_mail_feedback_rule(self) -> events.Rule:
        """SES's bounces and complaints of kefu's mail (the mail domain's configuration set publishes them to the
        account's default bus, the only one SES publishes to), noted on their tickets."""
        return events.Rule(
            self,
            "MailFeedbackRule",
            description="Bounces and complaints of the mail kefu sends, noted on their tickets",
            event_pattern=events.EventPattern(source=["aws.ses"], detail_type=list(bounces.DETAIL_TYPES)),
            targets=[
                event_targets.SqsQueue(
                    self.queue,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=DELIVERY_RETRIES,
                    max_event_age=DELIVERY_MAX_AGE,
                )
            ],
        )

    def _add_scheduler_role(self) -> iam.Role:
        """The role the wake-up schedules send to the queue with: sqs:SendMessage on it, nothing else."""
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge Scheduler brings deferred customer notices back to the notifications queue",
        )
        self.queue.grant_send_messages(role)
        return role

    def _add_consumer(
        self, defaults: FunctionDefaults, grant_domain_data: Callable[[iam.IGrantable], iam.Grant]
    ) -> KefuFunction:
        consumer = KefuFunction(
            self,
            "Function",
            name="notifications",
            defaults=defaults,
            memory_mb=512,
            timeout=CONSUMER_TIMEOUT,
            description="Tells customers of answers, of tickets waiting on them and of resolutions",
        )
        function = consumer.function
        grant_domain_data(function)
        self.queue.grant_consume_messages(function)
        function.add_environment(NOTICES_QUEUE_ARN_VAR, self.queue.queue_arn)
        function.add_environment(NOTICES_SCHEDULER_ROLE_VAR, self.scheduler_role.role_arn)
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
            "SQS event source mappings take no on-failure destination: the notifications queue's redrive policy is "
            "the failure path, parking a record in the alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by an SQS event source mapping, never asynchronously: failed records stay on the notifications "
            "queue, whose redrive policy parks them in its alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        return consumer

    def _add_grants(self, bus: events.IEventBus, mail_identity: ses.IEmailIdentity) -> None:
        function = self.consumer.function
        stack = Stack.of(self)
        mail_identity.grant_send_email(function)
        bus.grant_put_events_to(function)
        function.add_environment(EVENT_BUS_VAR, bus.event_bus_name)
        schedules = stack.format_arn(service="scheduler", resource="schedule", resource_name=f"{GROUP}/{PREFIX}*")
        function.add_to_role_policy(iam.PolicyStatement(actions=["scheduler:CreateSchedule"], resources=[schedules]))
        self.scheduler_role.grant_pass_role(self.consumer.role)
        grant_texts(function, self.consumer.role)
        acknowledge(
            self.consumer.role,
            f"AwsSolutions-IAM5[Resource::{nag_print(stack.resolve(schedules))}]",
            "scheduler:CreateSchedule on kefu-notice-* schedules only: each deferred notice gets a one-time schedule "
            "named by its ticket and due time, which cannot be listed in advance.",
        )
