"""The one way kefu makes a Lambda function: arm64, Python 3.13, JSON logs into its own log group with a
retention, active tracing, the shared layers and environment, and a role of its own that starts empty.

Adding a function is a few lines in its capability:

    fn = KefuFunction(self, "Function", name="intake", defaults=defaults, memory_mb=512,
                      timeout=CONSUMER_TIMEOUT, description="Turns contacts from the intake queue into tickets")
    grant_domain_data(fn.function)
    monitoring.watch_function("intake", fn.function)
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import AssetHashType, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from kefu_infra import layers
from kefu_infra.checks import acknowledge, nag_print
from kefu_infra.paths import FUNCTIONS

PYTHON = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
#: Lambda's own errors (CDK's defaults for a LambdaInvoke task) and throttling: retried quickly, with backoff.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

_APPLICATION_LOG_LEVEL = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
}


def built_code(built: layers.BuiltLayer) -> lambda_.Code:
    """A build of layers.py as Lambda code, its asset named by the build's digest."""
    return lambda_.Code.from_asset(str(built.path), asset_hash=built.digest, asset_hash_type=AssetHashType.CUSTOM)


def grant_idempotency(table: dynamodb.ITable, grantee: iam.IGrantable) -> None:
    """Powertools idempotency reads, writes, updates and deletes its records by key, nothing else."""
    table.grant(grantee, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def grant_texts(function: lambda_.Function, role: iam.IRole) -> None:
    """SNS Publish to phone numbers (kefu.sms): a text names no resource, so the grant is on '*', and a deny on every
    topic keeps it to phone numbers (a function that may text may not publish to the account's topics)."""
    function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
    topics = Stack.of(function).format_arn(service="sns", region="*", account="*", resource="*")
    function.add_to_role_policy(
        iam.PolicyStatement(effect=iam.Effect.DENY, actions=["sns:Publish"], resources=[topics])
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) and SNS Publish to a phone number (a text "
        "message) take no resource; the role denies sns:Publish on every topic, so only phone numbers remain.",
    )
    acknowledge(
        role,
        "Serverless-LambdaStarPermissions",
        "xray:PutTraceSegments/PutTelemetryRecords and sns:Publish to phone numbers take no resource (topics denied).",
    )


def retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


def state_machine_log_group(scope: Construct, name: str, retention_days: int) -> logs.LogGroup:
    """A state machine's execution log, retained with the stack's data. Under `/aws/vendedlogs/` as Step Functions
    asks, so its resource policy stays small."""
    return logs.LogGroup(
        scope,
        "StateMachineLogs",
        log_group_name=f"/aws/vendedlogs/states/{name}",
        retention=retention(retention_days),
        removal_policy=RemovalPolicy.RETAIN,
    )


def retry_lambda_service_errors(task: tasks.LambdaInvoke) -> None:
    """Retry a task on Lambda's service errors and throttling (declared instead of CDK's default retry)."""
    task.add_retry(
        errors=LAMBDA_SERVICE_ERRORS,
        interval=Duration.seconds(2),
        max_attempts=6,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )


def acknowledge_state_machine_role(machine: sfn.StateMachine, function: KefuFunction) -> None:
    """cdk-nag's findings on the role of a state machine that invokes `function`, logs and traces."""
    versions = nag_print(Stack.of(machine).resolve(f"{function.function.function_arn}:*"))
    acknowledge(
        machine.role,
        f"AwsSolutions-IAM5[Resource::{versions}]",
        f"CDK's LambdaInvoke grant: lambda:InvokeFunction on the {function.name} function and on its versions and "
        "aliases (<arn>:*), which the task may name; on no other function.",
    )
    acknowledge(
        machine.role,
        "AwsSolutions-IAM5[Resource::*]",
        "Logging to CloudWatch Logs and tracing need the log-delivery actions (logs:CreateLogDelivery…) and "
        "xray:PutTraceSegments/PutTelemetryRecords/GetSampling*, which take no resource-level permissions.",
    )


@dataclass(frozen=True)
class FunctionDefaults:
    """What every kefu function shares: layers, environment, log retention and level."""

    layers: list[lambda_.ILayerVersion]
    environment: dict[str, str]
    log_retention_days: int
    log_level: str


class KefuFunction(Construct):
    """`functions/<name>/handler.py` deployed as a Lambda function, with its log group and its own role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        defaults: FunctionDefaults,
        memory_mb: int,
        timeout: Duration,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        code = FUNCTIONS / name
        if not (code / "handler.py").is_file():
            raise FileNotFoundError(f"function {name!r} has no code: {code / 'handler.py'} is missing")
        self.name = name
        self.log_group = self._add_log_group(defaults.log_retention_days)
        self.role = self._add_role(description)
        self.function = lambda_.Function(
            self,
            "Function",
            code=built_code(layers.function_code(name)),
            handler="handler.lambda_handler",
            runtime=PYTHON,
            architecture=ARCHITECTURE,
            memory_size=memory_mb,
            timeout=timeout,
            description=description,
            role=self.role,
            layers=defaults.layers,
            environment=defaults.environment,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=_APPLICATION_LOG_LEVEL[defaults.log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
        )
        self._acknowledge_platform_findings()

    def _add_log_group(self, days: int) -> logs.LogGroup:
        return logs.LogGroup(self, "Logs", retention=retention(days), removal_policy=RemovalPolicy.RETAIN)

    def _add_role(self, description: str) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"kefu {self.name} function: {description}",
        )
        # Writing its own log group is all a new function may do; capabilities add their grants.
        self.log_group.grant_write(role)
        return role

    def _acknowledge_platform_findings(self) -> None:
        tracing_reason = (
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray does not "
            "scope to resources; CDK adds exactly these two actions on '*'."
        )
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]", tracing_reason)
        acknowledge(self.role, "Serverless-LambdaStarPermissions", tracing_reason)
        for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(
                self.function,
                rule,
                "Python 3.13 is the runtime kefu is built and tested for: the dependencies layer "
                "holds cp313 arm64 wheels; moving to 3.14 is a deliberate upgrade of both together.",
            )
