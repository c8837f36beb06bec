"""The access scope a deployment sets (`access.agents`). Under `groups` an agent reaches their groups' tickets and
those they own, hold or helped on, wherever they were transferred since; another group's ticket does not exist for
them (404, as for an id kefu never issued). Under `all` every agent reaches every ticket. Supervisors and admins
reach every ticket under either."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, AGENT_2, SUPERVISOR, Api
from tests.integration.conftest import open_ticket
from tests.integration.scoped import (  # noqa: F401 (access_scope, groups_scope: fixtures)
    COMPLAINTS_AGENT,
    L2_AGENT,
    OTHER_L2_AGENT,
    access_scope,
    add_agents,
    groups_scope,
)
from tests.integration.test_knowledge_api import REPLY, kb  # noqa: F401 (kb: a fixture)


@pytest.fixture
def staffed(desk: Api) -> Api:
    """The desk with agents of one group each; nobody online, so new tickets wait unassigned in l1."""
    add_agents(desk)
    return desk


def transfer(desk: Api, ticket_id: str, group: str, who=SUPERVISOR) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/assign", who=who, body={"groupId": group})
    assert reply.status == 200, reply.text
    return reply.json


def take(desk: Api, ticket_id: str, who) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/assign", who=who, body={"take": True})
    assert reply.status == 200, reply.text
    return reply.json


def reads(desk: Api, ticket_id: str, who) -> int:
    return desk("GET", f"/tickets/{ticket_id}", who=who).status


# --- another group's ticket ---------------------------------------------------------------------------------


def test_another_groups_ticket_is_not_found_under_groups_and_read_under_all(staffed, access_scope):  # noqa: F811
    ticket = open_ticket(staffed)
    assert ticket["groupId"] == "l1"

    answer = staffed("GET", f"/tickets/{ticket['id']}", who=COMPLAINTS_AGENT)

    assert answer.status == (404 if access_scope == "groups" else 200), answer.text


@pytest.mark.usefixtures("groups_scope")
def test_another_groups_ticket_answers_exactly_as_a_ticket_that_does_not_exist(staffed):
    tid = open_ticket(staffed)["id"]
    missing = "TK-ZZZZZZZZ"

    hidden = staffed("GET", f"/tickets/{tid}", who=COMPLAINTS_AGENT)
    absent = staffed("GET", f"/tickets/{missing}", who=COMPLAINTS_AGENT)

    assert (hidden.status, hidden.headers["content-type"]) == (404, "application/problem+json")
    assert hidden.json == {**absent.json, "detail": absent.json["detail"].replace(missing, tid)}


@pytest.mark.usefixtures("groups_scope")
def test_an_agent_reaches_their_own_groups_tickets_under_groups(staffed):
    tid = open_ticket(staffed)["id"]

    assert reads(staffed, tid, AGENT) == 200
    assert staffed("GET", f"/tickets/{tid}/timeline", who=AGENT).status == 200
    assert staffed("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "On it."}).status == 201


# --- owners and helpers keep their tickets ------------------------------------------------------------------


@pytest.mark.usefixtures("groups_scope")
def test_the_owner_still_reaches_a_ticket_transferred_out_of_their_groups(staffed):
    tid = open_ticket(staffed)["id"]
    assert take(staffed, tid, AGENT)["ownerId"] == AGENT.sub

    moved = transfer(staffed, tid, "complaints", who=AGENT)

    assert (moved["groupId"], moved["ownerId"], moved["assigneeId"]) == ("complaints", AGENT.sub, None)
    assert reads(staffed, tid, AGENT) == 200
    assert staffed("GET", f"/tickets/{tid}/timeline", who=AGENT).status == 200
    assert staffed("POST", f"/tickets/{tid}/messages", who=AGENT, body={"body": "Passed on."}).status == 201
    # Its old group no longer reaches it; its new one does.
    assert reads(staffed, tid, AGENT_2) == 404
    assert reads(staffed, tid, COMPLAINTS_AGENT) == 200


@pytest.mark.usefixtures("groups_scope")
def test_a_helper_still_reaches_a_ticket_after_it_moves_on(staffed):
    tid = open_ticket(staffed)["id"]
    take(staffed, tid, AGENT)
    transfer(staffed, tid, "l2", who=AGENT)
    helped = take(staffed, tid, L2_AGENT)
    assert (helped["ownerId"], helped["helperIds"]) == (AGENT.sub, [L2_AGENT.sub])

    transfer(staffed, tid, "complaints", who=L2_AGENT)

    assert reads(staffed, tid, L2_AGENT) == 200
    note = {"body": "Asked the warehouse.", "visibility": "internal"}
    assert staffed("POST", f"/tickets/{tid}/messages", who=L2_AGENT, body=note).status == 201
    assert reads(staffed, tid, AGENT) == 200
    assert reads(staffed, tid, OTHER_L2_AGENT) == 404  # of the group the helper took it in, but never on it


@pytest.mark.usefixtures("groups_scope")
def test_the_agent_it_is_assigned_to_reaches_it_outside_their_groups(staffed):
    tid = open_ticket(staffed)["id"]
    transfer(staffed, tid, "complaints")
    assert reads(staffed, tid, L2_AGENT) == 404

    given = staffed("POST", f"/tickets/{tid}/assign", who=SUPERVISOR, body={"agentId": L2_AGENT.sub})

    assert given.status == 200 and given.json["assigneeId"] == L2_AGENT.sub
    assert reads(staffed, tid, L2_AGENT) == 200


@pytest.mark.parametrize("who", [SUPERVISOR, ADMIN], ids=["supervisor", "admin"])
@pytest.mark.usefixtures("groups_scope")
def test_supervisors_and_admins_reach_every_groups_tickets(staffed, who):
    tid = open_ticket(staffed)["id"]
    transfer(staffed, tid, "complaints")

    assert reads(staffed, tid, who) == 200
    assert staffed("GET", f"/tickets/{tid}/timeline", who=who).status == 200
    assert (
        staffed("PATCH", f"/tickets/{tid}", who=who, body={"priority": "P2"}, headers={"If-Match": "*"}).status == 200
    )


# --- every path that reads the ticket first -------------------------------------------------------------------

WRITES = {
    "take": ("POST", "/tickets/{id}/assign", {"take": True}),
    "assign to themselves by id": ("POST", "/tickets/{id}/assign", {"agentId": COMPLAINTS_AGENT.sub}),
    "transfer to their group": ("POST", "/tickets/{id}/assign", {"groupId": "complaints"}),
    "resolve": ("POST", "/tickets/{id}/transition", {"to": "resolved", "resolution": {"kind": "answer"}}),
    "internal note": ("POST", "/tickets/{id}/messages", {"body": "x", "visibility": "internal"}),
    "change tags": ("PATCH", "/tickets/{id}", {"tags": ["mine"]}),
    "record work": ("POST", "/tickets/{id}/work", {"seconds": 30}),
    "suggestions": ("GET", "/tickets/{id}/suggestions", None),
}


@pytest.mark.parametrize("route", WRITES)
@pytest.mark.usefixtures("groups_scope")
def test_no_path_reaches_another_groups_ticket_under_groups(kb, route):  # noqa: F811
    add_agents(kb)
    ticket = open_ticket(kb)
    method, path, body = WRITES[route]

    answer = kb(method, path.replace("{id}", ticket["id"]), who=COMPLAINTS_AGENT, body=body, headers={"If-Match": "*"})

    assert answer.status == 404, answer.text
    after = kb("GET", f"/tickets/{ticket['id']}", who=SUPERVISOR).json
    assert (after["version"], after["groupId"], after["assigneeId"]) == (ticket["version"], "l1", None)


@pytest.mark.usefixtures("groups_scope")
def test_a_reply_is_not_rendered_for_another_groups_ticket_under_groups(kb):  # noqa: F811
    add_agents(kb)
    reply = kb("POST", "/replies", who=SUPERVISOR, body=REPLY).json
    tid = open_ticket(kb, AGENT, customer={"email": "ann@example.com", "name": "Ann"})["id"]

    hidden = kb("POST", f"/replies/{reply['id']}/render", who=COMPLAINTS_AGENT, body={"ticketId": tid})
    rendered = kb("POST", f"/replies/{reply['id']}/render", who=AGENT, body={"ticketId": tid})

    assert hidden.status == 404, hidden.text
    assert rendered.status == 200, rendered.text


# --- listings -------------------------------------------------------------------------------------------------


def test_an_agent_lists_only_their_own_groups_queues_under_groups(staffed, access_scope):  # noqa: F811
    open_ticket(staffed)

    others = staffed("GET", "/tickets", who=COMPLAINTS_AGENT, query={"group": "l1", "status": "new"})

    if access_scope == "groups":
        assert others.status == 403 and "l1 is not one of yours" in others.json["detail"]
    else:
        assert others.status == 200 and len(others.json["items"]) == 1
    assert staffed("GET", "/tickets", who=COMPLAINTS_AGENT, query={"group": "complaints"}).status == 200
    assert staffed("GET", "/tickets", who=COMPLAINTS_AGENT, query={"assignee": "me"}).status == 200
    assert staffed("GET", "/tickets", who=SUPERVISOR, query={"group": "complaints"}).status == 200


@pytest.mark.usefixtures("groups_scope")
def test_an_agent_lists_the_tickets_given_to_them_in_another_group_under_groups(staffed):
    tid = open_ticket(staffed)["id"]
    assert staffed("POST", f"/tickets/{tid}/assign", who=L2_AGENT, body={"take": True}).status == 404

    given = staffed("POST", f"/tickets/{tid}/assign", who=SUPERVISOR, body={"agentId": L2_AGENT.sub})

    assert given.status == 200, given.text
    mine = staffed("GET", "/tickets", who=L2_AGENT, query={"assignee": "me"})
    assert [t["id"] for t in mine.json["items"]] == [tid]


@pytest.mark.usefixtures("groups_scope")
def test_an_owner_lists_their_ticket_after_it_moved_out_of_their_groups_under_groups(staffed):
    tid = open_ticket(staffed)["id"]
    take(staffed, tid, AGENT)
    transfer(staffed, tid, "complaints", who=AGENT)
    take(staffed, tid, COMPLAINTS_AGENT)

    mine = staffed("GET", "/tickets", who=AGENT, query={"owner": "me"})

    assert mine.status == 200, mine.text
    assert [t["id"] for t in mine.json["items"]] == [tid]
    assert staffed("GET", "/tickets", who=COMPLAINTS_AGENT, query={"owner": AGENT.sub}).status == 403


def test_a_customers_tickets_leave_out_other_groups_under_groups(staffed, access_scope):  # noqa: F811
    first = open_ticket(staffed)
    second = open_ticket(staffed, subject="Refund", description="Charged twice")
    transfer(staffed, second["id"], "complaints")

    listed = staffed("GET", f"/customers/{first['customerId']}/tickets", who=COMPLAINTS_AGENT)

    assert listed.status == 200, listed.text
    expected = [second["id"]] if access_scope == "groups" else [second["id"], first["id"]]
    assert [t["id"] for t in listed.json["items"]] == expected
    everyone = staffed("GET", f"/customers/{first['customerId']}/tickets", who=SUPERVISOR).json["items"]
    assert len(everyone) == 2
