"""Concurrent writers never lose an update: optimistic locking and conditional assignment."""

from __future__ import annotations

import threading

from tests.conftest import ADMIN, AGENT, AGENT_2, SUPERVISOR
from tests.integration.conftest import open_ticket


def race(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_concurrent_updates_of_one_ticket_one_wins_the_other_gets_412(desk):
    ticket = open_ticket(desk)
    path = f"/tickets/{ticket['id']}"
    etag = {"If-Match": '"1"'}
    replies = race(
        lambda: desk("PATCH", path, who=AGENT, body={"priority": "P1"}, headers=etag),
        lambda: desk("PATCH", path, who=AGENT_2, body={"priority": "P4"}, headers=etag),
    )
    assert sorted(r.status for r in replies) == [200, 412]
    winner = next(r for r in replies if r.status == 200)
    assert desk("GET", path, who=AGENT).json["priority"] == winner.json["priority"]


def test_agents_racing_to_take_a_ticket_leave_exactly_one_assignee(desk):
    body = {"name": "third", "groupIds": ["l1"], "capacity": 5}
    desk("PUT", f"/agents/{ADMIN.sub}", who=ADMIN, body=body)
    tid = open_ticket(desk)["id"]
    racers = (AGENT, AGENT_2, SUPERVISOR, ADMIN)
    replies = race(
        *[lambda who=who: desk("POST", f"/tickets/{tid}/assign", who=who, body={"take": True}) for who in racers]
    )
    assert sorted(r.status for r in replies) == [200, 409, 409, 409]
    winner = racers[[r.status for r in replies].index(200)]
    ticket = desk("GET", f"/tickets/{tid}", who=AGENT).json
    assert ticket["assigneeId"] == ticket["ownerId"] == winner.sub
    loads = {m["agentId"]: m["load"] for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    assert sum(loads.values()) == 1 and loads[winner.sub] == 1


def test_concurrent_customer_messages_are_all_kept(desk):
    from tests.conftest import CUSTOMER

    tid = open_ticket(desk)["id"]
    replies = race(
        *[lambda n=n: desk("POST", f"/tickets/{tid}/messages", who=CUSTOMER, body={"body": f"m{n}"}) for n in range(4)]
    )
    assert [r.status for r in replies] == [201] * 4
    bodies = {e["body"] for e in desk("GET", f"/tickets/{tid}/timeline", who=AGENT).json["items"]}
    assert {"m0", "m1", "m2", "m3"} <= bodies
