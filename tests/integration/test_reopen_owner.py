"""A reopened ticket goes back to its owner (首问负责制) without ever pushing them over capacity: to the owner when
they are online with room; otherwise it waits unassigned in its group's queue, awaiting them, and they take it
before anything else when they have room again — while another agent with room may take it meanwhile, as a helper."""

from __future__ import annotations

from kefu.store import agents as agent_store
from kefu.store import tickets as ticket_store
from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, SUPERVISOR, Identity
from tests.integration.conftest import open_ticket

RESOLVE = {"to": "resolved", "resolution": {"kind": "answer"}}


def availability(api, who: Identity, value: str) -> None:
    assert api("PUT", f"/agents/{who.sub}/availability", who=ADMIN, body={"availability": value}).status == 200


def set_agent(api, who: Identity, *, capacity: int = 5, groups=("l1",)) -> None:
    body = {"name": who.sub, "groupIds": list(groups), "capacity": capacity}
    assert api("PUT", f"/agents/{who.sub}", who=ADMIN, body=body).status == 200


def owned_and_resolved(api, owner: Identity, customer: Identity = CUSTOMER, **fields) -> str:
    """A ticket `owner` took first and resolved; `owner` goes offline afterwards only if a test says so."""
    tid = open_ticket(api, who=customer, **fields)["id"]
    taken = api("POST", f"/tickets/{tid}/assign", who=owner, body={"take": True})
    assert taken.status == 200, taken.text
    assert api("POST", f"/tickets/{tid}/transition", who=owner, body=RESOLVE).status == 200
    return tid


def reopen(api, tid: str, customer: Identity = CUSTOMER) -> dict:
    reply = api("POST", f"/tickets/{tid}/transition", who=customer, body={"to": "open"})
    assert reply.status == 200, reply.text
    return reply.json


def load_of(who: Identity) -> int:
    return agent_store.get_agent(who.sub).load


def assignment_reasons(tid: str) -> list[str]:
    entries = ticket_store.timeline(tid, public_only=False, limit=50, cursor=None).items
    return [e.data.get("reason") for e in entries if e.kind.value == "assignment"]


def test_a_ticket_reopened_while_its_owner_is_online_with_room_is_theirs_again(desk):
    tid = owned_and_resolved(desk, AGENT)
    availability(desk, AGENT, "online")

    reopen(desk, tid)

    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (
        "open",
        AGENT.sub,
        AGENT.sub,
        False,
    )
    assert load_of(AGENT) == 1
    assert assignment_reasons(tid)[-1] == "reopened to its owner"


def test_a_ticket_reopened_while_its_owner_is_offline_waits_in_its_group_queue_for_them(desk):
    tid = owned_and_resolved(desk, AGENT)  # desk agents start offline

    reopen(desk, tid)

    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (
        "open",
        None,
        AGENT.sub,
        True,
    )
    assert load_of(AGENT) == 0
    assert [t.id for t in ticket_store.waiting_in("l1", limit=10)] == [tid]
    assert assignment_reasons(tid)[-1] == "reopened while its owner is offline: waits in the l1 queue for them"


