"""What kefu must never lose: the tables, the mail and attachment buckets, the user pool, the survey signing key.

Everything here is retained when the stack is deleted, encrypted at rest, and (for tables) recoverable to any
second of the last 35 days. The service stack, which changes with every release, only references it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from kefu.store.models import INDEXED_ATTRIBUTES
from kefu_infra.checks import acknowledge
from kefu_infra.config import Retention, Web

#: The domain table's secondary indexes (see layers/kefu/python/kefu/store/models.py): each `gsiN` is keyed
#: by `gsiNpk` / `gsiNsk` and projects the keys and `kind` only (INDEXED_ATTRIBUTES: lists read the items by key
#: afterwards). A test holds this to the pynamodb model.
DOMAIN_GSIS = ("gsi1", "gsi2", "gsi3", "gsi4", "gsi5")
#: Cognito groups, strongest first; `cognito:groups` in the token carries them to the API (kefu.identity.Role).
STAFF_GROUPS = {
    "admin": "Administrators: manage groups, agents and configuration",
    "supervisor": "Supervisors: see every group's queue, reassign and escalate",
    "agent": "Agents: work the tickets of their groups",
    "editor": "Editors: write and publish knowledge-base articles",
    "qa": "Quality inspection (质检): review and score agents' tickets, read coverage and scorecards",
}
#: What a function needs to work with the domain table through pynamodb (TransactWriteItems is authorised
#: by the Put/Update/Delete/ConditionCheck actions of its parts).
DOMAIN_DATA_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]
PITR = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)


class StatefulStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        retention: Retention | None = None,
        web: Web | None = None,
        upload_origins: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.prefix = prefix
        self.web = web
        self.retention = retention or Retention()
        self.table_changes = self._add_table_changes()
        self.table = self._add_domain_table()
        self.idempotency_table = self._add_idempotency_table()
        access_logs = self._add_access_log_bucket()
        # SES stores each received mail here; S3 tells EventBridge, whose rule (service stack) queues it for kefu.
        self.raw_mail_bucket = self._add_bucket(
            "RawMail", access_logs, keep_days=self.retention.raw_mail_days, event_bridge=True
        )
        self.attachments_bucket = self._add_bucket(
            "Attachments", access_logs, keep_days=self.retention.attachments_days
        )
        self._allow_browser_uploads(self.attachments_bucket, upload_origins or [])
        self.user_pool = self._add_user_pool()
        self.user_pool_client = self._add_app_client()
        self.auth_domain = self._add_auth_domain()
        self.survey_secret = self._add_survey_secret()
        self._add_outputs()

    def grant_domain_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write the domain table by key, in transactions, and through its indexes, each named.

        Narrower than `grant_read_write_data`: no Scan (docs/architecture.md: never a scan on a request path), no stream
        or table-description reads, and the indexes by name rather than `index/*`.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=DOMAIN_DATA_ACTIONS,
            resource_arns=[
                self.table.table_arn,
                *(f"{self.table.table_arn}/index/{name}" for name in DOMAIN_GSIS),
            ],
        )

    def _add_domain_table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            # The same changes for the readers beyond the stream's two (kefu_infra.capabilities.kpis says why).
            kinesis_stream=self.table_changes,
            # Short-lived items (per-sender hourly mail counts) say when they may go, in epoch seconds.
            time_to_live_attribute="expiresAt",
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=PITR,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for name in DOMAIN_GSIS:
            table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=f"{name}pk", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=f"{name}sk", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.INCLUDE,
                non_key_attributes=INDEXED_ATTRIBUTES[name],
            )
        return table

    def _add_table_changes(self) -> kinesis.Stream:
        """The domain table's changes as a Kinesis data stream (Kinesis Data Streams for DynamoDB): on demand,
        encrypted (the aws/kinesis key), kept a week so a consumer can be replayed after a bad release."""
        return kinesis.Stream(
            self,
            "TableChanges",
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.MANAGED,
            retention_period=Duration.days(7),
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _add_idempotency_table(self) -> dynamodb.Table:
        # The Powertools DynamoDB persistence layer's defaults: key `id`, expiry epoch in `expiration`.
        return dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expiration",
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=PITR,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _add_access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket receives the server access logs of the raw-mail and attachment buckets; logging its "
            "own access would log the log deliveries, without end.",
        )
        return bucket

    def _add_bucket(
        self, name: str, access_logs: s3.IBucket, *, keep_days: int, event_bridge: bool = False
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{name}/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=self._retention_rules(keep_days),
        )
        if event_bridge:
            # CloudFormation's own bucket property: `event_bridge_enabled=True` would add CDK's notifications
            # custom resource (a Lambda function with a wildcard S3 policy) for what one property does.
            cfn = bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
            )
        return bucket

    @staticmethod
    def _allow_browser_uploads(bucket: s3.Bucket, origins: list[str]) -> None:
        """The web app's pages (the API's CORS origins) post files straight to the bucket with pre-signed POSTs
        (kefu.attachments) and read the answer; nothing else crosses origins."""
        if origins:
            bucket.add_cors_rule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=list(origins),
                allowed_headers=["*"],
                max_age=3600,
            )

    def _retention_rules(self, keep_days: int) -> list[s3.LifecycleRule]:
        """Objects deleted `keep_days` after they were written, their versions `noncurrent_days` later, and the
        delete markers left then removed (S3 takes expired-marker cleanup only in a rule of its own)."""
        return [
            s3.LifecycleRule(
                id="Retention",
                expiration=Duration.days(keep_days),
                noncurrent_version_expiration=Duration.days(self.retention.noncurrent_days),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            ),
            s3.LifecycleRule(id="ExpiredDeleteMarkers", expired_object_delete_marker=True),
        ]

    def _add_user_pool(self) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=self.prefix,
            # Customers sign up from the web and mobile apps; staff are created by an administrator.
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            pool,
            "AwsSolutions-COG2",
            "One pool serves customers, who sign up from the apps, and staff: requiring MFA would stop every "
            "customer at sign-up. TOTP MFA is offered to all, and threat protection (Plus plan, full "
            "function) challenges risky sign-ins.",
        )
        for precedence, (group, description) in enumerate(STAFF_GROUPS.items(), start=1):
            cognito.CfnUserPoolGroup(
                self,
                f"{group.capitalize()}Group",
                user_pool_id=pool.user_pool_id,
                group_name=group,
                description=description,
                precedence=precedence,
            )
        return pool

    def _add_app_client(self) -> cognito.UserPoolClient:
        # A public client (web and mobile apps hold no secret); SRP keeps the password off the wire.
        return self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=f"{self.prefix}-apps",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            **self._hosted_sign_in(),
        )

    def _hosted_sign_in(self) -> dict[str, Any]:
        """The web app signs in through Cognito's hosted pages: the authorization code flow (the app adds PKCE), back
        only to the stage's callback URLs. A stage without `web:` keeps the client as it was."""
        if self.web is None:
            return {}
        return {
            "o_auth": cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=list(self.web.callback_urls),
                logout_urls=list(self.web.logout_urls),
            ),
            "supported_identity_providers": [cognito.UserPoolClientIdentityProvider.COGNITO],
        }

    def _add_auth_domain(self) -> cognito.UserPoolDomain | None:
        if self.web is None:
            return None
        return self.user_pool.add_domain(
            "HostedSignIn",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=self.web.auth_domain_prefix),
        )

    def _add_survey_secret(self) -> secretsmanager.Secret:
        """The key that signs survey links (kefu.surveys.tokens): generated, never in code or configuration."""
        secret = secretsmanager.Secret(
            self,
            "SurveySecret",
            description=f"{self.prefix}: signs revisit survey links (HMAC-SHA256); rotate with put-secret-value",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "The survey signing key is rotated by an operator (put-secret-value with a new random string), not on a "
            "schedule: kefu verifies links signed with the current and the previous version only, so a rotation "
            "more often than survey links live (up to 90 days) would break links customers have not opened yet.",
        )
        return secret

    def _add_outputs(self) -> None:
        CfnOutput(self, "TableName", value=self.table.table_name, description="The domain table")
        CfnOutput(
            self,
            "IdempotencyTableName",
            value=self.idempotency_table.table_name,
            description="Powertools idempotency records",
        )
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id, description="Cognito user pool")
        CfnOutput(
            self,
            "UserPoolClientId",
            value=self.user_pool_client.user_pool_client_id,
            description="App client id: the JWT audience the API accepts",
        )
        CfnOutput(self, "RawMailBucketName", value=self.raw_mail_bucket.bucket_name, description="Raw inbound MIME")
        CfnOutput(
            self, "AttachmentsBucketName", value=self.attachments_bucket.bucket_name, description="Ticket attachments"
        )
        CfnOutput(
            self,
            "SurveySecretArn",
            value=self.survey_secret.secret_arn,
            description="Signs survey links; rotate: aws secretsmanager put-secret-value --secret-id <this>",
        )
