"""E-mail: mail in through SES, answers out through SES.

Receiving: SES accepts mail for the configured addresses and stores each raw MIME message in the raw-mail bucket
under `inbound/` (kept: it is the evidence of what the customer sent). The bucket tells EventBridge (stateful
stack); a rule here puts every `Object Created` under `inbound/` on the inbound queue, which `functions/
email_inbound` consumes in batches with partial failures. After MAX_RECEIVES receives a record is parked in the
inbound dead-letter queue, where EventBridge also puts events it could not deliver (alarmed on depth and age).

Sending: `functions/email_outbound`, kefu's outbound dispatcher, reads the domain table's stream, filtered so that
only timeline entries that may go to a customer invoke it (an agent's public reply; an e-mail ticket's opening
message, for its acknowledgement, when acknowledgements are on: the entry carries its ticket's channel; status
changes and survey entries, which become outbound events on the bus of capabilities/channels.py). A failing batch
is bisected and retried (capabilities/dead_letters.py); what still fails is described in the outbound dead-letter
queue (alarmed). It sends with `ses:SendEmail` on the mail domain's identity.

SES receives through the account's single *active* rule set; activating this one is an operator step (README),
because doing it from CloudFormation would silently switch off another application's rule set.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from kefu.config import ATTACHMENTS_BUCKET_VAR, RAW_MAIL_BUCKET_VAR
from kefu.store.dispatch import dispatch_stream_filters
from kefu_infra.capabilities.dead_letters import consume_table_stream, dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction, grant_idempotency
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge
from kefu_infra.config import Mail

RAW_MAIL_PREFIX = "inbound/"
#: Where the inbound function stores the files it takes out of mail (kefu.email.inbound).
ATTACHMENTS_PREFIX = "mail/"
#: The inbound function's timeout (a large mail with attachments is read, parsed and stored in seconds); the queue
#: hides a received batch for six times as long, so a batch being retried is never handed out twice at once.
INBOUND_TIMEOUT = Duration.seconds(60)
INBOUND_VISIBILITY = Duration.seconds(6 * INBOUND_TIMEOUT.to_seconds())
INBOUND_BATCH_SIZE = 5
#: A stored mail whose processing fails this many times is parked in the inbound dead-letter queue.
MAX_RECEIVES = 5
OUTBOUND_TIMEOUT = Duration.seconds(30)
OUTBOUND_BATCH_SIZE = 10


class Email(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        mail: Mail,
        raw_mail_bucket: s3.IBucket,
        attachments_bucket: s3.IBucket,
        table: dynamodb.ITable,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.mail = mail
        # Every mail kefu sends from the domain reports its bounces and complaints to the account's default bus
        # (SES publishes there only), where the customer notifications take them (capabilities/notifications.py).
        self.sending = ses.ConfigurationSet(self, "Sending", configuration_set_name=prefix)
        self.sending.add_event_destination(
            "BouncesToEventBridge",
            destination=ses.EventDestination.event_bus(
                events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
            ),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        self.identity = ses.EmailIdentity(
            self, "Domain", identity=ses.Identity.domain(mail.domain), configuration_set=self.sending
        )
        self.rule_set = ses.ReceiptRuleSet(self, "RuleSet", receipt_rule_set_name=prefix)
        self.rule_set.add_rule(
            "StoreRawMail",
            recipients=list(mail.recipients),
            scan_enabled=True,
            tls_policy=ses.TlsPolicy.REQUIRE,
            actions=[ses_actions.S3(bucket=raw_mail_bucket, object_key_prefix=RAW_MAIL_PREFIX)],
        )
        self.rule_set_name = prefix

        self.inbound_dead_letters = dead_letter_queue(self, "InboundDeadLetters", holds="inbound mail")
        self.inbound_queue = self._add_inbound_queue()
        self.stored_rule = self._add_stored_mail_rule(raw_mail_bucket)
        self.inbound = self._add_inbound_function(defaults, raw_mail_bucket, attachments_bucket)
        grant_domain_data(self.inbound.function)
        grant_idempotency(idempotency_table, self.inbound.function)
        monitoring.watch_queue("email-inbound", self.inbound_queue)
        monitoring.watch_dead_letter_queue("email-inbound", self.inbound_dead_letters)
        monitoring.watch_dead_letter_age("email-inbound", self.inbound_dead_letters)
        monitoring.watch_function("email-inbound", self.inbound.function)

        self.outbound_dead_letters = dead_letter_queue(
            self,
            "OutboundDeadLetters",
            holds="outbound mail",
            fed_by="it is the on-failure destination of the outbound mail function's stream mapping, where Lambda "
            "describes batches it gave up on",
        )
        self.outbound = self._add_outbound_function(defaults, table)
        grant_domain_data(self.outbound.function)
        grant_idempotency(idempotency_table, self.outbound.function)
        monitoring.watch_dead_letter_queue("email-outbound", self.outbound_dead_letters)
        monitoring.watch_dead_letter_age("email-outbound", self.outbound_dead_letters)
        monitoring.watch_function("email-outbound", self.outbound.function)

    # --- inbound -------------------------------------------------------------------------------------------

    def _add_inbound_queue(self) -> sqs.Queue:
        return sqs.Queue(
            self,
            "InboundQueue",
            visibility_timeout=INBOUND_VISIBILITY,
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.inbound_dead_letters, max_receive_count=MAX_RECEIVES),
        )

    def _add_stored_mail_rule(self, raw_mail_bucket: s3.IBucket) -> events.Rule:
        rule = events.Rule(
            self,
            "MailStored",
            description="A mail SES stored in the raw-mail bucket, queued for kefu's inbound function",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [raw_mail_bucket.bucket_name]},
                    "object": {"key": [{"prefix": RAW_MAIL_PREFIX}]},
                },
            ),
        )
        rule.add_target(
            targets.SqsQueue(
                self.inbound_queue,
                dead_letter_queue=self.inbound_dead_letters,
                retry_attempts=185,
                max_event_age=Duration.hours(24),
            )
        )
        return rule

    def _add_inbound_function(
        self, defaults: FunctionDefaults, raw_mail_bucket: s3.IBucket, attachments_bucket: s3.IBucket
    ) -> KefuFunction:
        inbound = KefuFunction(
            self,
            "InboundFunction",
            name="email_inbound",
            defaults=defaults,
            memory_mb=1024,
            timeout=INBOUND_TIMEOUT,
            description="Turns mail SES stored into tickets, or keeps it with the reason it was not",
        )
        function = inbound.function
        function.add_environment(RAW_MAIL_BUCKET_VAR, raw_mail_bucket.bucket_name)
        function.add_environment(ATTACHMENTS_BUCKET_VAR, attachments_bucket.bucket_name)
        # The stored mail under inbound/ is read, never changed; files go to the attachment bucket under mail/.
        self._grant_objects(inbound, "s3:GetObject", raw_mail_bucket, RAW_MAIL_PREFIX, "reads the raw mail")
        self._grant_objects(inbound, "s3:PutObject", attachments_bucket, ATTACHMENTS_PREFIX, "stores mail files")
        self.inbound_queue.grant_consume_messages(function)
        function.add_event_source(
            sources.SqsEventSource(
                self.inbound_queue,
                batch_size=INBOUND_BATCH_SIZE,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )
        acknowledge(
            function,
            "Serverless-LambdaEventSourceMappingDestination",
            "SQS event source mappings take no on-failure destination: the inbound mail queue's redrive policy is "
            "the failure path, parking a record in the alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked by an SQS event source mapping, never asynchronously: failed records stay on the inbound mail "
            "queue, whose redrive policy parks them in its alarmed dead-letter queue after MAX_RECEIVES receives.",
        )
        return inbound

    # --- outbound ------------------------------------------------------------------------------------------

    def _add_outbound_function(self, defaults: FunctionDefaults, table: dynamodb.ITable) -> KefuFunction:
        outbound = KefuFunction(
            self,
            "OutboundFunction",
            name="email_outbound",
            defaults=defaults,
            memory_mb=512,
            timeout=OUTBOUND_TIMEOUT,
            description="Sends agents' public replies and acknowledgements by e-mail, and outbound events to the bus",
        )
        function = outbound.function
        self.identity.grant_send_email(function)
        self.outbound_mapping = consume_table_stream(
            self,
            "OutboundStream",
            function=function,
            role=outbound.role,
            table=table,
            batch_size=OUTBOUND_BATCH_SIZE,
            max_batching_window=Duration.seconds(1),
            on_failure=self.outbound_dead_letters,
            filters=dispatch_stream_filters(acknowledgements=self.mail.acknowledge),
        )
        return outbound

    # --- shared --------------------------------------------------------------------------------------------

    def _grant_objects(self, function: KefuFunction, action: str, bucket: s3.IBucket, prefix: str, why: str) -> None:
        """`action` on the objects under `prefix` of a bucket of the stateful stack, and cdk-nag's finding on that
        object wildcard acknowledged by its exact text (the bucket's ARN reaches this stack as an import)."""
        iam.Grant.add_to_principal(
            grantee=function.function, actions=[action], resource_arns=[bucket.arn_for_objects(f"{prefix}*")]
        )
        # The same export the reference above creates (CDK names it once); its name is what cdk-nag prints.
        imported = Stack.of(self).resolve(Stack.of(bucket).export_value(bucket.bucket_arn))["Fn::ImportValue"]
        acknowledge(
            function.role,
            f"AwsSolutions-IAM5[Resource::{imported}/{prefix}*]",
            f"The {function.name} function {why}: objects are named by SES or by the mail they came in, so the "
            f"grant is on every object under {prefix} of that one bucket, and on nothing else in it.",
        )