def test_a_ticket_reopened_while_its_owner_is_at_capacity_waits_and_never_overfills_them(desk):
    set_agent(desk, AGENT, capacity=1)
    tid = owned_and_resolved(desk, AGENT)
    availability(desk, AGENT, "online")
    open_ticket(desk, who=Identity("cust-fills"))  # AGENT is full again
    assert load_of(AGENT) == 1

    reopen(desk, tid)

    ticket = ticket_store.get(tid)
    assert (ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (None, AGENT.sub, True)
    assert load_of(AGENT) == 1


def test_an_owner_who_fills_up_while_the_reopen_is_written_is_never_pushed_over_capacity(desk, monkeypatch):
    set_agent(desk, AGENT, capacity=1)
    tid = owned_and_resolved(desk, AGENT)
    availability(desk, AGENT, "online")
    open_ticket(desk, who=Identity("cust-fills"))
    stale = agent_store.get_agent(AGENT.sub).model_copy(update={"load": 0})  # as read before they filled up
    real_get_agent = agent_store.get_agent
    monkeypatch.setattr(agent_store, "get_agent", lambda agent_id: stale if agent_id == AGENT.sub else None)

    reopen(desk, tid)

    monkeypatch.setattr(agent_store, "get_agent", real_get_agent)
    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (
        "open",
        None,
        AGENT.sub,
        True,
    )
    assert load_of(AGENT) == 1


def test_a_customer_reply_reopens_to_the_owner_by_the_same_rule(desk):
    tid = owned_and_resolved(desk, AGENT)

    assert desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": "Still broken"}).status == 201

    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (
        "open",
        None,
        AGENT.sub,
        True,
    )


def test_the_owner_takes_the_ticket_awaiting_them_before_a_more_urgent_one_of_the_queue(desk):
    set_agent(desk, AGENT, capacity=1)
    tid = owned_and_resolved(desk, AGENT)
    reopen(desk, tid)
    urgent = open_ticket(desk, AGENT_2, customer={"email": "urgent@example.com"}, priority="P1")["id"]

    availability(desk, AGENT, "online")

    assert ticket_store.get(tid).assigneeId == AGENT.sub
    assert assignment_reasons(tid)[-1] == "its owner had room again"
    assert ticket_store.get(urgent).assigneeId is None
    assert load_of(AGENT) == 1


def test_the_owner_takes_the_ticket_awaiting_them_in_a_group_they_are_not_in(desk):
    tid = open_ticket(desk)["id"]
    desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"take": True})
    assert desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "l2"}).status == 200
    assert desk("POST", f"/tickets/{tid}/transition", who=SUPERVISOR, body=RESOLVE).status == 200
    reopen(desk, tid)
    assert ticket_store.get(tid).groupId == "l2"  # AGENT is in l1 only

    availability(desk, AGENT, "online")

    ticket = ticket_store.get(tid)
    assert (ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (AGENT.sub, AGENT.sub, False)


def test_another_agent_with_room_may_take_the_reopened_ticket_as_a_helper_and_the_owner_stays(desk):
    tid = owned_and_resolved(desk, AGENT)
    reopen(desk, tid)

    availability(desk, AGENT_2, "online")

    ticket = ticket_store.get(tid)
    assert (ticket.assigneeId, ticket.ownerId, ticket.helperIds, ticket.awaitingOwner) == (
        AGENT_2.sub,
        AGENT.sub,
        [AGENT_2.sub],
        False,
    )
    assert load_of(AGENT_2) == 1


def test_a_ticket_nobody_owns_waits_in_its_queue_when_reopened(desk):
    tid = open_ticket(desk)["id"]
    assert desk("POST", f"/tickets/{tid}/transition", who=AGENT, body=RESOLVE).status == 200

    reopen(desk, tid)

    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == ("open", None, None, False)
    assert [t.id for t in ticket_store.waiting_in("l1", limit=10)] == [tid]


def test_a_ticket_transferred_away_does_not_wait_for_its_owner_nor_come_back_to_them(desk):
    set_agent(desk, AGENT, groups=("l1", "l2"))
    availability(desk, AGENT, "online")
    tid = open_ticket(desk)["id"]
    assert ticket_store.get(tid).assigneeId == AGENT.sub

    moved = desk("POST", f"/tickets/{tid}/assign", who=AGENT, body={"groupId": "l2"}).json

    assert (moved["groupId"], moved["assigneeId"], moved["ownerId"]) == ("l2", None, AGENT.sub)
    ticket = ticket_store.get(tid)
    assert (ticket.assigneeId, ticket.awaitingOwner) == (None, False)
    assert ticket_store.awaiting_owner(AGENT.sub, limit=10) == []
    assert [t.id for t in ticket_store.waiting_in("l2", limit=10)] == [tid]


def test_a_ticket_reopened_while_its_owner_is_offline_no_longer_awaits_them_once_resolved(desk):
    # The example the assignment state machine found: resolved while awaiting its owner, the ticket kept the flag.
    tid = owned_and_resolved(desk, AGENT)  # desk agents start offline
    reopen(desk, tid)
    assert ticket_store.get(tid).awaitingOwner is True

    resolved = desk("POST", f"/tickets/{tid}/transition", who=AGENT_2, body=RESOLVE)

    assert resolved.status == 200, resolved.text
    ticket = ticket_store.get(tid)
    assert (ticket.status.value, ticket.assigneeId, ticket.ownerId, ticket.awaitingOwner) == (
        "resolved",
        None,
        AGENT.sub,
        False,
    )
    assert ticket_store.awaiting_owner(AGENT.sub, limit=5) == []
