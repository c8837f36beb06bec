"""The privacy capability as synthesized: a Standard state machine looping one task until the job is done, a catch
that records the failure and fails the execution, no execution data in its log, the API allowed to start it and to
sign export links, and the task allowed to delete every version of a customer's objects."""

from __future__ import annotations

import json

import pytest

from kefu.config import ATTACHMENTS_BUCKET_VAR, PRIVACY_STATE_MACHINE_VAR, RAW_MAIL_BUCKET_VAR
from tests.infra.template_checks import props, resources
from tests.infra.test_escalation_infra import grants, logical_id, rendered, statements

STATE_MACHINE = "AWS::StepFunctions::StateMachine"


@pytest.fixture(scope="module")
def service(dev) -> dict:
    return dev.service


@pytest.fixture(scope="module")
def machine(service) -> dict:
    (found,) = [r for lid, r in resources(service, STATE_MACHINE).items() if lid.startswith("Privacy")]
    return found


@pytest.fixture(scope="module")
def asl(machine) -> dict:
    return json.loads(rendered(props(machine)["DefinitionString"]))


def test_one_task_loops_until_done_and_a_catch_records_the_failure(asl, service):
    task = logical_id(service, "AWS::Lambda::Function", "PrivacyFunction")
    states = asl["States"]

    assert asl["StartAt"] == "RunStep"
    assert states["RunStep"]["Resource"] == f"<{task}.Arn>"
    assert states["RunStep"]["Next"] == "Done?"
    assert states["Done?"]["Choices"] == [{"Variable": "$.done", "BooleanEquals": True, "Next": "Finished"}]
    assert states["Done?"]["Default"] == "RunStep"
    assert states["RunStep"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
    ]
    assert states["RecordFailure"]["Resource"] == f"<{task}.Arn>"
    assert states["Failed"]["Type"] == "Fail"


def test_its_log_keeps_no_execution_data(machine):
    logging = props(machine)["LoggingConfiguration"]
    assert logging["IncludeExecutionData"] is False


def test_the_api_starts_it_and_reads_only_the_export_archives(service):
    api = logical_id(service, "AWS::Lambda::Function", "ApiFunction")
    environment = props(resources(service, "AWS::Lambda::Function")[api])["Environment"]["Variables"]
    allowed = grants(statements(service, api))

    assert PRIVACY_STATE_MACHINE_VAR in environment and ATTACHMENTS_BUCKET_VAR in environment
    assert any("PrivacyStateMachine" in arn for arn in allowed["states:StartExecution"])
    attachments = sorted(arn.rsplit(">", 1)[-1] for arn in allowed["s3:GetObject"] if "Attachments" in arn)
    # The export archives, and otherwise only where ticket files live (uploads, mail attachments): never the bucket.
    assert attachments == ["/exports/*", "/mail/*", "/uploads/*"], attachments


def test_the_task_deletes_every_version_of_the_customers_objects(service):
    task = logical_id(service, "AWS::Lambda::Function", "PrivacyFunction")
    environment = props(resources(service, "AWS::Lambda::Function")[task])["Environment"]["Variables"]
    allowed = grants(statements(service, task))

    assert RAW_MAIL_BUCKET_VAR in environment and ATTACHMENTS_BUCKET_VAR in environment
    assert len(allowed["s3:DeleteObjectVersion"]) == 2
    assert len(allowed["s3:ListBucketVersions"]) == 2
    assert "s3:PutObject" in allowed
