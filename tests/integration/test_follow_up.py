"""Follow-up tickets: a new ticket opened from an earlier one (closed, resolved too long ago to reopen, answered with
a low survey score) belongs to the same customer, is linked both ways, and goes back to the earlier ticket's owner —
or waits for them, never over their capacity."""

from __future__ import annotations

import pytest

from kefu import errors
from kefu.identity import Caller
from kefu.model.ticket_requests import NewTicket
from kefu.model.tickets import Ticket
from kefu.store import agents as agent_store
from kefu.store import tickets as ticket_store
from kefu.tickets import service as tickets
from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, OTHER_CUSTOMER, Identity
from tests.integration.conftest import open_ticket

#: Who opens follow-ups in these tests: a system acting with an agent's rights, as the survey and e-mail paths do.
SURVEYS = Caller(sub="system:surveys", groups=frozenset({"agent"}))
FOLLOW_UP = NewTicket(subject="Still no refund", description="The refund you promised has not arrived.")


def availability(api, who: Identity, value: str) -> None:
    assert api("PUT", f"/agents/{who.sub}/availability", who=ADMIN, body={"availability": value}).status == 200


def set_capacity(api, who: Identity, capacity: int, groups=("l1",)) -> None:
    body = {"name": who.sub, "groupIds": list(groups), "capacity": capacity}
    assert api("PUT", f"/agents/{who.sub}", who=ADMIN, body=body).status == 200


def closed_ticket_owned_by(api, who: Identity) -> Ticket:
    """A ticket of CUSTOMER's that `who` took, resolved and that the customer then closed."""
    tid = open_ticket(api)["id"]
    assert api("POST", f"/tickets/{tid}/assign", who=who, body={"take": True}).status == 200
    body = {"to": "resolved", "resolution": {"kind": "refund"}}
    assert api("POST", f"/tickets/{tid}/transition", who=who, body=body).status == 200
    assert api("POST", f"/tickets/{tid}/transition", who=CUSTOMER, body={"to": "closed"}).status == 200
    return ticket_store.get(tid)


def entries(ticket_id: str, kind: str) -> list:
    page = ticket_store.timeline(ticket_id, public_only=False, limit=50, cursor=None)
    return [entry for entry in page.items if entry.kind.value == kind]


def load_of(who: Identity) -> int:
    return agent_store.get_agent(who.sub).load


