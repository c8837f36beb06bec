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


def resolve(desk: Api, ticket_id: str, who=AGENT) -> None:
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    reply = desk("POST", f"/tickets/{ticket_id}/transition", who=who, body=body)
    assert reply.status == 200, reply.text


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

    resolve(desk, first, who=AGENT)

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

    resolve(desk, high, who=SUPERVISOR)
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


# --- where the at-risk key lives -----------------------------------------------------------------------------
# An unassigned ticket's item carries its at-risk key on its own gsi3 (free while nobody holds or awaits it); the
# view item carries it while gsi3 is taken. Tickets written before that carry it on the view item whatever gsi3
# holds: their next write moves it.


def at_risk_entries(ticket_id: str) -> list[str]:
    """The ticket's entries in the at-risk partition of gsi3, by the sort key of the item that carries each."""
    import boto3

    pages = (
        boto3.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName="kefu-test",
            IndexName="gsi3",
            KeyConditionExpression="gsi3pk = :p",
            ExpressionAttributeValues={":p": {"S": "ATRISK"}},
        )
    )
    return [i["sk"]["S"] for page in pages for i in page["Items"] if i["pk"]["S"] == f"TICKET#{ticket_id}"]


def stored_before_the_ticket_carried_its_at_risk_key(ticket_id: str) -> None:
    """The ticket's items as kefu wrote them before: the at-risk key on a view item, none on the ticket item."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    key = {"pk": {"S": f"TICKET#{ticket_id}"}, "sk": {"S": "TICKET"}}
    ticket = dynamodb.get_item(TableName="kefu-test", Key=key)["Item"]
    assert ticket["gsi3pk"]["S"] == "ATRISK", "an unassigned ticket with a due carries its key now"
    dynamodb.update_item(TableName="kefu-test", Key=key, UpdateExpression="REMOVE gsi3pk, gsi3sk")
    view = {
        "pk": {"S": f"TICKET#{ticket_id}"},
        "sk": {"S": "VIEWS"},
        "kind": {"S": "ticket_view"},
        "ticketId": {"S": ticket_id},
        "gsi3pk": ticket["gsi3pk"],
        "gsi3sk": ticket["gsi3sk"],
    }
    dynamodb.put_item(TableName="kefu-test", Item=view)
    assert at_risk_entries(ticket_id) == ["VIEWS"]


def test_an_unassigned_tickets_item_carries_its_at_risk_key_and_it_moves_to_the_view_when_taken(desk):
    tid = open_ticket(desk)["id"]
    _due(tid, now() + timedelta(minutes=20))
    assert at_risk_entries(tid) == ["TICKET"]  # no view item written for it
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]

    take(desk, tid)  # gsi3 now holds it under its assignee: the view item carries the at-risk key
    assert at_risk_entries(tid) == ["VIEWS"]
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]

    transfer(desk, tid, "l2")  # unassigned again: back on the ticket item, off the view item
    assert at_risk_entries(tid) == ["TICKET"]
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]

    resolve(desk, tid, who=SUPERVISOR)
    assert at_risk_entries(tid) == []
    assert listed(desk, SUPERVISOR, atRisk="true") == []


def test_the_at_risk_list_pages_over_ticket_items_and_view_items_alike(desk):
    ids = [open_ticket(desk)["id"] for _ in range(3)]
    for minutes, tid in zip((10, 20, 30), ids, strict=True):
        _due(tid, now() + timedelta(minutes=minutes))
    take(desk, ids[1])  # the middle one on its view item, the others on their ticket items
    assert [at_risk_entries(t) for t in ids] == [["TICKET"], ["VIEWS"], ["TICKET"]]

    pages, cursor = [], None
    while True:
        query = {"atRisk": "true", "limit": "1", **({"cursor": cursor} if cursor else {})}
        reply = desk("GET", "/tickets", who=SUPERVISOR, query=query)
        assert reply.status == 200, reply.text
        pages += [t["id"] for t in reply.json["items"]]
        if not (cursor := reply.json.get("nextCursor")):
            break
    assert pages == ids


def test_a_ticket_stored_with_its_at_risk_key_on_its_view_is_listed_once_and_its_next_write_moves_the_key(desk):
    tid = open_ticket(desk)["id"]
    _due(tid, now() + timedelta(minutes=20))
    stored_before_the_ticket_carried_its_at_risk_key(tid)
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]  # the list answers as before

    _due(tid, now() + timedelta(minutes=30))  # still unassigned, still at risk

    assert at_risk_entries(tid) == ["TICKET"], "moved, not copied: never listed twice"
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]


def test_a_ticket_stored_with_its_at_risk_key_on_its_view_leaves_the_list_when_it_should(desk):
    tid = open_ticket(desk)["id"]
    _due(tid, now() + timedelta(minutes=20))
    stored_before_the_ticket_carried_its_at_risk_key(tid)

    _due(tid, now() + timedelta(hours=5))  # out of the margin: its key moves, later in time
    assert at_risk_entries(tid) == ["TICKET"]
    assert listed(desk, SUPERVISOR, atRisk="true") == []

    resolve(desk, tid, who=SUPERVISOR)
    assert at_risk_entries(tid) == [], "no entry left behind for ever"


def test_a_ticket_stored_with_its_at_risk_key_on_its_view_keeps_it_there_when_taken_and_resolving_drops_it(desk):
    tid = open_ticket(desk)["id"]
    _due(tid, now() + timedelta(minutes=20))
    stored_before_the_ticket_carried_its_at_risk_key(tid)

    take(desk, tid)  # gsi3 taken: where the key already was
    assert at_risk_entries(tid) == ["VIEWS"]
    assert listed(desk, SUPERVISOR, atRisk="true") == [tid]

    resolve(desk, tid, who=AGENT)
    assert at_risk_entries(tid) == []
    assert listed(desk, SUPERVISOR, atRisk="true") == []


def test_an_old_shaped_ticket_resolved_at_its_first_write_leaves_nothing_behind(desk):
    tid = open_ticket(desk)["id"]
    _due(tid, now() + timedelta(minutes=20))
    stored_before_the_ticket_carried_its_at_risk_key(tid)

    resolve(desk, tid, who=SUPERVISOR)

    assert at_risk_entries(tid) == []
    assert listed(desk, SUPERVISOR, atRisk="true") == []
