"""The knowledge base's search index: kept in the domain table (kefu.store.kb_index) when it fits an item, and in this
bucket when it is larger (or was published before the table held it), written by the API function when an article
is published and read by every API function instance, and by the functions that open tickets (intake, inbound
e-mail: `add_reader`), which record a new ticket's suggestions. Each reads the table's items with its table grants
and the bucket's one object (GetObject) with the grants here.

No search cluster runs: the index is derived data, rebuilt from the domain table on every publish
(kefu.knowledge.published), so the bucket needs no versions or backups. Past the ceiling stated there (tens of
thousands of articles), OpenSearch Serverless fed from the table's stream replaces it (docs/knowledge-base.md).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from kefu.config import KB_BUCKET_VAR
from kefu.knowledge.published import INDEX_KEY
from kefu_infra.checks import acknowledge

INDEX_PREFIX = INDEX_KEY.rsplit("/", 1)[0] + "/"


class Knowledge(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api_function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        self.bucket = self._add_bucket()
        self._add_grants(api_function)
        api_function.add_environment(KB_BUCKET_VAR, self.bucket.bucket_name)

    def _add_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "IndexBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))],
            # Derived data only (rebuilt from the table on the next publish): nothing is lost if it goes with the
            # stack, and a retained bucket would keep an index of articles that may since have been withdrawn.
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "The bucket holds one derived file, the search index of published articles, written and read only by "
            "the API function; its writes follow publish requests already in the API's access logs, so server "
            "access logs would add nothing.",
        )
        return bucket

    def add_reader(self, function: lambda_.Function) -> None:
        """A function that opens tickets (intake, inbound e-mail) and records their suggestions: it reads the index,
        never writes it."""
        self._add_grants(function, actions=["s3:GetObject"])
        function.add_environment(KB_BUCKET_VAR, self.bucket.bucket_name)

    def _add_grants(self, function: lambda_.IFunction, actions: list[str] | None = None) -> None:
        iam.Grant.add_to_principal(
            grantee=function,
            actions=actions or ["s3:GetObject", "s3:PutObject"],
            resource_arns=[self.bucket.arn_for_objects(INDEX_KEY)],
        )
        # Without ListBucket, asking for the index before anything was published is a 403, not a 404.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{INDEX_PREFIX}*"]}},
            )
        )
