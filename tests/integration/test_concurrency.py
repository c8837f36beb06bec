"""Concurrent writers never lose an update: optimistic locking and conditional assignment.

The racing calls go to the domain (kefu.tickets.service), as concurrent Lambda invocations each reach it: not
through the one in-process API handler, whose Powertools resolver keeps the request being resolved on the app
object (one request at a time in a Lambda process), so two threads through it can swap requests. Setting up and
reading back go through the API."""

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


def as_caller(who):
    """The caller the API would make of `who`'s token."""
    from kefu.customers import linking
    from kefu.identity import Caller

    return linking.resolved(Caller.from_claims(who.claims()))


def outcome(call):
    """("ok", what `call()` returned) or (the domain error's class name, its message)."""
    from kefu.errors import KefuError

    try:
        return "ok", call()
    except KefuError as err:
        return type(err).__name__, str(err)


def conflict(kind: str) -> bool:
    """Whether the domain error named `kind` is a Conflict (HTTP 409)."""
    import kefu.errors
    import kefu.store.failures
    from kefu.tickets import service

    found = getattr(kefu.errors, kind, None) or getattr(kefu.store.failures, kind, None) or getattr(service, kind, None)
    return isinstance(found, type) and issubclass(found, kefu.errors.Conflict)


def test_two_concurrent_updates_of_one_ticket_one_wins_the_other_is_stale(desk):
    from kefu.model.ticket_requests import TicketPatch
    from kefu.tickets import service as tickets

    ticket = open_ticket(desk)
    path = f"/tickets/{ticket['id']}"

    def patch(who, priority):
        return outcome(
            lambda: tickets.update_ticket(as_caller(who), ticket["id"], TicketPatch(priority=priority), if_match=1)
        )

    results = race(lambda: patch(AGENT, "P1"), lambda: patch(AGENT_2, "P4"))
    assert sorted(kind for kind, _ in results) == ["StaleVersion", "ok"], results
    winner = next(value for kind, value in results if kind == "ok")
    assert desk("GET", path, who=AGENT).json["priority"] == winner.priority


def test_agents_racing_to_take_a_ticket_leave_exactly_one_assignee(desk):
    body = {"name": "third", "groupIds": ["l1"], "capacity": 5}
    desk("PUT", f"/agents/{ADMIN.sub}", who=ADMIN, body=body)
    tid = open_ticket(desk)["id"]
    racers = (AGENT, AGENT_2, SUPERVISOR, ADMIN)
    from kefu.model.ticket_requests import AssignRequest
    from kefu.tickets import service as tickets

    results = race(
        *[
            lambda who=who: outcome(lambda: tickets.assign(as_caller(who), tid, AssignRequest(take=True)))
            for who in racers
        ]
    )
    kinds = [kind for kind, _ in results]
    assert kinds.count("ok") == 1 and all(conflict(kind) for kind in kinds if kind != "ok"), results
    winner = racers[kinds.index("ok")]
    ticket = desk("GET", f"/tickets/{tid}", who=AGENT).json
    assert ticket["assigneeId"] == ticket["ownerId"] == winner.sub
    loads = {m["agentId"]: m["load"] for m in desk("GET", "/groups/l1/agents", who=SUPERVISOR).json}
    assert sum(loads.values()) == 1 and loads[winner.sub] == 1


def test_concurrent_customer_messages_are_all_kept(desk):
    from kefu.model.ticket_requests import NewMessage
    from kefu.tickets import service as tickets
    from tests.conftest import CUSTOMER

    tid = open_ticket(desk)["id"]
    results = race(
        *[
            lambda n=n: outcome(lambda: tickets.add_message(as_caller(CUSTOMER), tid, NewMessage(body=f"m{n}")))
            for n in range(4)
        ]
    )
    assert [kind for kind, _ in results] == ["ok"] * 4, results
    bodies = {e["body"] for e in desk("GET", f"/tickets/{tid}/timeline", who=AGENT).json["items"]}
    assert {"m0", "m1", "m2", "m3"} <= bodies


def test_a_customer_record_changed_between_its_read_and_its_audited_write_is_stale(desk, monkeypatch):
    """The audited change's transaction puts its audit entry, then updates the record: the record's refused version
    is told apart from a contact point taken meanwhile by where it sits in the request, not where it was added."""
    from datetime import UTC, datetime

    from kefu.errors import StaleVersion
    from kefu.model.audit import AuditAction, AuditNote
    from kefu.store import customer_records as records

    customer_id = open_ticket(desk)["customerId"]
    version = records.profile(customer_id).version  # type: ignore[union-attr]
    at = datetime(2026, 12, 5, tzinfo=UTC)
    note = AuditNote(actorId=SUPERVISOR.sub, actorRole="supervisor", action=AuditAction.CHANGED, fields=["name"])
    real_write = records._write

    def interleaved(item, changes, moment, also):
        monkeypatch.setattr(records, "_write", real_write)
        records.change(customer_id, {"name": "Someone else"}, expected_version=version, at=moment)
        real_write(item, changes, moment, also)

    monkeypatch.setattr(records, "_write", interleaved)
    kind, message = outcome(
        lambda: records.change(customer_id, {"name": "Li Lei"}, expected_version=version, at=at, audit=note)
    )

    assert kind == StaleVersion.__name__, message
    assert records.profile(customer_id).name == "Someone else"  # type: ignore[union-attr]
