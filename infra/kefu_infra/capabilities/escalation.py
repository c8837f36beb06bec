"""SLA and complaint escalation: a Standard state machine per ticket clock, started and stopped from the table's stream.

Each ticket carries its SLA clock (kefu.tickets.sla). `functions/escalation_watcher` reads the domain table's stream,
filtered to tickets' INSERT and MODIFY records, and starts an execution for each generation of a clock that has a
milestone to wait for, named `<ticketId>-<generation>` (a redelivered record finds it there: ExecutionAlreadyExists),
stopping the previous generation's (an answer, a pause, a resolution, a reopen, a new policy). A failing batch is
bisected and retried, then described in the watcher's dead-letter queue (alarmed; see dead_letters.py). Two functions,
not one: the task function is what the state machine invokes and the watcher starts the state machine, so with one
function its environment and policy would name the state machine that names it (a dependency cycle), and each would
hold the other's permissions. The watcher touches no table; the task function starts nothing.

The state machine (ASL below) waits with a timestamp for each milestone, then runs `functions/escalation`:

    WaitForMilestone (Wait, TimestampPath $.wakeAt)
      → RunMilestones (Task: the function, payload only; retried on Lambda's service errors and throttling, then
                       on the function's own failures — every retry is safe, milestones escalate once)
      → Done? (Choice: $.done == true → Ended (Succeed); otherwise → WaitForMilestone)

Input (from the watcher) and the output of each RunMilestones, one shape (kefu.escalation.plan.Plan):

    {"ticketId": "TK-7F3K9Q2M", "generation": 2, "done": false,
     "wakeAt": "2026-11-24T02:00:00Z", "milestone": "first_response:75"}
    {"ticketId": "TK-7F3K9Q2M", "generation": 2, "done": true}

The execution's output is the last of them (`done: true`). No polling: a milestone days away is one Wait.

State transitions (each state entered, retries included, is one): an execution costs 1 to start waiting, 3 per wake
(RunMilestones, Done?, WaitForMilestone again) and 1 to end (Ended) if it is not stopped first. Starting at the Wait
(the watcher has already worked out the first milestone) saves a task and two transitions per execution. With the
built-in ladder (75% and 100% of both targets): a ticket answered and resolved before 75% of its targets costs 2
(a Wait for each of its two generations, both stopped); an unanswered complaint reaching all four milestones 13;
each pause adds 1 (the resumed generation's Wait). At $0.025 per 1,000 transitions, 10,000 tickets cost $0.50 when
all are handled in time and $3.25 if every one escalated all the way (the close after resolution is a schedule, below).

The ladder goes on after the breach as configured (`sla.escalation` steps at 150%, 200%…: the supervisor again with
the owner's manager, then the head of service), each step on the ticket's timeline. A step that tells people
(warn_owner, notify_supervisor, notify_manager, notify_head) mails them through SES (`sla.notices`: each group's
supervisors, each agent's manager, the head of service; kefu.escalation.notices) and names them on its entry; the
supervisors' workspace list is `GET /tickets?escalated=true`. Escalations are also announced on the KMS-encrypted
`Escalations` topic (message attributes action, milestone, ticketId, groupId, ownerId for subscription filters),
for any other subscriber (a chat integration). An `Escalations` metric per step (dimensions action, milestone) is in
the kefu namespace.

A resolved ticket's generation waits for its close instead (`{"milestone": "close"}`, `sla.auto_close_after`, 7 days
by default), not in an execution: the watcher creates a one-time EventBridge Scheduler schedule (`at(…)`, in the
`<prefix>-escalation` group, named `<ticketId>-<generation>-<time>`, deleted once it fired; kefu.escalation.wakes)
that invokes the task function asynchronously with the plan; the task closes the ticket if it is still resolved under
that generation (kefu.escalation.closing); a reopen deletes the schedule. The Scheduler's role may invoke the task
function and send to the wakes' dead-letter queue, nothing else. A wake Scheduler cannot deliver is retried (10
times, for up to 6 hours) and then put in that queue with the error; a wake the task fails is retried by Lambda
(twice) and then put there by the function's on-failure destination, with the error; the queue is alarmed on depth
and age. The close cost 4 transitions per resolved ticket as an execution ($1.00 per 10,000 tickets); as a schedule
it costs one Scheduler invocation ($1 per million: $0.01 per 10,000), Scheduler's API calls being free.

The domain table's stream has two consumers with this one (outbound mail, escalation): the most DynamoDB Streams
serves without throttling its readers. A third (KPI aggregates) would need a fan-out (Kinesis Data Streams for
DynamoDB, or EventBridge Pipes) rather than another mapping.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from kefu.config import (
    ESCALATION_DEAD_LETTERS_VAR,
    ESCALATION_FUNCTION_VAR,
    ESCALATION_SCHEDULE_GROUP_VAR,
    ESCALATION_SCHEDULER_ROLE_VAR,
    ESCALATION_STATE_MACHINE_VAR,
    ESCALATION_TOPIC_VAR,
)
from kefu.store.tickets import ticket_changes_filter
from kefu_infra.capabilities.dead_letters import consume_table_stream, dead_letter_queue
from kefu_infra.capabilities.function import (
    FunctionDefaults,
    KefuFunction,
    acknowledge_state_machine_role,
    retry_lambda_service_errors,
    state_machine_log_group,
)
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge, nag_print

TASK_TIMEOUT = Duration.seconds(30)
WATCHER_TIMEOUT = Duration.seconds(30)
WATCHER_BATCH_SIZE = 50
#: Lambda's retries of a wake the task failed (an asynchronous invocation: at most two), before the dead letters.
ASYNC_RETRIES = 2


class Escalation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        table: dynamodb.ITable,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        mail_identity: ses.IEmailIdentity,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.state_machine_name = f"{prefix}-escalation"
        self.topic_key, self.topic = self._add_topic()
        self.task = self._add_task_function(defaults)
        grant_domain_data(self.task.function)
        # Notices to the people a step tells (kefu.escalation.notices) go from the support address of the domain.
        mail_identity.grant_send_email(self.task.function)
        self.log_group = state_machine_log_group(self, self.state_machine_name, defaults.log_retention_days)
        self.state_machine = self._add_state_machine()
        self.dead_letters = dead_letter_queue(
            self,
            "WatcherDeadLetters",
            holds="the escalation watcher",
            fed_by="it is the on-failure destination of the escalation watcher's stream mapping, where Lambda "
            "describes batches it gave up on",
        )
        self.wake_dead_letters = dead_letter_queue(
            self,
            "WakeDeadLetters",
            holds="the escalation clocks' wakes",
            fed_by="EventBridge Scheduler puts here the wakes it could not deliver after its retries, and Lambda "
            "the wakes the task function failed after its asynchronous retries (each the plan, with the error)",
        )
        self.schedule_group = scheduler.ScheduleGroup(
            self, "Wakes", schedule_group_name=f"{prefix}-escalation", removal_policy=RemovalPolicy.DESTROY
        )
        self.scheduler_role = self._add_scheduler_role()
        self._deliver_failed_wakes()
        self.watcher = self._add_watcher(defaults, table)
        self._grant_wakes(self.task, ["scheduler:CreateSchedule"])
        self._grant_wakes(self.watcher, ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"])
        self.watcher.function.add_environment(ESCALATION_FUNCTION_VAR, self.task.function.function_arn)
        monitoring.watch_state_machine("escalation", self.state_machine)
        monitoring.watch_function("escalation", self.task.function)
        monitoring.watch_function("escalation-watcher", self.watcher.function)
        monitoring.watch_dead_letter_queue("escalation-watcher", self.dead_letters)
        monitoring.watch_dead_letter_age("escalation-watcher", self.dead_letters)
        monitoring.watch_dead_letter_queue("escalation-wakes", self.wake_dead_letters)
        monitoring.watch_dead_letter_age("escalation-wakes", self.wake_dead_letters)

    # --- notifications -------------------------------------------------------------------------------------

    def _add_topic(self) -> tuple[kms.Key, sns.Topic]:
        key = kms.Key(
            self,
            "TopicKey",
            description=f"{self.prefix}: encrypts escalation notifications at rest",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # the topic keeps no messages: nothing is left to decrypt
        )
        topic = sns.Topic(
            self,
            "Topic",
            topic_name=f"{self.prefix}-escalations",
            display_name=f"{self.prefix} escalations",
            master_key=key,
            enforce_ssl=True,
        )
        return key, topic

    # --- the task ------------------------------------------------------------------------------------------

    def _add_task_function(self, defaults: FunctionDefaults) -> KefuFunction:
        task = KefuFunction(
            self,
            "Function",
            name="escalation",
            defaults=defaults,
            memory_mb=512,
            timeout=TASK_TIMEOUT,
            description="Runs a ticket's due SLA milestones (escalation ladder) and plans its next wake",
        )
        function = task.function
        function.add_environment(ESCALATION_TOPIC_VAR, self.topic.topic_arn)
        # Publishing to an encrypted topic: sns:Publish on it, and data keys of its key (no wildcard actions).
        iam.Grant.add_to_principal(grantee=function, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn])
        self.topic_key.grant(function, "kms:GenerateDataKey", "kms:Decrypt")
        return task

    # --- the wakes (one-time schedules, kefu.escalation.wakes) -------------------------------------------------

    def _add_scheduler_role(self) -> iam.Role:
        """The role the wakes invoke the task with: lambda:InvokeFunction on it and the wakes' dead-letter queue."""
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"{self.prefix}: EventBridge Scheduler wakes the escalation task at a ticket's milestones",
        )
        iam.Grant.add_to_principal(
            grantee=role, actions=["lambda:InvokeFunction"], resource_arns=[self.task.function.function_arn]
        )
        self.wake_dead_letters.grant_send_messages(role)
        return role

    def _deliver_failed_wakes(self) -> None:
        """A wake the task failed, after Lambda's two retries of an asynchronous invocation, goes to the wakes'
        dead-letter queue as Lambda's on-failure record: the plan (`requestPayload`) and the error
        (`responsePayload`: errorType, errorMessage)."""
        self.task.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRIES,
            max_event_age=Duration.hours(6),
            on_failure=destinations.SqsDestination(self.wake_dead_letters),
        )
        acknowledge(
            self.task.function,
            "Serverless-LambdaDLQ",
            "Its asynchronous invocations (the wakes) that fail after their retries go to an on-failure destination, "
            "the wakes' alarmed dead-letter queue: Lambda's successor to a DLQ, whose record carries the error "
            "beside the plan. A DeadLetterConfig as well would put each failure there twice.",
        )

    def _grant_wakes(self, of: KefuFunction, actions: list[str]) -> None:
        """`actions` on the wakes of the stage's escalation group, and passing the Scheduler's role to them."""
        function = of.function
        function.add_environment(ESCALATION_SCHEDULE_GROUP_VAR, self.schedule_group.schedule_group_name)
        function.add_environment(ESCALATION_SCHEDULER_ROLE_VAR, self.scheduler_role.role_arn)
        function.add_environment(ESCALATION_DEAD_LETTERS_VAR, self.wake_dead_letters.queue_arn)
        stack = Stack.of(self)
        wakes = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.schedule_group.schedule_group_name}/*"
        )
        iam.Grant.add_to_principal(grantee=function, actions=actions, resource_arns=[wakes])
        self.scheduler_role.grant_pass_role(of.role)
        acknowledge(
            of.role,
            f"AwsSolutions-IAM5[Resource::{nag_print(stack.resolve(wakes))}]",
            f"{', '.join(actions)} on the schedules of the escalation group only: each wake is named by its ticket, "
            "clock generation and time, so they cannot be listed in advance.",
        )

    # --- the state machine ---------------------------------------------------------------------------------

    def _add_state_machine(self) -> sfn.StateMachine:
        wait = sfn.Wait(
            self,
            "WaitForMilestone",
            time=sfn.WaitTime.timestamp_path("$.wakeAt"),
            comment="Until the next milestone (whole seconds, UTC); a moment already past goes on at once",
        )
        run = tasks.LambdaInvoke(
            self,
            "RunMilestones",
            lambda_function=self.task.function,
            payload_response_only=True,  # the plan as the function returns it: no ResultSelector state data
            retry_on_service_exceptions=False,  # declared below, with throttling added
            comment="Escalates the milestones due and not escalated yet; returns the next plan",
        )
        retry_lambda_service_errors(run)
        run.add_retry(
            errors=["States.TaskFailed"],
            interval=Duration.seconds(10),
            max_attempts=4,
            backoff_rate=3,
            jitter_strategy=sfn.JitterType.FULL,
        )
        done = sfn.Choice(self, "Done?").when(sfn.Condition.boolean_equals("$.done", True), sfn.Succeed(self, "Ended"))
        definition = wait.next(run).next(done.otherwise(wait))
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            comment="SLA escalation of one generation of a ticket's clock (kefu.escalation)",
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
        )
        acknowledge_state_machine_role(machine, self.task)
        return machine

    # --- the watcher ---------------------------------------------------------------------------------------

    def _add_watcher(self, defaults: FunctionDefaults, table: dynamodb.ITable) -> KefuFunction:
        watcher = KefuFunction(
            self,
            "WatcherFunction",
            name="escalation_watcher",
            defaults=defaults,
            memory_mb=512,
            timeout=WATCHER_TIMEOUT,
            description="Starts and stops tickets' SLA escalation executions as their clocks change",
        )
        function = watcher.function
        function.add_environment(ESCALATION_STATE_MACHINE_VAR, self.state_machine.state_machine_arn)
        self.state_machine.grant_start_execution(function)
        executions = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        iam.Grant.add_to_principal(grantee=function, actions=["states:StopExecution"], resource_arns=[executions])
        acknowledge(
            watcher.role,
            f"AwsSolutions-IAM5[Resource::{nag_print(Stack.of(self).resolve(executions))}]",
            "states:StopExecution on the executions of the escalation state machine only (execution:<machine>:*): "
            "they are named per ticket and clock generation, so they cannot be listed in advance.",
        )
        self.mapping = consume_table_stream(
            self,
            "TicketStream",
            function=function,
            role=watcher.role,
            table=table,
            batch_size=WATCHER_BATCH_SIZE,
            # Records are idempotent to replay (executions are named): a recreated mapping misses none.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            on_failure=self.dead_letters,
            filters=[ticket_changes_filter()],
        )
        return watcher
