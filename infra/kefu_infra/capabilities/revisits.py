"""Revisit campaigns (回访): one EventBridge Scheduler schedule per enabled campaign of the deployment configuration
starts the `RevisitCampaign` Standard state machine, whose tasks run `functions/revisit` (kefu.revisits.campaigns).

    Select (Task: pick the targets, open the run record)
      → QuietHours (Wait, TimestampPath $.sendAt: until the campaign's quiet hours end; a past moment goes on at once)
      → LargeSelection? (Choice on $.large)
          true:  SendFromBucket (Distributed Map: ItemReader = the work bucket's JSON array of batches, Standard
                 child executions running SendBatchFromBucket)
          false: SendInline (Map over $.batches running SendBatch)
      → Report (Task: totals from the targets' outcomes, metrics, the run's report) → Done (Succeed)
    A Catch on Select, both Maps and Report → RecordFailure (Task: the run record says failed, and why)
      → RunFailed (Fail, with the caught error and cause)

Input (from the schedule; by hand, any campaign id and moment):

    {"campaignId": "daily-csat-survey", "scheduledAt": "2026-11-24T03:00:00Z"}

The state after Select (kefu.revisits.runs.Selection); `batches` holds up to INLINE_LIMIT targets in batches of
BATCH_SIZE, a larger selection is in the work bucket (`items`) and `batches` is empty:

    {"campaignId": "daily-csat-survey", "runId": "20261124T030000Z", "scheduledAt": "2026-11-24T03:00:00Z",
     "sendAt": "2026-11-24T03:00:02Z", "selected": 2, "large": false, "items": null,
     "batches": [{"batch": "B-1f0c…", "targets": [{"ticketId": "TK-7F3K9Q2M", "customerId": "CU-1"}, …]}]}

Each batch task gets `{"action": "send", "campaignId", "runId", "scheduledAt", "batch"}` and answers its counts
(`{"batch", "sent", "failed", "skipped", "counted"}`, discarded: the run record holds them). The execution's output
is the run's report (kefu.revisits.runs.RunReport):

    {"campaignId": "daily-csat-survey", "runId": "20261124T030000Z", "status": "finished", "selected": 2,
     "sent": 2, "failed": 0, "skipped": 0, "responses": 0, "excluded": {"age": 5, "cycle": 1}, "reasons": {},
     "startedAt": "…", "finishedAt": "…"}

Batches are made by Select, not by an ItemBatcher: moto 5.2.5 (the local stack and the tests run the synthesized ASL
in it) refuses `ItemBatcher` when the state machine is created, and the same Select batching then serves both
paths at the same cost (one child execution and one invocation per BATCH_SIZE targets). Children are Standard: moto
refuses `ExecutionType: EXPRESS` too, and a child is one state transition. A run costs 6 state transitions plus one
per batch on either path, and 2 Lambda invocations plus one per batch: 1,000 targets make 20 batches, 26
transitions and 22 invocations.

Every task is retried with backoff on Lambda's service errors and throttling, then on its own failures (each is
safe to repeat), except those no retry mends (NOT_RETRIED: an unknown or disabled campaign, a malformed input),
which go straight to RecordFailure. Failed and timed-out executions are alarmed. A schedule's failed deliveries
(after its retries) go to an SQS dead-letter queue, alarmed too. The state machine is `<prefix>-revisit-campaign`;
its input and the run record name a run by its scheduled time, so a run started twice is one run.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack, TimeZone
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from kefu.config import PUBLIC_API_URL_VAR, REVISIT_BUCKET_VAR
from kefu.revisits.config import Campaign, Method
from kefu_infra.capabilities.dead_letters import dead_letter_queue
from kefu_infra.capabilities.function import (
    FunctionDefaults,
    KefuFunction,
    acknowledge_state_machine_role,
    grant_idempotency,
    grant_texts,
    retry_lambda_service_errors,
    state_machine_log_group,
)
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge, nag_print

#: One invocation selects a whole campaign, or revisits one batch of targets.
TASK_TIMEOUT = Duration.minutes(5)
#: A run may wait up to a day for its quiet hours to end, then sends.
RUN_TIMEOUT = Duration.hours(36)
#: Batches revisited at once: inline (up to INLINE_LIMIT targets) and by the Distributed Map (SES's sending rate
#: and the table's capacity are what it shares).
INLINE_CONCURRENCY = 4
DISTRIBUTED_CONCURRENCY = 10
#: Large selections are kept this long for the Distributed Map (and for a run repeated within its idempotency day).
WORK_ITEMS_DAYS = 3
SCHEDULE_RETRY_ATTEMPTS = 20
SCHEDULE_MAX_EVENT_AGE = Duration.hours(6)
#: A second execution of the same scheduled run while the first is still selecting waits for its selection.
SELECTION_IN_PROGRESS = "IdempotencyAlreadyInProgressError"
#: Failures no retry mends (a campaign not in the deployment or disabled, a malformed input): caught at once.
NOT_RETRIED = ["NotFound", "CampaignDisabled", "ValidationError"]


class Revisits(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        campaigns: list[Campaign],
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
        survey_secret: secretsmanager.ISecret,
        mail_identity: ses.IEmailIdentity,
        api_url: str,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.state_machine_name = f"{prefix}-revisit-campaign"
        self.bucket = self._add_work_bucket()
        self.task = self._add_task_function(defaults, api_url)
        self._add_grants(grant_domain_data, idempotency_table, survey_secret, mail_identity)
        if any(campaign.method is Method.SMS_SURVEY for campaign in campaigns):
            grant_texts(self.task.function, self.task.role)  # the sms_survey campaigns' invitations
        self.log_group = state_machine_log_group(self, self.state_machine_name, defaults.log_retention_days)
        self.state_machine = self._add_state_machine()
        self.dead_letters = dead_letter_queue(
            self,
            "ScheduleDeadLetters",
            holds="the campaign schedules",
            fed_by="EventBridge Scheduler puts here the campaign starts it could not deliver after its retries "
            "(the schedule's input, with the error)",
        )
        self.schedule_role = self._add_schedule_role()
        self.schedule_group = scheduler.ScheduleGroup(
            self, "Schedules", schedule_group_name=f"{prefix}-revisits", removal_policy=RemovalPolicy.DESTROY
        )
        self.schedules = {campaign.id: self._add_schedule(campaign) for campaign in campaigns if campaign.enabled}
        monitoring.watch_state_machine("revisit-campaign", self.state_machine)
        monitoring.watch_function("revisit", self.task.function)
        monitoring.watch_dead_letter_queue("revisit-schedules", self.dead_letters)
        monitoring.watch_dead_letter_age("revisit-schedules", self.dead_letters)

    # --- the work bucket -----------------------------------------------------------------------------------

    def _add_work_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "WorkBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(WORK_ITEMS_DAYS), abort_incomplete_multipart_upload_after=Duration.days(1)
                )
            ],
            # Transient: empty within WORK_ITEMS_DAYS of the last run, so nothing is lost when a deleted stack
            # leaves it behind, and the deletion never fails on objects still in it.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "The bucket holds only the target lists of large campaign runs, for a few days: written by the revisit "
            "function and read by the revisit state machine, whose executions and logs already record each access; "
            "server access logs would list those two principals and nothing else.",
        )
        return bucket

    # --- the task ------------------------------------------------------------------------------------------

    def _add_task_function(self, defaults: FunctionDefaults, api_url: str) -> KefuFunction:
        task = KefuFunction(
            self,
            "Function",
            name="revisit",
            defaults=defaults,
            memory_mb=1024,
            timeout=TASK_TIMEOUT,
            description="Revisit campaign tasks: selects a run's targets, sends survey mails or opens revisit calls",
        )
        task.function.add_environment(REVISIT_BUCKET_VAR, self.bucket.bucket_name)
        task.function.add_environment(PUBLIC_API_URL_VAR, api_url)
        acknowledge(
            task.function,
            "Serverless-LambdaDLQ",
            "Invoked synchronously by the revisit state machine, never asynchronously: a failed invocation is "
            "retried by the state machine and, when retries run out, caught, recorded on the run and alarmed.",
        )
        return task

    def _add_grants(
        self,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
        survey_secret: secretsmanager.ISecret,
        mail_identity: ses.IEmailIdentity,
    ) -> None:
        function = self.task.function
        grant_domain_data(function)
        grant_idempotency(idempotency_table, function)  # Select, per scheduled run
        survey_secret.grant_read(function)  # signs the survey links
        mail_identity.grant_send_email(function)
        iam.Grant.add_to_principal(
            grantee=function, actions=["s3:PutObject"], resource_arns=[self.bucket.arn_for_objects("runs/*")]
        )
        acknowledge(
            self.task.role,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(self.bucket)}.Arn>/runs/*]",
            "s3:PutObject under runs/ of the work bucket only: each run writes its own object, named by campaign "
            "and scheduled time, which cannot be listed in advance.",
        )

    # --- the state machine ---------------------------------------------------------------------------------

    def _invoke(self, construct_id: str, comment: str, payload: dict | None = None, **options) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=self.task.function,
            payload=sfn.TaskInput.from_object(payload) if payload is not None else None,
            payload_response_only=True,
            retry_on_service_exceptions=False,  # declared here, with throttling added
            comment=comment,
            **options,
        )
        retry_lambda_service_errors(task)
        task.add_retry(errors=NOT_RETRIED, max_attempts=0)
        return task

    def _add_state_machine(self) -> sfn.StateMachine:
        path = sfn.JsonPath
        select = self._invoke(
            "Select",
            "Chooses the run's targets and opens its record; the batches, or where they are",
            {
                "action": "select",
                "campaignId": path.string_at("$.campaignId"),
                "scheduledAt": path.string_at("$.scheduledAt"),
            },
        )
        select.add_retry(
            errors=[SELECTION_IN_PROGRESS], interval=Duration.seconds(5), max_attempts=10, backoff_rate=1.5
        )
        select.add_retry(errors=["States.TaskFailed"], interval=Duration.seconds(10), max_attempts=2, backoff_rate=3)
        quiet_hours = sfn.Wait(
            self,
            "QuietHours",
            time=sfn.WaitTime.timestamp_path("$.sendAt"),
            comment="Until the campaign's quiet hours end (whole seconds, UTC); a moment already past goes on at once",
        )
        batch_input = {
            "action": "send",
            "campaignId": path.string_at("$.campaignId"),
            "runId": path.string_at("$.runId"),
            "scheduledAt": path.string_at("$.scheduledAt"),
            "batch": path.object_at("$$.Map.Item.Value"),
        }
        inline = sfn.Map(
            self,
            "SendInline",
            items_path="$.batches",
            item_selector=batch_input,
            max_concurrency=INLINE_CONCURRENCY,
            result_path=path.DISCARD,
            comment="Revisits a small selection's batches, carried in the state",
        ).item_processor(self._send("SendBatch"))
        distributed = sfn.DistributedMap(
            self,
            "SendFromBucket",
            item_reader=sfn.S3JsonItemReader(bucket=self.bucket, key=path.string_at("$.items.key")),
            item_selector=batch_input,
            max_concurrency=DISTRIBUTED_CONCURRENCY,
            map_execution_type=sfn.StateMachineType.STANDARD,
            label="RevisitBatches",
            result_path=path.DISCARD,
            comment="Revisits a large selection's batches, read from the work bucket, a child execution each",
        ).item_processor(self._send("SendBatchFromBucket"))
        report = self._invoke(
            "Report",
            "Totals from the targets' outcomes, metrics per campaign; the run's report is the execution's output",
            {"action": "report", "campaignId": path.string_at("$.campaignId"), "runId": path.string_at("$.runId")},
        )
        report.add_retry(errors=["States.TaskFailed"], interval=Duration.seconds(10), max_attempts=3, backoff_rate=3)
        record_failure = self._invoke(
            "RecordFailure",
            "The run record says the run failed, and why",
            {
                "action": "fail",
                "campaignId": path.string_at("$.campaignId"),
                "scheduledAt": path.string_at("$.scheduledAt"),
                "failure": path.object_at("$.failure"),
            },
            result_path=path.DISCARD,
        )
        record_failure.add_retry(
            errors=["States.TaskFailed"], interval=Duration.seconds(10), max_attempts=3, backoff_rate=3
        )
        failed = record_failure.next(
            sfn.Fail(
                self,
                "RunFailed",
                error_path=path.string_at("$.failure.Error"),
                cause_path=path.string_at("$.failure.Cause"),
            )
        )
        for state in (select, inline, distributed, report):
            state.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.failure")
        report.next(sfn.Succeed(self, "Done"))
        large = sfn.Condition.boolean_equals("$.large", True)
        definition = select.next(quiet_hours).next(
            sfn.Choice(self, "LargeSelection?").when(large, distributed.next(report)).otherwise(inline.next(report))
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            comment="A revisit campaign run: select, wait out quiet hours, survey or call each target, report",
            timeout=RUN_TIMEOUT,
            # Every state's events, without their data: the targets are customers (their runs' records say who).
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        self._acknowledge_state_machine_role(machine)
        return machine

    def _send(self, construct_id: str) -> tasks.LambdaInvoke:
        send = self._invoke(construct_id, "Surveys or calls a batch of targets; one target's failure is its own")
        send.add_retry(errors=["States.TaskFailed"], interval=Duration.seconds(10), max_attempts=3, backoff_rate=3)
        return send

    def _acknowledge_state_machine_role(self, machine: sfn.StateMachine) -> None:
        acknowledge_state_machine_role(machine, self.task)
        acknowledge(
            machine.role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<{self._logical_id(self.bucket)}>/*]",
            "The Distributed Map's item reader (CDK's grant): s3:GetObject in the work bucket, for the object Select "
            "names; objects are named per run, so they cannot be listed in advance.",
        )
        # CDK's Distributed Map policy: describe, stop and redrive the machine's own executions and map runs,
        # whose names are made at run time.
        policy = machine.node.find_child("DistributedMapPolicy")
        assert isinstance(policy, iam.Policy)
        for statement in Stack.of(self).resolve(policy.document.to_json())["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if set(actions) <= {"states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"}:
                acknowledge(
                    policy,
                    f"AwsSolutions-IAM5[Resource::{nag_print(statement['Resource'])}]",
                    f"{', '.join(actions)} on this state machine's own executions and map runs only "
                    "(execution:<machine>:* and execution:<machine>/RevisitBatches:*): the Distributed Map's child "
                    "executions are named when it runs, so they cannot be listed in advance.",
                )

    # --- the schedules -------------------------------------------------------------------------------------

    def _add_schedule_role(self) -> iam.Role:
        """The role the schedules start the state machine with: StartExecution on it, and the dead-letter queue."""
        return iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"{self.prefix}: EventBridge Scheduler starts revisit campaign runs",
        )

    def _add_schedule(self, campaign: Campaign) -> scheduler.Schedule:
        target = targets.StepFunctionsStartExecution(
            self.state_machine,
            input=scheduler.ScheduleTargetInput.from_object(
                {"campaignId": campaign.id, "scheduledAt": scheduler.ContextAttribute.scheduled_time}
            ),
            role=self.schedule_role,
            dead_letter_queue=self.dead_letters,
            retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
            max_event_age=SCHEDULE_MAX_EVENT_AGE,
        )
        schedule = scheduler.Schedule(
            self,
            f"Schedule-{campaign.id}",
            schedule_name=campaign.id,
            schedule_group=self.schedule_group,
            schedule=scheduler.ScheduleExpression.expression(
                campaign.schedule.expression, time_zone=TimeZone.of(campaign.schedule.timezone)
            ),
            target=target,
            time_window=scheduler.TimeWindow.off(),
            description=f"Revisit campaign {campaign.id}: {campaign.method.value}",
        )
        # The group is named in the template, not referenced: without this the schedule may be created first.
        schedule.node.add_dependency(self.schedule_group)
        return schedule

    def _logical_id(self, construct: Construct) -> str:
        resource = construct.node.default_child
        if not isinstance(resource, CfnElement):
            raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
        return Stack.of(self).get_logical_id(resource)
