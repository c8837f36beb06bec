"""The knowledge base in the templates: the search index bucket (private, encrypted, TLS only) and the API
function's grants on it: the one index object to read and write, and listing only under its prefix."""

from __future__ import annotations

from kefu.config import KB_BUCKET_VAR
from kefu.knowledge.published import INDEX_KEY
from tests.infra.template_checks import props, resources
from tests.infra.test_revisits_infra import actions_of, statements


def test_the_index_bucket_is_private_encrypted_and_tls_only(dev):
    bucket_id = dev.logical_id(dev.kefu.service.knowledge.bucket)
    bucket = props(dev.service["Resources"][bucket_id])

    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    (policy,) = [
        p for p in resources(dev.service, "AWS::S3::BucketPolicy").values() if props(p)["Bucket"] == {"Ref": bucket_id}
    ]
    denies = [s for s in props(policy)["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_the_api_function_knows_the_bucket_and_may_touch_only_the_index(dev):
    api = dev.kefu.service.api.handler.function
    bucket_id = dev.logical_id(dev.kefu.service.knowledge.bucket)
    function = props(dev.service["Resources"][dev.logical_id(api)])

    assert function["Environment"]["Variables"][KB_BUCKET_VAR] == {"Ref": bucket_id}
    s3 = [s for s in statements(dev, api.role) if any(a.startswith("s3:") for a in actions_of(s))]
    index = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{INDEX_KEY}"]]}
    # The statements naming the knowledge bucket (the function also reads and signs ticket attachments elsewhere).
    on_bucket = [s for s in s3 if bucket_id in str(s["Resource"])]

    def resources_of(statement: dict) -> list:
        resource = statement["Resource"]
        return resource if isinstance(resource, list) else [resource]

    # On the knowledge bucket's objects, the index key alone, read and written (CDK may merge the statement with
    # others of the same actions on other buckets).
    on_objects = [r for s in on_bucket if "s3:ListBucket" not in actions_of(s) for r in resources_of(s)]
    assert [r for r in on_objects if bucket_id in str(r)] == [index]
    assert {a for s in on_bucket if "s3:ListBucket" not in actions_of(s) for a in actions_of(s)} == {
        "s3:GetObject",
        "s3:PutObject",
    }
    listing = next(s for s in on_bucket if "s3:ListBucket" in actions_of(s))
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["kb/*"]}}


def test_the_functions_that_open_tickets_read_the_index_and_never_write_it(dev):
    bucket_id = dev.logical_id(dev.kefu.service.knowledge.bucket)
    for opener in (dev.kefu.service.intake.consumer.function, dev.kefu.service.email.inbound.function):
        function = props(dev.service["Resources"][dev.logical_id(opener)])
        assert function["Environment"]["Variables"][KB_BUCKET_VAR] == {"Ref": bucket_id}
        s3 = [s for s in statements(dev, opener.role) if any(a.startswith("s3:") for a in actions_of(s))]
        index = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{INDEX_KEY}"]]}
        on_index = [s for s in s3 if index in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
        assert on_index and all(actions_of(s) == ["s3:GetObject"] for s in on_index)
        listing = next(s for s in s3 if "s3:ListBucket" in actions_of(s))
        assert listing["Condition"] == {"StringLike": {"s3:prefix": ["kb/*"]}}
