"""A staffed desk: groups and agents set up through the API, as an admin would."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, AGENT_2, SUPERVISOR, Api, client
from tests.moto_images import MotoImage

#: The staffed desk's tables, built through the API by the first test of a process that needs it.
STAFFED_DESK = MotoImage("staffed desk", "dynamodb")


@pytest.fixture
def desk(api: Api) -> Api:
    STAFFED_DESK.restore_or_build(lambda: staff(api))
    return api


def staff(api: Api) -> None:
    """Three groups and three agents, as an admin sets them up."""
    for group_id, name, kind in (
        ("l1", "L1 general enquiries", "general"),
        ("l2", "L2 expert support", "expert"),
        ("complaints", "Complaints desk", "complaints"),
    ):
        assert api("PUT", f"/groups/{group_id}", who=ADMIN, body={"name": name, "kind": kind}).status == 200
    for who, groups, capacity in ((AGENT, ["l1"], 5), (AGENT_2, ["l1", "l2"], 5), (SUPERVISOR, ["l1", "l2"], 5)):
        body = {"name": who.sub, "groupIds": groups, "capacity": capacity, "skills": ["orders"]}
        assert api("PUT", f"/agents/{who.sub}", who=ADMIN, body=body).status == 200


@pytest.fixture
def privacy_machine(aws, monkeypatch) -> str:
    """A privacy state machine that only records its executions (their steps run in
    tests/integration/test_customer_privacy.py): for the routes that start one, in tests about the request itself."""
    from kefu.config import PRIVACY_STATE_MACHINE_VAR

    definition = '{"StartAt": "Step", "States": {"Step": {"Type": "Pass", "End": true}}}'
    arn = client("stepfunctions").create_state_machine(
        name="kefu-test-privacy", definition=definition, roleArn="arn:aws:iam::123456789012:role/kefu-test-privacy"
    )["stateMachineArn"]
    monkeypatch.setenv(PRIVACY_STATE_MACHINE_VAR, arn)
    return arn


def open_ticket(api: Api, who=None, **fields) -> dict:
    from tests.conftest import CUSTOMER

    body = {"subject": "Order 1042 never arrived", "description": "Nine days since dispatch.", **fields}
    reply = api("POST", "/tickets", who=who or CUSTOMER, body=body)
    assert reply.status == 201, reply.text
    return reply.json
