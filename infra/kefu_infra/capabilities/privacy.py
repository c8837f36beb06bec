"""Privacy jobs: a customer's erasure and data export (kefu.customers.erasure, .exports), one Standard state machine
running `functions/privacy` step by step, started by the API (`DELETE /customers/{id}`, `POST …/export`).

    RunStep (Task: the function, payload only; retried on Lambda's service errors and throttling, then on the
             function's own failures: every step is safe to repeat)
      → Done? (Choice: $.done == true → Finished (Succeed); otherwise → RunStep)
    RunStep's catch (retries spent) → RecordFailure (Task: the function with `error`) → Failed (Fail)

Input and the output of each step, one shape (kefu.model.customer_records.PrivacyJob):

    {"job": "erase", "customerId": "CU-…", "phase": "tickets", "cursor": null, "done": false}
    {"job": "erase", "customerId": "CU-…", "phase": "record", "done": true}
    {"job": "export", "customerId": "CU-…", "jobId": "EX-…", "done": true}

An erasure takes one step per 25 tickets and one for the record; an export one step. Executions are named
`erase-<digest of the customer id>-<request count>` and `export-<job id>-1`, so a request retried by a client
starts nothing twice. State transitions: 2 per step and 1 to end (an erasure of 100 tickets: 11; at $0.025 per
1,000, negligible). A failed execution is alarmed (Monitoring.watch_state_machine); the record stays `erasing`
and a repeated DELETE starts another execution that redoes what is left.

The function reads, writes and deletes the table's items, deletes raw mails (every version: the buckets are
versioned) and attachments, and writes export archives under `exports/` of the attachments bucket; the API
function starts executions and reads `exports/` (its pre-signed links are signed with its role).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from kefu.config import ATTACHMENTS_BUCKET_VAR, PRIVACY_STATE_MACHINE_VAR, RAW_MAIL_BUCKET_VAR
from kefu_infra.capabilities.function import (
    FunctionDefaults,
    KefuFunction,
    acknowledge_state_machine_role,
    retry_lambda_service_errors,
    state_machine_log_group,
)
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge

#: One step: 25 tickets with their timelines and files, or a whole export archive.
TASK_TIMEOUT = Duration.minutes(5)
EXPORTS_PREFIX = "exports/"


class Privacy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        raw_mail_bucket: s3.IBucket,
        attachments_bucket: s3.IBucket,
        api_function: lambda_.Function,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machine_name = f"{prefix}-privacy"
        self.task = self._add_task_function(defaults, raw_mail_bucket, attachments_bucket)
        grant_domain_data(self.task.function)
        self.log_group = state_machine_log_group(self, self.state_machine_name, defaults.log_retention_days)
        self.state_machine = self._add_state_machine()
        self._let_the_api_start(api_function, attachments_bucket)
        monitoring.watch_state_machine("privacy", self.state_machine)
        monitoring.watch_function("privacy", self.task.function)

    def _add_task_function(
        self, defaults: FunctionDefaults, raw_mail_bucket: s3.IBucket, attachments_bucket: s3.IBucket
    ) -> KefuFunction:
        task = KefuFunction(
            self,
            "Function",
            name="privacy",
            defaults=defaults,
            memory_mb=1024,
            timeout=TASK_TIMEOUT,
            description="Runs a step of a customer's erasure or data export",
        )
        function = task.function
        function.add_environment(RAW_MAIL_BUCKET_VAR, raw_mail_bucket.bucket_name)
        function.add_environment(ATTACHMENTS_BUCKET_VAR, attachments_bucket.bucket_name)
        self._grant_objects(
            task,
            raw_mail_bucket,
            "",
            ["s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            "reads (exports) and deletes (erasures) a customer's raw mails, named by SES",
        )
        self._grant_objects(
            task,
            attachments_bucket,
            "",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            "reads and deletes a customer's attachments (named by the mail they came in) and writes export archives",
        )
        for bucket in (raw_mail_bucket, attachments_bucket):
            # Listing the versions of the objects it deletes (the buckets are versioned).
            iam.Grant.add_to_principal(
                grantee=function, actions=["s3:ListBucketVersions", "s3:ListBucket"], resource_arns=[bucket.bucket_arn]
            )
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "Invoked synchronously by the privacy state machine, never asynchronously: a failed invocation is "
            "retried by the state machine and, when retries run out, recorded and fails the execution (alarmed).",
        )
        return task

    def _grant_objects(self, task: KefuFunction, bucket: s3.IBucket, prefix: str, actions: list[str], why: str) -> None:
        iam.Grant.add_to_principal(
            grantee=task.function, actions=actions, resource_arns=[bucket.arn_for_objects(f"{prefix}*")]
        )
        imported = Stack.of(self).resolve(Stack.of(bucket).export_value(bucket.bucket_arn))["Fn::ImportValue"]
        acknowledge(
            task.role,
            f"AwsSolutions-IAM5[Resource::{imported}/{prefix}*]",
            f"The {task.name} function {why}: a customer's objects are spread over the bucket under names kefu "
            "does not choose, so the grant is on the bucket's objects, and on no other bucket.",
        )

    def _add_state_machine(self) -> sfn.StateMachine:
        run = tasks.LambdaInvoke(
            self,
            "RunStep",
            lambda_function=self.task.function,
            payload_response_only=True,
            retry_on_service_exceptions=False,  # declared below, with throttling added
            comment="One step of the erasure or export; returns the next document",
        )
        retry_lambda_service_errors(run)
        run.add_retry(
            errors=["States.TaskFailed"],
            interval=Duration.seconds(10),
            max_attempts=3,
            backoff_rate=3,
            jitter_strategy=sfn.JitterType.FULL,
        )
        record_failure = tasks.LambdaInvoke(
            self,
            "RecordFailure",
            lambda_function=self.task.function,
            payload_response_only=True,
            retry_on_service_exceptions=False,
            comment="Marks an export failed (an erasure stays erasing, to be asked for again)",
        )
        retry_lambda_service_errors(record_failure)
        record_failure.next(sfn.Fail(self, "Failed", error="Kefu.PrivacyJobFailed", cause="a step kept failing"))
        run.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")
        done = sfn.Choice(self, "Done?").when(
            sfn.Condition.boolean_equals("$.done", True), sfn.Succeed(self, "Finished")
        )
        definition = run.next(done.otherwise(run))
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            comment="A customer's erasure or data export (kefu.customers.erasure, kefu.customers.exports)",
            # No execution data in the log: the documents name customers, the steps' results nothing more, and
            # what a customer asked to be erased must not live on in a log.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        acknowledge_state_machine_role(machine, self.task)
        return machine

    def _let_the_api_start(self, api_function: lambda_.Function, attachments_bucket: s3.IBucket) -> None:
        api_function.add_environment(PRIVACY_STATE_MACHINE_VAR, self.state_machine.state_machine_arn)
        api_function.add_environment(ATTACHMENTS_BUCKET_VAR, attachments_bucket.bucket_name)
        self.state_machine.grant_start_execution(api_function)
        # The export links are pre-signed GETs: signed with the API function's role, which must read the archives.
        iam.Grant.add_to_principal(
            grantee=api_function,
            actions=["s3:GetObject"],
            resource_arns=[attachments_bucket.arn_for_objects(f"{EXPORTS_PREFIX}*")],
        )
        imported = Stack.of(self).resolve(Stack.of(attachments_bucket).export_value(attachments_bucket.bucket_arn))
        assert api_function.role is not None  # a KefuFunction's role, made with it
        acknowledge(
            api_function.role,
            f"AwsSolutions-IAM5[Resource::{imported['Fn::ImportValue']}/{EXPORTS_PREFIX}*]",
            "The API signs export links (pre-signed GETs of the archives), which S3 honours only if its role may "
            "read them: objects under exports/ of the attachments bucket, named by their job, and nothing else.",
        )
