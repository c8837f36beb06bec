"""SLA and complaint escalation: a ticket's clock wakes by one-time EventBridge Scheduler schedules, scheduled and
cancelled from the table's stream.

Each ticket carries its SLA clock (kefu.tickets.sla). `functions/escalation_watcher` reads the domain table's stream,
filtered to tickets' INSERT and MODIFY records, and for each generation of a clock that has a milestone to wait for
creates its first wake: a one-time schedule `at(<wakeAt>)` in the `<prefix>-escalation` schedule group, named
`<ticketId>-<generation>-<yyyymmddHHMMSS>` (a redelivered record finds it there: ConflictException), with the plan as
its input, invoking `functions/escalation` asynchronously, deleted by Scheduler once fired (ActionAfterCompletion
DELETE). When a clock moves on (an answer, a pause, a resolution, a reopen, a new policy) the watcher deletes the
previous generation's pending wake (ResourceNotFound is success). A failing batch is bisected and retried, then
described in the watcher's dead-letter queue (alarmed; see dead_letters.py). kefu.escalation.wakes holds the names.
The watcher reads nothing of the table but the versions of terms and calendars tickets' clocks name
(kefu.store.sla_terms, kefu.store.calendars).

The task function runs the milestones due (every retry is safe: milestones escalate once) and, if the plan is not
done, creates the next wake itself; its name carries the next milestone's time, so it never collides with the wake
that fired, which Scheduler is deleting. A wake that came before its time fails (WokeEarly) and Lambda retries it.
The input of a wake and the task's answer, one shape (kefu.escalation.plan.Plan):

    {"ticketId": "TK-7F3K9Q2M", "generation": 2, "done": false,
     "wakeAt": "2026-11-24T02:00:00Z", "milestone": "first_response:75"}
    {"ticketId": "TK-7F3K9Q2M", "generation": 2, "done": true}

No polling: a milestone days away is one schedule. Nothing is lost: a wake Scheduler cannot deliver (the function
throttled or unavailable) is retried by the schedule's retry policy (10 times, for up to 6 hours), then put in the
wakes' dead-letter queue with the error; a wake the task fails is retried by Lambda (twice), then put in the same
queue by the function's on-failure destination, with the error beside the plan. The queue is alarmed on depth and
age (the alarm that watched failed executions before). The Scheduler's role may invoke the task function and send to
that queue, nothing else; the watcher may create and delete, the task only create, schedules of the group, and pass
that role.

Why schedules and not a Standard execution per clock generation (issue 22, as it was until then: Wait with a
TimestampPath, the task, a Choice): Express workflows run at most 5 minutes and a wait is hours to days, and a
Standard execution cost 1 transition to start waiting, 3 per wake and 1 to end: 2 for a web ticket's two stopped
generations, 13 for a complaint reaching all four milestones, 4 for the close after resolution. At $0.025 per 1,000
transitions that was $1.50 per 10,000 web tickets and $5.75 more for a complaint through the dev ladder (23). A
schedule's API calls are free and each wake it fires costs $1 per million, $0.01 per 10,000 tickets for each wake a
ticket has: a web ticket creates three (its two answered generations' first milestones, deleted before they fire,
and the close), $0.03 at most; a complaint through the ladder one per milestone it reaches and the close (tests/cost
counts every CreateSchedule as a fired wake), plus the task invocations it always had. The semantics are the same:
each milestone escalates once and in order, a pause ends the clock and the resume counts from the new due times,
resolving stops escalation at once, a reopen cancels the close. What changed: a wake comes within the minute of its
time (Scheduler's precision), not to the second, and a wake that was due while Scheduler could not invoke the task
waits in a dead-letter queue instead of failing an execution.

The ladder goes on after the breach as configured (`sla.escalation` steps at 150%, 200%…: the supervisor again with
the owner's manager, then the head of service), each step on the ticket's timeline. A step that tells people
(warn_owner, notify_supervisor, notify_manager, notify_head) mails them through SES (`sla.notices`: each group's
supervisors, each agent's manager, the head of service; kefu.escalation.notices) and names them on its entry; the
supervisors' workspace list is `GET /tickets?escalated=true`. Escalations are also announced on the KMS-encrypted
`Escalations` topic (message attributes action, milestone, ticketId, groupId, ownerId for subscription filters),
for any other subscriber (a chat integration). An `Escalations` metric per step (dimensions action, milestone) is in
the kefu namespace; the watcher counts `EscalationWakesScheduled` and `EscalationWakesCancelled`.

A resolved ticket's generation waits for its close (`{"milestone": "close"}`, `sla.auto_close_after`, 7 days by
default): the task closes the ticket if it is still resolved under that generation (kefu.escalation.closing); a
reopen deletes that wake.

The domain table's stream has two consumers with this one (outbound mail, escalation): the most DynamoDB Streams
serves without throttling its readers. A third (KPI aggregates) would need a fan-out (Kinesis Data Streams for
DynamoDB, or EventBridge Pipes) rather than another mapping.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from kefu.config import (
    ESCALATION_DEAD_LETTERS_VAR,
    ESCALATION_FUNCTION_VAR,
    ESCALATION_SCHEDULE_GROUP_VAR,
    ESCALATION_SCHEDULER_ROLE_VAR,
    ESCALATION_TOPIC_VAR,
)
from kefu.store.tickets import ticket_changes_filter
from kefu_infra.capabilities.dead_letters import consume_table_stream, dead_letter_queue
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction
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
        self.topic_key, self.topic = self._add_topic()
        self.task = self._add_task_function(defaults)
        grant_domain_data(self.task.function)
        # Notices to the people a step tells (kefu.escalation.notices) go from the support address of the domain.
        mail_identity.grant_send_email(self.task.function)
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

    # --- the watcher ---------------------------------------------------------------------------------------

    def _add_watcher(self, defaults: FunctionDefaults, table: dynamodb.ITable) -> KefuFunction:
        watcher = KefuFunction(
            self,
            "WatcherFunction",
            name="escalation_watcher",
            defaults=defaults,
            memory_mb=512,
            timeout=WATCHER_TIMEOUT,
            description="Schedules and cancels the wakes of tickets' SLA clocks as the clocks change",
        )
        function = watcher.function
        # A ticket's clock names its terms by version (kefu.store.sla_terms), an older one its calendars (kefu.store.
        # calendars): the watcher reads a version from the table only when the deployment no longer gives it, and
        # nothing else of the table.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem"],
                resources=[table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SLATERMS#*", "CALENDAR#*"]}},
            )
        )
        self.mapping = consume_table_stream(
            self,
            "TicketStream",
            function=function,
            role=watcher.role,
            table=table,
            batch_size=WATCHER_BATCH_SIZE,
            # Records are idempotent to replay (wakes are named): a recreated mapping misses none.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            on_failure=self.dead_letters,
            filters=[ticket_changes_filter()],
        )
        return watcher
