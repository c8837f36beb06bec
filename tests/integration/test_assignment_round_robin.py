"""Round robin as a group's assignment option: new tickets go to the group's agents in turn, in a stable order, the
rotation stored so that openings at the same moment never take the same turn — and still never over capacity."""

from __future__ import annotations

import json
import threading

import pytest

from kefu import deployment
from kefu.agents.groups import find_group
from kefu.identity import Caller
from kefu.model.ticket_requests import NewTicket, TransitionRequest
from kefu.model.tickets import Status
from kefu.store import agents as agent_store
from kefu.store import tickets as ticket_store
from kefu.tickets import service as tickets
from tests.conftest import ADMIN, AGENT, SUPERVISOR

ROTA = ["rr-a", "rr-b", "rr-c"]
#: Tickets opened straight into the group, as an agent taking a call opens them.
DESK = Caller(sub="agent-desk", groups=frozenset({"agent"}))


def staff(api, group: str, capacities=(5, 5, 5)) -> None:
    for agent_id, capacity in zip(ROTA, capacities, strict=True):
        body = {"name": agent_id, "groupIds": [group], "capacity": capacity}
        assert api("PUT", f"/agents/{agent_id}", who=ADMIN, body=body).status == 200
        availability(api, agent_id, "online")


def availability(api, agent_id: str, value: str) -> None:
    reply = api("PUT", f"/agents/{agent_id}/availability", who=ADMIN, body={"availability": value})
    assert reply.status == 200, reply.text


@pytest.fixture
def rota(desk):
    reply = desk("PUT", "/groups/rota", who=ADMIN, body={"name": "Hotline", "assignment": "round_robin"})
    assert reply.status == 200, reply.text
    return desk


def open_in(group: str, n: int):
    request = NewTicket.model_validate(
        {"subject": f"Call {n}", "description": "Caller asks about an order", "customer": {"email": f"c{n}@x.com"}}
    )
    return tickets.open_ticket(DESK, request, group=group)


def assignees(group: str, count: int, start: int = 0) -> list[str | None]:
    return [open_in(group, n).assigneeId for n in range(start, start + count)]


def load_of(agent_id: str) -> int:
    return agent_store.get_agent(agent_id).load


def test_a_group_takes_round_robin_as_its_assignment_and_least_loaded_is_the_default(rota):
    groups = {g["id"]: g for g in rota("GET", "/groups", who=AGENT).json}

    assert groups["rota"]["assignment"] == "round_robin"
    assert groups["l1"]["assignment"] == "least_loaded"


def test_an_unknown_assignment_mode_is_refused(desk):
    reply = desk("PUT", "/groups/rota", who=ADMIN, body={"name": "Hotline", "assignment": "random"})

    assert reply.status == 422


def test_six_tickets_go_round_three_agents_twice_in_a_stable_order(rota):
    staff(rota, "rota")

    assert assignees("rota", 6) == ["rr-a", "rr-b", "rr-c", "rr-a", "rr-b", "rr-c"]
    assert [load_of(agent_id) for agent_id in ROTA] == [2, 2, 2]


def test_the_turn_goes_round_even_when_the_next_agent_carries_more(rota):
    staff(rota, "rota")
    open_in("rota", 0)  # rr-a
    ticket = open_in("rota", 1)  # rr-b
    tickets.transition(DESK, ticket.id, TransitionRequest(to=Status.RESOLVED, resolution={"kind": "answer"}))
    # rr-b has nothing now and rr-c nothing either; least loaded would pick rr-b, the turn is rr-c's.

    assert open_in("rota", 2).assigneeId == "rr-c"


def test_offline_agents_and_agents_at_capacity_are_skipped(rota):
    staff(rota, "rota", capacities=(5, 5, 1))
    first = open_in("rota", 0).assigneeId
    availability(rota, "rr-b", "offline")

    rest = assignees("rota", 3, start=1)

    # rr-b is offline; rr-c takes one turn and is then full; rr-a takes every turn left.
    assert [first, *rest] == ["rr-a", "rr-c", "rr-a", "rr-a"]
    assert [load_of(agent_id) for agent_id in ROTA] == [3, 0, 1]


def test_with_nobody_free_the_ticket_waits_and_the_rotation_stays_where_it_was(rota):
    staff(rota, "rota", capacities=(1, 1, 1))
    assert assignees("rota", 3) == ["rr-a", "rr-b", "rr-c"]

    waiting = open_in("rota", 3)

    assert (waiting.status, waiting.assigneeId) == (Status.NEW, None)
    assert agent_store.roster("rota").turn == 3


def test_a_deployed_group_takes_round_robin_from_the_deployment_configuration(desk, tmp_path, monkeypatch):
    document = {"groups": {"hotline": {"name": "Hotline", "assignment": "round_robin"}}, "default_group": "l1"}
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps(document))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    try:
        staff(desk, "hotline")

        assert find_group("hotline").assignment == "round_robin"
        assert assignees("hotline", 4) == ["rr-a", "rr-b", "rr-c", "rr-a"]
    finally:
        monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
        deployment.reload()


def test_tickets_opened_at_once_in_a_round_robin_group_take_distinct_turns_within_capacity(rota):
    staff(rota, "rota", capacities=(2, 2, 2))
    barrier = threading.Barrier(9)
    opened, failures = [], []

    def open_one(n: int) -> None:
        barrier.wait()
        try:
            opened.append(open_in("rota", n))
        except Exception as err:  # a failed opening is what this test must report
            failures.append(err)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(opened) == 9
    stored = [ticket_store.get(ticket.id) for ticket in opened]
    assigned = [t for t in stored if t.assigneeId]
    # Each agent holds exactly the tickets its load counts, never more than capacity: no ticket counted twice.
    for agent_id in ROTA:
        held = sorted(t.id for t in assigned if t.assigneeId == agent_id)
        listed = sorted(t.id for t in ticket_store.assigned_to(agent_id, Status.OPEN, limit=10, cursor=None).items)
        assert held == listed
        assert len(held) == load_of(agent_id) == 2
    assert sum(1 for t in stored if t.assigneeId is None and t.status is Status.NEW) == 3
    assert agent_store.roster("rota").turn == 6


def test_the_roster_api_still_lists_a_round_robin_groups_agents(rota):
    staff(rota, "rota")
    open_in("rota", 0)

    members = rota("GET", "/groups/rota/agents", who=SUPERVISOR).json

    assert sorted(m["agentId"] for m in members) == ROTA
