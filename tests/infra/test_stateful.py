"""The stateful stack: retained, encrypted, recoverable; the user pool's groups are the domain's staff roles."""

from __future__ import annotations

import copy

from kefu.identity import STAFF_ROLES
from tests.infra.template_checks import props, resources, stateful_problems


def test_tables_buckets_and_the_user_pool_are_retained_encrypted_and_protected(dev):
    assert resources(dev.stateful, "AWS::DynamoDB::Table") and resources(dev.stateful, "AWS::S3::Bucket")
    assert stateful_problems(dev.stateful) == []


def test_a_table_that_would_be_deleted_with_its_stack_is_reported(dev):
    template = copy.deepcopy(dev.stateful)
    table_id = dev.logical_id(dev.kefu.stateful.table)
    template["Resources"][table_id]["DeletionPolicy"] = "Delete"
    del template["Resources"][table_id]["Properties"]["PointInTimeRecoverySpecification"]

    assert stateful_problems(template) == [f"{table_id}: not retained", f"{table_id}: no point-in-time recovery"]


def test_the_user_pool_groups_are_the_staff_roles_of_the_domain_the_knowledge_editors_and_the_qa_team(dev):
    from kefu.knowledge.access import EDITOR_GROUP
    from kefu.qa.reviews import QA_GROUP

    groups = {props(g)["GroupName"] for g in resources(dev.stateful, "AWS::Cognito::UserPoolGroup").values()}

    assert groups == {str(role) for role in STAFF_ROLES} | {EDITOR_GROUP, QA_GROUP}


def test_the_app_client_is_public_and_uses_srp(dev):
    (client,) = resources(dev.stateful, "AWS::Cognito::UserPoolClient").values()

    assert props(client)["GenerateSecret"] is False
    assert set(props(client)["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}


def test_the_outputs_give_operators_what_they_need(dev):
    assert {"TableName", "IdempotencyTableName", "UserPoolId", "UserPoolClientId"} <= set(dev.stateful["Outputs"])
    assert {"ApiUrl", "InboundMailAddresses", "InboundMailMxRecord", "ReceiptRuleSetName"} <= set(
        dev.service["Outputs"]
    )


def test_ses_stores_raw_mail_for_the_configured_recipients_in_the_raw_mail_bucket(dev):
    (rule,) = resources(dev.service, "AWS::SES::ReceiptRule").values()
    receipt = props(rule)["Rule"]
    (action,) = receipt["Actions"]

    assert receipt["Recipients"] == dev.kefu.deployment.mail.recipients
    assert receipt["ScanEnabled"] is True and receipt["TlsPolicy"] == "Require"
    assert action["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    assert dev.logical_id(dev.kefu.stateful.raw_mail_bucket) in str(action["S3Action"]["BucketName"])
