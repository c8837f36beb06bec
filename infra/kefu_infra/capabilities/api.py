"""The HTTP API: API Gateway (HTTP API) in front of `functions/api`, one route per route the function declares,
each behind the Cognito JWT authorizer unless the function lists its path as public.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as rest
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from kefu.config import ATTACHMENTS_BUCKET_VAR
from kefu_infra import config
from kefu_infra.capabilities.email import ATTACHMENTS_PREFIX as MAIL_FILES
from kefu_infra.capabilities.function import FunctionDefaults, KefuFunction, grant_idempotency, retention
from kefu_infra.capabilities.monitoring import Monitoring
from kefu_infra.checks import acknowledge
from kefu_infra.routes import Route

#: Why a path may be reached without a token. A path the function declares public that is not here stops the
#: synth: opening a route to the internet is a decision to write down, not a side effect.
PUBLIC_BY_DESIGN = {
    "/health": "the liveness probe for uptime checks; it reads nothing and returns only {'status': 'ok'}",
    "/openapi.json": "the API description, which a client needs before it has a token",
    "/docs": "the Swagger UI page that renders the same public API description",
}
#: Path prefixes public by design, for routes with a path parameter.
PUBLIC_PREFIXES = {
    "/surveys/": "a satisfaction survey link, opened by a customer from an e-mail; its signed token in the "
    "path is the credential, checked by the function",
}
# What API Gateway writes for each request: JSON, so Logs Insights can query it field by field.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "caller": "$context.authorizer.claims.sub",
}
#: Where the web app's uploads go in the attachments bucket (kefu.attachments; mail files are under mail/).
UPLOADS_PREFIX = "uploads/"
CORS_HEADERS = ["authorization", "content-type", "idempotency-key", "if-match"]


def why_public(path: str) -> str:
    if path in PUBLIC_BY_DESIGN:
        return PUBLIC_BY_DESIGN[path]
    for prefix, reason in PUBLIC_PREFIXES.items():
        if path.startswith(prefix):
            return reason
    raise ValueError(
        f"functions/api/handler.py declares {path} public (PUBLIC_PATHS), but only "
        f"{', '.join([*PUBLIC_BY_DESIGN, *(p + '*' for p in PUBLIC_PREFIXES)])} may be reached without a "
        "token; add the path and the reason to PUBLIC_BY_DESIGN in infra/kefu_infra/capabilities/api.py"
    )


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        settings: config.Api,
        routes: list[Route],
        defaults: FunctionDefaults,
        grant_domain_data: Callable[[iam.IGrantable], iam.Grant],
        idempotency_table: dynamodb.ITable,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        survey_secret: secretsmanager.ISecret,
        attachments_bucket: s3.IBucket,
        monitoring: Monitoring,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = KefuFunction(
            self,
            "Function",
            name="api",
            defaults=defaults,
            memory_mb=1024,
            timeout=Duration.seconds(10),
            description="HTTP API: tickets, timelines, groups and agents",
        )
        self._add_grants(grant_domain_data, idempotency_table)
        # The survey routes sign nothing, but check the signature of the links they are given.
        survey_secret.grant_read(self.handler.function)
        self._grant_attachments(attachments_bucket)
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=prefix,
            description=f"{prefix} HTTP API",
            create_default_stage=False,
            cors_preflight=self._cors(settings.cors_origins),
        )
        self.stage = self._add_stage(settings.throttle, defaults.log_retention_days)
        authorizer = authorizers.HttpUserPoolAuthorizer(
            "Cognito",
            user_pool,
            user_pool_clients=[user_pool_client],
            identity_source=["$request.header.Authorization"],
        )
        self._add_routes(routes, authorizer)
        acknowledge(
            self.handler.function,
            "Serverless-LambdaDLQ",
            "Only API Gateway invokes this function, synchronously: a failure is answered to the client and "
            "counted by the errors and 5xx alarms; Lambda never retries it, so a dead-letter queue would stay empty.",
        )
        monitoring.watch_api("api", self.http_api)
        monitoring.watch_function("api", self.handler.function)

    @property
    def url(self) -> str:
        return self.stage.url

    def _add_grants(
        self, grant_domain_data: Callable[[iam.IGrantable], iam.Grant], idempotency_table: dynamodb.ITable
    ) -> None:
        grant_domain_data(self.handler.function)
        grant_idempotency(idempotency_table, self.handler.function)

    def _grant_attachments(self, bucket: s3.IBucket) -> None:
        """Pre-signed uploads under uploads/ (a pre-signed POST carries this function's permission, so the grant is
        what lets the browser's upload in) and downloads of ticket files, uploaded or from mail; reading an
        object's size and type back (HeadObject) is GetObject's."""
        function = self.handler.function
        function.add_environment(ATTACHMENTS_BUCKET_VAR, bucket.bucket_name)
        # Reads only where ticket files live: uploads, and mail attachments (kefu.email stores them under mail/);
        # export archives are the privacy capability's own grant (exports/).
        grants = (("s3:PutObject", UPLOADS_PREFIX), ("s3:GetObject", UPLOADS_PREFIX), ("s3:GetObject", MAIL_FILES))
        for action, prefix in grants:
            iam.Grant.add_to_principal(
                grantee=function, actions=[action], resource_arns=[bucket.arn_for_objects(f"{prefix}*")]
            )
        # The bucket's ARN reaches this stack as an import; cdk-nag prints the export's name in its finding.
        imported = Stack.of(self).resolve(Stack.of(bucket).export_value(bucket.bucket_arn))["Fn::ImportValue"]
        for _action, prefix in grants:
            acknowledge(
                self.handler.role,
                f"AwsSolutions-IAM5[Resource::{imported}/{prefix}*]",
                "Uploaded files are named by a random id under each uploader's prefix and downloaded by the key a "
                "ticket records, so the grant is on the objects under that prefix of the attachments bucket only.",
            )

    @staticmethod
    def _cors(origins: list[str]) -> apigw.CorsPreflightOptions | None:
        if not origins:
            return None
        return apigw.CorsPreflightOptions(
            allow_origins=list(origins),
            allow_methods=[
                apigw.CorsHttpMethod.GET,
                apigw.CorsHttpMethod.POST,
                apigw.CorsHttpMethod.PUT,
                apigw.CorsHttpMethod.PATCH,
                apigw.CorsHttpMethod.OPTIONS,
            ],
            allow_headers=CORS_HEADERS,
            expose_headers=["etag", "location"],
            max_age=Duration.hours(1),
        )

    def _add_stage(self, throttle: config.Throttle, log_retention_days: int) -> apigw.HttpStage:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(log_retention_days), removal_policy=RemovalPolicy.RETAIN
        )
        return apigw.HttpStage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=throttle.rate, burst_limit=throttle.burst),
            detailed_metrics_enabled=True,
            access_log_settings=_AccessLogSettings(
                apigw.LogGroupLogDestination(access_logs),
                rest.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
            ),
        )

    def _add_routes(self, routes: list[Route], authorizer: apigw.IHttpRouteAuthorizer) -> None:
        integration = integrations.HttpLambdaIntegration("Function", self.handler.function)
        for route in routes:
            added = self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod[route.method]],
                integration=integration,
                authorizer=authorizer if route.needs_token else apigw.HttpNoneAuthorizer(),
            )
            if not route.needs_token:
                for public in added:
                    acknowledge(
                        public, "AwsSolutions-APIG4", f"{route.key} is public by design: {why_public(route.path)}."
                    )


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is an interface in CDK's Python binding, not a struct: this is its implementation."""

    def __init__(self, destination: apigw.IAccessLogDestination, log_format: rest.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> rest.AccessLogFormat:
        return self._format
