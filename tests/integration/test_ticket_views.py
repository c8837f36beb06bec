"""The lists across groups and assignees (access patterns 12 and 13): the tickets an agent owns (首问负责制) wherever
they sit now, and the supervisors' escalated and at-risk lists; each a Query of an index, then the tickets by key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.clock import now
from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, SUPERVISOR, Api
from tests.integration.conftest import open_ticket


def take(desk: Api, ticket_id: str, who=AGENT) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/assign", who=who, body={"take": True})
    assert reply.status == 200, reply.text
    return reply.json


def transfer(desk: Api, ticket_id: str, group: str) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/assign", who=SUPERVISOR, body={"groupId": group})
    assert reply.status == 200, reply.text
    return reply.json


def listed(desk: Api, who=AGENT, **query) -> list[str]:
    reply = desk("GET", "/tickets", who=who, query={k: str(v) for k, v in query.items()})
    assert reply.status == 200, reply.text
    return [ticket["id"] for ticket in reply.json["items"]]


# --- owner ---------------------------------------------------------------------------------------------------


def test_an_owner_lists_the_tickets_they_own_while_another_agent_holds_them(desk):
    mine = open_ticket(desk)["id"]
    take(desk, mine)
    transfer(desk, mine, "l2")
    held = take(desk, mine, AGENT_2)
    assert (held["ownerId"], held["assigneeId"]) == (AGENT.sub, AGENT_2.sub)

    assert listed(desk, owner="me") == [mine]
    assert mine not in listed(desk, assignee="me")  # the assignee list no longer has it: this view is why
    assert listed(desk, AGENT_2, owner="me") == []


def test_the_owners_list_is_by_status_newest_first_and_follows_status_changes(desk):
    first, second = open_ticket(desk)["id"], open_ticket(desk)["id"]
    for tid in (first, second):
        take(desk, tid)
    assert listed(desk, owner="me", status="open") == [second, first]

    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{first}/transition", who=AGENT, body=body).status == 200

    assert listed(desk, owner="me") == [second]  # `open` by default
    assert listed(desk, owner="me", status="resolved") == [first]


def test_the_owners_list_pages_with_the_house_cursor(desk):
    ids = [open_ticket(desk)["id"] for _ in range(3)]
    for tid in ids:
        take(desk, tid)
    first = desk("GET", "/tickets", who=AGENT, query={"owner": "me", "limit": "2"}).json
    rest = desk("GET", "/tickets", who=AGENT, query={"owner": "me", "limit": "2", "cursor": first["nextCursor"]}).json
    assert [t["id"] for t in first["items"] + rest["items"]] == ids[::-1]
    other = desk("GET", "/tickets", who=AGENT, query={"assignee": "me", "cursor": first["nextCursor"]})
    assert other.status == 400  # a cursor belongs to its own listing


def test_a_supervisor_lists_any_agents_owned_tickets_an_agent_only_their_own(desk):
    tid = open_ticket(desk)["id"]
    take(desk, tid)
    assert listed(desk, SUPERVISOR, owner=AGENT.sub) == [tid]
    assert listed(desk, ADMIN, owner=AGENT.sub) == [tid]
    assert listed(desk, AGENT, owner=AGENT.sub) == [tid]
    refused = desk("GET", "/tickets", who=AGENT_2, query={"owner": AGENT.sub})
    assert refused.status == 403 and refused.headers["content-type"] == "application/problem+json"
    assert desk("GET", "/tickets", who=CUSTOMER, query={"owner": "me"}).status == 403


def test_the_owners_list_is_a_query_of_an_index_and_one_batch_read(desk, aws_calls):
    tid = open_ticket(desk)["id"]
    take(desk, tid)
    aws_calls.reset()
    assert listed(desk, owner="me") == [tid]
    # BatchGetItem names its tables in its request items, not in TableName: count every call.
    assert [operation for _, operation, _ in aws_calls.calls] == ["Query", "BatchGetItem"]


# --- bad combinations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"owner": "me", "group": "l1"},
        {"owner": "me", "assignee": "me"},
        {"owner": "me", "escalated": "true"},
        {"escalated": "true", "atRisk": "true"},
        {"atRisk": "true", "group": "l1"},
        {"escalated": "true", "status": "open"},
        {"owner": "not an id!"},
    ],
)
def test_a_bad_combination_is_a_400_problem(desk, query):
    reply = desk("GET", "/tickets", who=SUPERVISOR, query=query)
    assert reply.status == 400, reply.text
    assert reply.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_flag_that_is_not_a_boolean_is_a_422_problem(desk, value):
    reply = desk("GET", "/tickets", who=SUPERVISOR, query={"escalated": value})
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"


# --- escalated and at risk -----------------------------------------------------------------------------------


def escalate(ticket_id: str, level: int) -> None:
    """The ticket escalated to `level`, as the escalation task writes it (through the one write path)."""
    from kefu.escalation.service import ESCALATION
    from kefu.tickets.writes import Change, write

    write(ESCALATION, ticket_id, lambda t: Change(t.model_copy(update={"escalationLevel": level}), []))


def test_supervisors_list_escalated_tickets_across_groups_highest_level_first(desk):
    low, high, calm = (open_ticket(desk)["id"] for _ in range(3))
    transfer(desk, high, "l2")
    escalate(low, 1)
    escalate(high, 2)

    assert listed(desk, SUPERVISOR, escalated="true") == [high, low]
    assert calm not in listed(desk, ADMIN, escalated="true")
    assert desk("GET", "/tickets", who=AGENT, query={"escalated": "true"}).status == 403

    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{high}/transition", who=SUPERVISOR, body=body).status == 200
    assert listed(desk, SUPERVISOR, escalated="true") == [low]  # a resolved ticket leaves the list


def test_at_risk_lists_unmet_targets_due_within_the_margin_most_urgent_first(desk):
    urgent = open_ticket(desk)["id"]
    later = open_ticket(desk)["id"]
    tickets = {t: desk("GET", f"/tickets/{t}", who=SUPERVISOR).json for t in (urgent, later)}
    _due(urgent, now() + timedelta(minutes=20))
    _due(later, now() + timedelta(hours=5))

    assert listed(desk, SUPERVISOR, atRisk="true") == [urgent]  # the built-in margin is 1h
    assert desk("GET", "/tickets", who=AGENT, query={"atRisk": "true"}).status == 403
    assert tickets[later]["status"] == "new"

    reply = {"body": "On it."}
    assert desk("POST", f"/tickets/{urgent}/messages", who=SUPERVISOR, body=reply).status == 201
    _due(urgent, None, resolution=now() + timedelta(hours=9))
    assert listed(desk, SUPERVISOR, atRisk="true") == []  # answered: the first response is met


def _due(ticket_id: str, first_response, resolution=None) -> None:
    """Set the ticket's due times as the SLA clock would have them (what the view keys follow)."""
    from kefu.escalation.service import ESCALATION
    from kefu.tickets.writes import Change, write

    def decide(ticket):
        update = {"firstResponseDue": first_response} if first_response else {}
        update["resolutionDue"] = resolution or now() + timedelta(days=3)
        return Change(ticket.model_copy(update={"sla": ticket.sla.model_copy(update=update)}), [])

    write(ESCALATION, ticket_id, decide)
