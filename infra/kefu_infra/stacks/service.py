"""What a release changes: the layers, the functions, the HTTP API, and one construct per capability (intake,
e-mail, SLA escalation, revisit campaigns with their schedules)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_lambda_powertools.shared.constants import METRICS_NAMESPACE_ENV, POWERTOOLS_LOG_LEVEL_ENV, SERVICE_NAME_ENV
from constructs import Construct

from kefu import config
from kefu_infra import layers
from kefu_infra.capabilities.api import Api
from kefu_infra.capabilities.channels import Channels
from kefu_infra.capabilities.email import Email
from kefu_infra.capabilities.escalation import Escalation
from kefu_infra.capabilities.function import ARCHITECTURE, PYTHON, FunctionDefaults, built_code
from kefu_infra.capabilities.intake import Intake
from kefu_infra.capabilities.knowledge import Knowledge
from kefu_infra.capabilities.kpis import Kpis
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.capabilities.notifications import Notifications
from kefu_infra.capabilities.privacy import Privacy
from kefu_infra.capabilities.qa import QaChecks, QaSampling
from kefu_infra.capabilities.revisits import Revisits
from kefu_infra.config import Deployment
from kefu_infra.routes import Route
from kefu_infra.stacks.stateful import StatefulStack

#: Where Lambda mounts the deployment document (the layer's root is extracted to /opt).
DEPLOYMENT_FILE = "/opt/kefu-deployment.json"
#: pydantic looks for plugins (an `importlib.metadata` scan of every installed distribution, ~3 ms of a cold start)
#: when it builds its first validator, unless this says there are none to load; kefu uses no pydantic plugin.
PYDANTIC_PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: str,
        deployment: Deployment,
        stateful: StatefulStack,
        api_routes: list[Route],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.monitoring = Monitoring(self, "Monitoring", prefix=prefix, alarm_email=deployment.alarms.email)
        defaults = FunctionDefaults(
            layers=self._add_layers(deployment.for_functions(stage)),
            environment=self._environment(stage, deployment, stateful),
            log_retention_days=deployment.logs.retention_days,
            log_level=deployment.logs.level,
        )
        self.api = Api(
            self,
            "Api",
            prefix=prefix,
            settings=deployment.api,
            routes=api_routes,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            idempotency_table=stateful.idempotency_table,
            user_pool=stateful.user_pool,
            user_pool_client=stateful.user_pool_client,
            survey_secret=stateful.survey_secret,
            attachments_bucket=stateful.attachments_bucket,
            monitoring=self.monitoring,
        )
        self.knowledge = Knowledge(self, "Knowledge", api_function=self.api.handler.function)
        self.intake = Intake(
            self,
            "Intake",
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            idempotency_table=stateful.idempotency_table,
            monitoring=self.monitoring,
        )
        self.email = Email(
            self,
            "Email",
            prefix=prefix,
            mail=deployment.mail,
            raw_mail_bucket=stateful.raw_mail_bucket,
            attachments_bucket=stateful.attachments_bucket,
            table=stateful.table,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            idempotency_table=stateful.idempotency_table,
            monitoring=self.monitoring,
        )
        # Ticket openers record a new ticket's suggestions (kefu.tickets.knowledge): they read the search index.
        self.knowledge.add_reader(self.intake.consumer.function)
        self.knowledge.add_reader(self.email.inbound.function)
        self.channels = Channels(
            self,
            "Channels",
            prefix=prefix,
            channels=deployment.channels,
            dispatcher=self.email.outbound.function,
            monitoring=self.monitoring,
        )
        self.notifications = Notifications(
            self,
            "Notifications",
            bus=self.channels.bus,
            mail_identity=self.email.identity,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            monitoring=self.monitoring,
        )
        self.escalation = Escalation(
            self,
            "Escalation",
            prefix=prefix,
            table=stateful.table,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            mail_identity=self.email.identity,
            monitoring=self.monitoring,
        )
        self.revisits = Revisits(
            self,
            "Revisits",
            prefix=prefix,
            campaigns=deployment.campaigns,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            idempotency_table=stateful.idempotency_table,
            survey_secret=stateful.survey_secret,
            mail_identity=self.email.identity,
            api_url=self.api.url,
            monitoring=self.monitoring,
        )
        self.privacy = Privacy(
            self,
            "Privacy",
            prefix=prefix,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            raw_mail_bucket=stateful.raw_mail_bucket,
            attachments_bucket=stateful.attachments_bucket,
            api_function=self.api.handler.function,
            monitoring=self.monitoring,
        )
        self.monitoring.add_business_row()
        self.monitoring.alarm_on_waiting("intake", self.intake.queue, Duration.minutes(15))
        self.kpis = Kpis(
            self,
            "Kpis",
            table_changes=stateful.table_changes,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            monitoring=self.monitoring,
        )
        self.qa_checks = QaChecks(
            self,
            "QaChecks",
            table_changes=stateful.table_changes,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            monitoring=self.monitoring,
        )
        self.qa_sampling = QaSampling(
            self,
            "QaSampling",
            prefix=prefix,
            sampling=deployment.qa.sampling,
            defaults=defaults,
            grant_domain_data=stateful.grant_domain_data,
            monitoring=self.monitoring,
        )
        self._add_outputs()

    def _add_layers(self, document: dict[str, Any]) -> list[lambda_.ILayerVersion]:
        dependencies = self._add_layer(
            "DependenciesLayer",
            built_code(layers.dependencies_layer()),
            "Third-party runtime dependencies (pyproject [project].dependencies, pinned by constraints.txt)",
        )
        domain_code = layers.domain_layer()
        domain = self._add_layer(
            "DomainLayer",
            built_code(domain_code),
            "The kefu domain package",
        )
        # Its prepared configuration is made by the domain code it ships with.
        written = layers.deployment_document(document, domain_code.digest)
        configuration = self._add_layer(
            "DeploymentLayer",
            lambda_.Code.from_asset(str(written.path)),
            f"This stage's deployment configuration, at {DEPLOYMENT_FILE}",
        )
        return [dependencies, domain, configuration]

    def _add_layer(self, construct_id: str, code: lambda_.Code, description: str) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=code,
            description=description,
            compatible_runtimes=[PYTHON],
            compatible_architectures=[ARCHITECTURE],
        )

    @staticmethod
    def _environment(stage: str, deployment: Deployment, stateful: StatefulStack) -> dict[str, str]:
        return {
            config.STAGE_VAR: stage,
            config.TABLE_VAR: stateful.table.table_name,
            config.IDEMPOTENCY_TABLE_VAR: stateful.idempotency_table.table_name,
            config.DEFAULT_GROUP_VAR: deployment.default_group,
            config.DEPLOYMENT_FILE_VAR: DEPLOYMENT_FILE,
            # Read only by the functions granted it (the API's survey routes): it signs and checks survey links.
            config.SURVEY_SECRET_ARN_VAR: stateful.survey_secret.secret_arn,
            # Powertools' own names, from Powertools.
            SERVICE_NAME_ENV: "kefu",
            METRICS_NAMESPACE_ENV: "kefu",
            POWERTOOLS_LOG_LEVEL_ENV: deployment.logs.level,
            PYDANTIC_PLUGINS_ENV: "__all__",
        }

    def _add_outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.url, description="The HTTP API's base URL")
        CfnOutput(
            self,
            "InboundMailAddresses",
            value=", ".join(self.email.mail.recipients),
            description="Mail to these addresses becomes tickets",
        )
        CfnOutput(
            self,
            "InboundMailMxRecord",
            value=f"{self.email.mail.domain} MX 10 inbound-smtp.{self.region}.amazonaws.com",
            description="The DNS record that routes the mail domain's mail to SES",
        )
        for index, record in enumerate(self.email.identity.dkim_records, start=1):
            CfnOutput(
                self,
                f"DkimRecord{index}",
                value=f"{record.name} CNAME {record.value}",
                description="Publish in DNS to verify the mail domain with SES",
            )
        CfnOutput(
            self,
            "ReceiptRuleSetName",
            value=self.email.rule_set_name,
            description="Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>",
        )
        CfnOutput(
            self,
            "InboundMailDeadLetterQueueName",
            value=self.email.inbound_dead_letters.queue_name,
            description="Stored mail kefu failed to take (the raw MIME stays): kefu dlq show --dlq <this>",
        )
        CfnOutput(
            self,
            "OutboundMailDeadLetterQueueName",
            value=self.email.outbound_dead_letters.queue_name,
            description="Stream batches whose mail could not be sent after retries (each names its shard range)",
        )
        CfnOutput(self, "IntakeQueueUrl", value=self.intake.queue.queue_url, description="Contact systems send here")
        CfnOutput(self, "EventBusName", value=self.channels.bus.event_bus_name, description="kefu's outbound events")
        for channel, queue in self.channels.queues.items():
            name = channel.value.capitalize()
            CfnOutput(
                self,
                f"{name}ChannelQueueUrl",
                value=queue.queue_url,
                description=f"The {channel} channel's contact system takes kefu's answers here",
            )
            CfnOutput(
                self,
                f"{name}ChannelDeadLetterQueueName",
                value=self.channels.dead_letters[channel].queue_name,
                description=f"Events for the {channel} channel its system or EventBridge failed to take",
            )
        CfnOutput(
            self,
            "NotificationsDeadLetterQueueName",
            value=self.notifications.dead_letters.queue_name,
            description="Answers and status changes the customer notifications gave up on: kefu dlq show --dlq <this>",
        )
        CfnOutput(
            self,
            "IntakeDeadLetterQueueName",
            value=self.intake.dead_letters.queue_name,
            description="Contacts intake could not take: kefu dlq show --dlq <this>",
        )
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn, description="Alarm notifications")
        CfnOutput(
            self,
            "EscalationTopicArn",
            value=self.escalation.topic.topic_arn,
            description="SLA escalation notifications (attributes action, milestone, ticketId, groupId, ownerId)",
        )
        CfnOutput(
            self,
            "EscalationWakesScheduleGroup",
            value=self.escalation.schedule_group.schedule_group_name,
            description="The wakes of tickets' SLA clocks: one-time schedules named <ticketId>-<generation>-<time>",
        )
        CfnOutput(
            self,
            "EscalationDeadLetterQueueName",
            value=self.escalation.dead_letters.queue_name,
            description="Stream batches the escalation watcher gave up on (each names its shard range)",
        )
        CfnOutput(
            self,
            "EscalationWakeDeadLetterQueueName",
            value=self.escalation.wake_dead_letters.queue_name,
            description="Clock wakes Scheduler could not deliver or the escalation task failed (plan and error)",
        )
        CfnOutput(
            self,
            "KpiDeadLetterQueueName",
            value=self.kpis.dead_letters.queue_name,
            description="Table changes the KPI aggregation gave up on (each names its shard and sequence numbers)",
        )
        CfnOutput(
            self,
            "QaChecksDeadLetterQueueName",
            value=self.qa_checks.dead_letters.queue_name,
            description="Table changes the automatic QA checks gave up on (each names its shard and sequence numbers)",
        )
        CfnOutput(
            self,
            "QaSamplingStateMachineArn",
            value=self.qa_sampling.state_machine.state_machine_arn,
            description='Monthly QA sampling runs; start one by hand with {"month": "yyyy-mm"}',
        )
        CfnOutput(
            self,
            "RevisitStateMachineArn",
            value=self.revisits.state_machine.state_machine_arn,
            description="Revisit campaign runs; start one by hand with {campaignId, scheduledAt}",
        )
        CfnOutput(
            self,
            "RevisitScheduleDeadLetterQueueName",
            value=self.revisits.dead_letters.queue_name,
            description="Campaign starts EventBridge Scheduler could not deliver (each carries the schedule's input)",
        )
        CfnOutput(
            self,
            "DashboardUrl",
            value=(
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={self.monitoring.prefix}"
            ),
            description="The stage's CloudWatch dashboard",
        )