def test_a_follow_up_belongs_to_the_earlier_tickets_customer_and_records_what_it_follows(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    assert follow_up.customerId == earlier.customerId
    assert follow_up.followUpOf == earlier.id
    assert ticket_store.get(follow_up.id).followUpOf == earlier.id


def test_the_follow_up_names_the_earlier_ticket_and_why_on_its_timeline(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    [link] = entries(follow_up.id, "link")
    assert link.data == {"followUpOf": earlier.id, "reason": f"{earlier.id} is closed"}
    assert link.visibility.value == "public"


def test_the_earlier_ticket_gets_a_link_to_its_follow_up_and_stays_closed(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    [link] = entries(earlier.id, "link")
    assert link.data == {"followUp": follow_up.id}
    assert ticket_store.get(earlier.id).status.value == "closed"


def test_a_reason_given_by_the_opener_is_the_one_recorded(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier, origin={"reason": "CSAT 1 of 5"})

    [link] = entries(follow_up.id, "link")
    assert link.data["reason"] == "CSAT 1 of 5"


def test_a_follow_up_goes_to_the_earlier_owner_online_with_room_even_when_another_agent_is_less_loaded(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)
    availability(desk, AGENT, "online")
    open_ticket(desk, who=Identity("cust-busy"))  # AGENT now carries one ticket; AGENT_2 none
    availability(desk, AGENT_2, "online")
    assert load_of(AGENT) == 1

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    assert (follow_up.assigneeId, follow_up.ownerId, follow_up.status.value) == (AGENT.sub, AGENT.sub, "open")
    assert load_of(AGENT) == 2


def test_a_follow_up_of_an_offline_owner_waits_in_the_queue_with_its_owner_kept(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)
    availability(desk, AGENT_2, "online")  # someone else has room: the follow-up still waits for its owner

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    assert (follow_up.assigneeId, follow_up.ownerId, follow_up.status.value) == (None, AGENT.sub, "new")
    assert follow_up.awaitingOwner
    queue = desk("GET", "/tickets", who=AGENT, query={"group": follow_up.groupId, "status": "new"}).json["items"]
    assert follow_up.id in [t["id"] for t in queue]
    assert load_of(AGENT_2) == 0


def test_the_owner_takes_the_follow_up_waiting_for_them_when_they_come_online(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)
    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    availability(desk, AGENT, "online")

    taken = ticket_store.get(follow_up.id)
    assert (taken.assigneeId, taken.ownerId, taken.status.value, taken.awaitingOwner) == (
        AGENT.sub,
        AGENT.sub,
        "open",
        False,
    )
    assert load_of(AGENT) == 1


def test_a_follow_up_of_an_owner_at_capacity_waits_for_them(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)
    set_capacity(desk, AGENT, 1)
    availability(desk, AGENT, "online")
    open_ticket(desk, who=Identity("cust-fills"))  # AGENT is full now
    assert load_of(AGENT) == 1

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    assert (follow_up.assigneeId, follow_up.ownerId, follow_up.awaitingOwner) == (None, AGENT.sub, True)
    assert load_of(AGENT) == 1
    [routing] = entries(follow_up.id, "routing")
    assert f"waits for {AGENT.sub}, the owner of {earlier.id}, who is at capacity" in routing.data["reasons"]


def test_an_owner_who_fills_up_while_the_follow_up_is_written_is_never_pushed_over_capacity(desk, monkeypatch):
    earlier = closed_ticket_owned_by(desk, AGENT)
    set_capacity(desk, AGENT, 1)
    availability(desk, AGENT, "online")
    open_ticket(desk, who=Identity("cust-fills"))
    # The owner as read before they filled up: online with room.
    stale = agent_store.get_agent(AGENT.sub).model_copy(update={"load": 0})
    real_get_agent = agent_store.get_agent
    monkeypatch.setattr(agent_store, "get_agent", lambda agent_id: stale if agent_id == AGENT.sub else None)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier)

    monkeypatch.setattr(agent_store, "get_agent", real_get_agent)
    assert (follow_up.assigneeId, follow_up.ownerId, follow_up.awaitingOwner) == (None, AGENT.sub, True)
    assert load_of(AGENT) == 1


def test_a_follow_up_goes_to_the_group_it_is_sent_to(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=earlier, group="complaints")

    assert follow_up.groupId == "complaints"
    [routing] = entries(follow_up.id, "routing")
    assert routing.data["group"] == "complaints"
    assert any("sent to the group complaints by its opener" in reason for reason in routing.data["reasons"])


def test_a_ticket_sent_to_a_group_that_does_not_exist_is_refused(desk):
    with pytest.raises(errors.InvalidRequest, match="group treasury does not exist"):
        tickets.open_ticket(SURVEYS, FOLLOW_UP, group="treasury")


def test_a_follow_up_of_a_ticket_nobody_owned_is_assigned_as_any_new_ticket(desk):
    tid = open_ticket(desk)["id"]  # nobody online: it waits, unowned
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{tid}/transition", who=AGENT, body=body).status == 200
    assert desk("POST", f"/tickets/{tid}/transition", who=CUSTOMER, body={"to": "closed"}).status == 200
    availability(desk, AGENT_2, "online")

    follow_up = tickets.open_ticket(SURVEYS, FOLLOW_UP, follow_up_of=ticket_store.get(tid))

    assert (follow_up.assigneeId, follow_up.ownerId, follow_up.awaitingOwner) == (AGENT_2.sub, AGENT_2.sub, False)


def test_a_customer_follows_up_their_own_ticket_but_never_someone_elses(desk):
    earlier = closed_ticket_owned_by(desk, AGENT)
    mine = Caller(sub=CUSTOMER.sub)
    theirs = Caller(sub=OTHER_CUSTOMER.sub)

    assert tickets.open_ticket(mine, FOLLOW_UP, follow_up_of=earlier).customerId == CUSTOMER.sub
    with pytest.raises(errors.TicketNotFound):
        tickets.open_ticket(theirs, FOLLOW_UP, follow_up_of=earlier)
