"""The intake function parks what no retry could take in its dead-letter queue itself: the construct tells it where
the queue is and lets it send there, and nothing else."""

from __future__ import annotations

from typing import Any

from kefu.config import INTAKE_DEAD_LETTER_URL_VAR as DEAD_LETTER_URL_VAR
from tests.infra.template_checks import resources


def environment(template: dict[str, Any], function_id: str) -> dict[str, Any]:
    return template["Resources"][function_id]["Properties"].get("Environment", {}).get("Variables", {})


def statements_of_role(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_the_intake_function_is_told_the_url_of_its_dead_letter_queue(dev):
    intake = dev.kefu.service.intake
    function_id = dev.logical_id(intake.consumer.function)

    variables = environment(dev.service, function_id)

    assert variables[DEAD_LETTER_URL_VAR] == {"Ref": dev.logical_id(intake.dead_letters)}


def test_the_intake_function_may_send_to_its_dead_letter_queue_and_to_no_other_queue(dev):
    intake = dev.kefu.service.intake
    role_id = dev.logical_id(intake.consumer.role)
    dlq_arn = {"Fn::GetAtt": [dev.logical_id(intake.dead_letters), "Arn"]}

    sending = [s for s in statements_of_role(dev.service, role_id) if "sqs:SendMessage" in actions(s)]

    assert [s["Resource"] for s in sending] == [dlq_arn]


def test_no_other_function_is_told_about_the_intake_dead_letter_queue(dev):
    intake_id = dev.logical_id(dev.kefu.service.intake.consumer.function)

    others = [fid for fid in resources(dev.service, "AWS::Lambda::Function") if fid != intake_id]

    assert others
    assert all(DEAD_LETTER_URL_VAR not in environment(dev.service, fid) for fid in others)
