"""The web app in AWS: the built app (`web/dist`) in a private bucket, served by CloudFront through origin access
control, with the security headers the local stack also sends (kefu_local/web.py) and the runtime configuration
(`/config.json`: the API's URL, Cognito's hosted sign-in domain and app client, the desk's time zone) written at
deploy, so one build runs against any stage.

Paths are the app's own (`/tickets/…`, `/console`, `/auth/callback`): an object the bucket lacks answers the app's
`index.html`, which routes in the browser. `index.html` and `config.json` are never cached (a release or a changed
configuration shows at once); the hashed assets are cached for a year.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from kefu_infra.checks import acknowledge
from kefu_infra.config import Web

#: HSTS for two years, subdomains included (the app is https only).
HSTS_SECONDS = 2 * 365 * 24 * 3600
#: Never cached: a new release's entry point and the deploy-time configuration show on the next load.
UNCACHED = ("/index.html", "/config.json")


def content_security_policy(api_url: str, auth_url: str) -> str:
    """The app's own scripts and styles only (no inline script or style), talking to its API and Cognito's token
    endpoint (the authorization code is exchanged from the browser)."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {api_url} {auth_url}",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        )
    )


class WebApp(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Web,
        dist: Path,
        api_url: str,
        auth_url: str,
        client_id: str,
        time_zone: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = self._add_bucket()
        self.headers = self._add_headers(api_url, auth_url)
        self.distribution = self._add_distribution(settings)
        config = {"apiUrl": api_url, "localSignIn": False, "timeZone": time_zone}
        self._add_deployment(dist, config | {"cognito": {"domain": auth_url, "clientId": client_id}})

    def _add_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            # The built app only, published again on every deploy: nothing to keep when the stack goes.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "The bucket holds only the built web app, written by the deployment and read only by CloudFront "
            "through origin access control; every read is a CloudFront request, logged there.",
        )
        return bucket

    def _add_headers(self, api_url: str, auth_url: str) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="kefu web app: CSP without inline scripts, HSTS, no framing, no sniffing, no referrer",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(api_url, auth_url), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_SECONDS),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )

    def _add_distribution(self, settings: Web) -> cloudfront.Distribution:
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        uncached = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            response_headers_policy=self.headers,
        )
        # The stage file gives both or neither (kefu_infra.config.Web).
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn)
            if settings.certificate_arn
            else None
        )
        custom = certificate is not None
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="kefu web app",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            additional_behaviors={path: uncached for path in UNCACHED},
            # Without ListBucket, a path the bucket lacks is a 403: both are the app's own routes.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path="/index.html",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Settable with the stage's own certificate only (CloudFront's own fixes it otherwise).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if custom else None,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            domain_names=[settings.domain_name] if settings.domain_name else None,
            certificate=certificate,
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "Customers and staff sign in from wherever they are (travel, remote work, overseas customers); the app "
            "is static files, and the API and Cognito enforce who may do what.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "The distribution serves static files only; requests that change data go to the HTTP API, which is "
            "throttled per stage, and sign-in to Cognito, whose threat protection (Plus plan) guards it.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR3",
            "Static files of a public app: who loaded index.html says nothing an operator acts on; the API's "
            "access logs record every use of data.",
        )
        if not custom:
            acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "Without the stage's own domain (web.domain_name and certificate_arn) the distribution uses "
                "CloudFront's certificate, whose minimum protocol CloudFront fixes; with them, TLS 1.2 (2021) is set.",
            )
        return distribution

    def _add_deployment(self, dist: Path, config: dict) -> None:
        sources = [s3deploy.Source.json_data("config.json", config)]
        if (dist / "index.html").is_file():
            sources.insert(0, s3deploy.Source.asset(str(dist)))
        else:
            # Synthesis works without a build (tests, the local stack); a deploy of this stack does not.
            Annotations.of(self).add_error(f"the web app is not built ({dist}): run `make web` before deploying")
        s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=512,
        )
        # The provider's function sits at the stack's root (one per stack, shared by every BucketDeployment).
        stack = Stack.of(self)
        bucket_id = stack.resolve(stack.get_logical_id(self.bucket.node.default_child))  # type: ignore[arg-type]
        assets = f"arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{stack.region}/*"
        basic_role = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        reasons = {
            f"AwsSolutions-IAM4[Policy::{basic_role}]": "the managed role grants writing its own logs and nothing more",
            **{
                f"AwsSolutions-IAM5[Action::s3:{action}*]": "it copies the app's files and prunes the old ones"
                for action in ("GetBucket", "GetObject", "List", "Abort", "DeleteObject")
            },
            f"AwsSolutions-IAM5[Resource::{assets}]": "it reads the app's asset from the CDK bootstrap bucket",
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]": "it writes every file of the app's bucket",
            "AwsSolutions-IAM5[Resource::*]": "CloudFront's CreateInvalidation has no resource-level permissions",
            "Serverless-LambdaDLQ": "CloudFormation invokes it synchronously and reports a failure as the deploy's",
            "Serverless-LambdaLatestVersion": "CDK sets its runtime, upgraded with aws-cdk-lib",
            "AwsSolutions-L1": "CDK sets its runtime, upgraded with aws-cdk-lib",
            "Serverless-LambdaTracing": "a copy run once per deploy, whose outcome CloudFormation reports",
        }
        for provider in stack.node.children:
            if provider.node.id.startswith("Custom::CDKBucketDeployment"):
                for rule, reason in reasons.items():
                    acknowledge(provider, rule, f"CDK's BucketDeployment provider, run only during a deploy: {reason}.")
