"""Groups declared in the deployment configuration exist without being stored, and only a deploy changes them."""

from __future__ import annotations

import json

import pytest

from kefu import deployment
from tests.conftest import ADMIN, AGENT
from tests.integration.conftest import open_ticket


@pytest.fixture
def deployed(tmp_path, monkeypatch):
    document = {
        "stage": "test",
        "groups": {"logistics": {"name": "Logistics department", "kind": "back_office"}},
        "default_group": "l1",
    }
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    yield
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def test_a_deployed_group_is_listed_before_stored_ones(desk, deployed):
    ids = [group["id"] for group in desk("GET", "/groups", who=AGENT).json]
    assert ids[0] == "logistics"
    assert {"l1", "l2", "complaints"} <= set(ids)


def test_a_ticket_can_be_transferred_to_a_deployed_group(desk, deployed):
    tid = open_ticket(desk)["id"]
    reply = desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "logistics"})
    assert reply.status == 200 and reply.json["groupId"] == "logistics"


def test_a_deployed_group_cannot_be_changed_through_the_api(desk, deployed):
    reply = desk("PUT", "/groups/logistics", who=ADMIN, body={"name": "Renamed"})
    assert reply.status == 409


def test_the_deployed_groups_are_those_of_the_document_in_force(desk, deployed, tmp_path, monkeypatch):
    # Given the deployed groups read once (they are kept per deployment document),
    assert list(deployment.configured_groups()) == ["logistics"]
    # when a new deployment document names other groups,
    path = tmp_path / "next-deployment.json"
    path.write_text(json.dumps({"stage": "test", "groups": {"finance": {"name": "Finance", "kind": "back_office"}}}))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()

    # then they are the deployed groups, and the old one is no longer one.
    ids = [group["id"] for group in desk("GET", "/groups", who=AGENT).json]
    assert ids[0] == "finance" and "logistics" not in ids
    assert desk("PUT", "/groups/logistics", who=ADMIN, body={"name": "Now stored", "kind": "back_office"}).status == 200
