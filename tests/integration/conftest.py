"""A staffed desk: groups and agents set up through the API, as an admin would."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, AGENT_2, SUPERVISOR, Api


@pytest.fixture
def desk(api: Api) -> Api:
    for group_id, name, kind in (
        ("l1", "L1 general enquiries", "general"),
        ("l2", "L2 expert support", "expert"),
        ("complaints", "Complaints desk", "complaints"),
    ):
        assert api("PUT", f"/groups/{group_id}", who=ADMIN, body={"name": name, "kind": kind}).status == 200
    for who, groups, capacity in ((AGENT, ["l1"], 5), (AGENT_2, ["l1", "l2"], 5), (SUPERVISOR, ["l1", "l2"], 5)):
        body = {"name": who.sub, "groupIds": groups, "capacity": capacity, "skills": ["orders"]}
        assert api("PUT", f"/agents/{who.sub}", who=ADMIN, body=body).status == 200
    return api


def open_ticket(api: Api, who=None, **fields) -> dict:
    from tests.conftest import CUSTOMER

    body = {"subject": "Order 1042 never arrived", "description": "Nine days since dispatch.", **fields}
    reply = api("POST", "/tickets", who=who or CUSTOMER, body=body)
    assert reply.status == 201, reply.text
    return reply.json
