"""Quality inspection (质检): the automatic checks on every resolved ticket (functions/qa_checks, kefu.qa.inspection),
and the monthly sampling (functions/qa, kefu.qa.monthly) that EventBridge Scheduler starts as a Step Functions
execution, as the revisit campaigns are started.

The sampling state machine, `<prefix>-qa-sampling` (Standard):

    Sample (Task: the month's sample, reviews and coverage rows; its report is the output) → Done (Succeed)
    A Catch on Sample → RunFailed (Fail, with the caught error and cause)

Input from the schedule (`qa.sampling.schedule`: on the 1st, for the month before), or by hand for any month:

    {"scheduledAt": "2026-11-30T19:00:00Z"}        {"month": "2026-11"}

Output (kefu.qa.monthly.run): {"month", "seed", "agents", "agentsWithoutTickets", "resolved", "sampled",
"reviewsMade", "rubricVersion", "finishedAt", "repeated"}. A month is sampled once: a repeated start answers the
recorded report. One execution a month: 3 state transitions and 1 invocation.

Why the table's Kinesis data stream, the KPI function's fan-out, and not the EventBridge bus's status-changed events:
the bus carries `kefu.ticket.status-changed` only for tickets of a contact channel with a queue (phone, chat, …), so
web and e-mail tickets would go unchecked; the Kinesis stream has every ticket write, keeps records a week (a
release with a bad rule is replayed), and takes up to five readers (this is its second). A separate reader rather
than more work in the KPI function: a failing check must never hold the KPI aggregates back, nor the reverse.

Lambda's event filter passes only tickets written resolved or closed (a few of the ~6 writes of a ticket's life;
a survey answer writes the ticket too, so a low CSAT is seen). Cost per record passed: GetItem (ticket), Query
(timeline, 100 entries a page), GetItem (stored findings) and a PutItem when they changed: 3-4 calls, about 8 per
ticket (resolved, closed, a survey answer), 80,000 a day at 10,000 tickets a day.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, RemovalPolicy, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from kefu.qa.config import Sampling
from kefu_infra.capabilities.dead_letters import dead_letter_queue
from kefu_infra.capabilities.function import (
    FunctionDefaults,
    KefuFunction,
    acknowledge_state_machine_role,
    retry_lambda_service_errors,
    state_machine_log_group,
)
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.capabilities.stream_reader import StreamReading, TableChangesReader
from kefu_infra.checks import acknowledge

CHECKS_TIMEOUT = Duration.seconds(60)
#: One invocation samples a whole month (about 6,000 reads for 300,000 tickets).
SAMPLING_TIMEOUT = Duration.minutes(15)
SAMPLING_RUN_TIMEOUT = Duration.hours(2)
SCHEDULE_RETRY_ATTEMPTS = 20
SCHEDULE_MAX_EVENT_AGE = Duration.hours(12)
#: Failures no retry mends: a malformed input.
NOT_RETRIED = ["ValidationError", "BadRequest"]
CHECKS_BATCH_SIZE = 50
#: Lambda's event filter on the Kinesis records' data: tickets written resolved or closed, nothing else.
RESOLVED_TICKETS = {
    "data": {"dynamodb": {"NewImage": {"kind": {"S": ["ticket"]}, "status": {"S": ["resolved", "closed"]}}}}
}


CHECKS = StreamReading(
    name="qa_checks",
    function_id="Function",
    description="Automatic QA checks on every resolved ticket, from the table's Kinesis data stream",
    memory_mb=512,
    timeout=CHECKS_TIMEOUT,
    batch_size=CHECKS_BATCH_SIZE,
    max_batching_window=Duration.seconds(5),
    pattern=RESOLVED_TICKETS,
    holds="the automatic QA checks",
    function_label="the QA checks function",
    watched_as="qa-checks",
)


class QaChecks(TableChangesReader):
    """The automatic QA checks: functions/qa_checks reading the tickets written resolved or closed."""

    reading = CHECKS


class QaSampling(Construct):
    """The monthly sampling: its function, its state machine, and the schedule that starts it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        sampling: Sampling,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.state_machine_name = f"{prefix}-qa-sampling"
        self.task = KefuFunction(
            self,
            "Function",
            name="qa",
            defaults=defaults,
            memory_mb=1024,
            timeout=SAMPLING_TIMEOUT,
            description="QA sampling: a month's reviews per agent and its coverage",
        )
        grant_domain_data(self.task.function)
        acknowledge(
            self.task.function,
            "Serverless-LambdaDLQ",
            "Invoked synchronously by the QA sampling state machine, never asynchronously: a failed invocation is "
            "retried by the state machine and, when retries run out, fails the execution, which is alarmed.",
        )
        self.log_group = state_machine_log_group(self, self.state_machine_name, defaults.log_retention_days)
        self.state_machine = self._add_state_machine()
        self.dead_letters = dead_letter_queue(
            self,
            "ScheduleDeadLetters",
            holds="the QA sampling schedule",
            fed_by="EventBridge Scheduler puts here the sampling starts it could not deliver after its retries "
            "(the schedule's input, with the error)",
        )
        self.schedule = self._add_schedule(sampling) if sampling.enabled else None
        monitoring.watch_state_machine("qa-sampling", self.state_machine)
        monitoring.watch_function("qa", self.task.function)
        monitoring.watch_dead_letter_queue("qa-schedule", self.dead_letters)
        monitoring.watch_dead_letter_age("qa-schedule", self.dead_letters)

    def _add_state_machine(self) -> sfn.StateMachine:
        sample = tasks.LambdaInvoke(
            self,
            "Sample",
            lambda_function=self.task.function,
            payload_response_only=True,
            retry_on_service_exceptions=False,  # declared here, with throttling added
            comment="Samples the month (once): reviews per agent, coverage rows; the run's report",
        )
        retry_lambda_service_errors(sample)
        sample.add_retry(errors=NOT_RETRIED, max_attempts=0)
        sample.add_retry(errors=["States.TaskFailed"], interval=Duration.seconds(30), max_attempts=3, backoff_rate=3)
        failed = sfn.Fail(
            self,
            "RunFailed",
            error_path=sfn.JsonPath.string_at("$.failure.Error"),
            cause_path=sfn.JsonPath.string_at("$.failure.Cause"),
        )
        sample.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.failure")
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(sample.next(sfn.Succeed(self, "Done"))),
            comment="A month's QA sampling: every agent's reviews and the month's coverage",
            timeout=SAMPLING_RUN_TIMEOUT,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        acknowledge_state_machine_role(machine, self.task)
        return machine

    def _add_schedule(self, sampling: Sampling) -> scheduler.Schedule:
        role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"{self.prefix}: EventBridge Scheduler starts the monthly QA sampling",
        )
        group = scheduler.ScheduleGroup(
            self, "Schedules", schedule_group_name=f"{self.prefix}-qa", removal_policy=RemovalPolicy.DESTROY
        )
        target = targets.StepFunctionsStartExecution(
            self.state_machine,
            input=scheduler.ScheduleTargetInput.from_object({"scheduledAt": scheduler.ContextAttribute.scheduled_time}),
            role=role,
            dead_letter_queue=self.dead_letters,
            retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
            max_event_age=SCHEDULE_MAX_EVENT_AGE,
        )
        schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule_name="monthly-sampling",
            schedule_group=group,
            schedule=scheduler.ScheduleExpression.expression(
                sampling.schedule.expression, time_zone=TimeZone.of(sampling.schedule.timezone)
            ),
            target=target,
            time_window=scheduler.TimeWindow.off(),
            description="QA sampling of the month before: every agent's reviews",
        )
        schedule.node.add_dependency(group)
        return schedule
