"""The audit trail of customer records (access pattern 16): who read or changed a record, by customer and by
actor, in time order, for admins only, and without the personal data itself."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, AGENT, AGENT_2, CUSTOMER, SUPERVISOR
from tests.integration.conftest import open_ticket

CRM_UPDATE = {"type": "customer.updated", "externalId": "crm-7", "tier": "vip"}


@pytest.fixture
def carol(desk) -> str:
    customer = {"email": "carol@example.com", "name": "Carol Li"}
    return open_ticket(desk, who=AGENT, customer=customer)["customerId"]


def trail(desk, path: str, **query) -> list[dict]:
    reply = desk("GET", path, who=ADMIN, query=query or None)
    assert reply.status == 200, reply.text
    return reply.json["items"]


def test_reading_and_changing_a_record_leave_entries_in_order(desk, carol):
    # Given an agent who reads Carol's record and changes her note, and another agent who reads it
    assert desk("GET", f"/customers/{carol}", who=AGENT).status == 200
    body = {"note": "Asked not to be called at work", "tier": "vip"}
    assert desk("PATCH", f"/customers/{carol}", who=AGENT, body=body, headers={"If-Match": "*"}).status == 200
    assert desk("GET", f"/customers/{carol}", who=AGENT_2).status == 200
    # When an admin reads her record's trail, then the three are there, oldest first, with what was changed
    entries = trail(desk, f"/customers/{carol}/audit")
    assert [(e["actorId"], e["action"], e["fields"]) for e in entries] == [
        (AGENT.sub, "read", []),
        (AGENT.sub, "changed", ["note", "tier"]),
        (AGENT_2.sub, "read", []),
    ]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    # and the trail holds none of what was written
    assert "Asked not to be called" not in str(entries)


def test_an_actors_trail_lists_the_records_they_read(desk, carol):
    other = open_ticket(desk, who=AGENT, customer={"email": "dan@example.com"})["customerId"]
    for customer_id in (carol, other):
        assert desk("GET", f"/customers/{customer_id}", who=SUPERVISOR).status == 200
    entries = trail(desk, "/audit", actor=SUPERVISOR.sub)
    assert [(e["customerId"], e["action"], e["actorRole"]) for e in entries] == [
        (carol, "read", "supervisor"),
        (other, "read", "supervisor"),
    ]
    assert trail(desk, "/audit", actor=AGENT_2.sub) == []


def test_a_trail_pages_with_the_cursor(desk, carol):
    for _ in range(3):
        assert desk("GET", f"/customers/{carol}", who=AGENT).status == 200
    first = desk("GET", f"/customers/{carol}/audit", who=ADMIN, query={"limit": "2"})
    assert len(first.json["items"]) == 2 and first.json["nextCursor"]
    rest = trail(desk, f"/customers/{carol}/audit", cursor=first.json["nextCursor"])
    assert len(rest) == 1
    other = desk("GET", "/audit", who=ADMIN, query={"actor": AGENT.sub, "cursor": first.json["nextCursor"]})
    assert other.status == 400


def test_listing_and_searching_leave_no_entry_but_reading_the_record_does(desk, carol):
    assert desk("GET", "/customers", who=AGENT, query={"q": "carol"}).status == 200
    assert trail(desk, f"/customers/{carol}/audit") == []


@pytest.mark.parametrize("who", [CUSTOMER, AGENT, SUPERVISOR])
def test_only_admins_read_trails(desk, carol, who):
    assert desk("GET", f"/customers/{carol}/audit", who=who).status == 403
    assert desk("GET", "/audit", who=who, query={"actor": AGENT.sub}).status == 403


def test_an_actors_trail_needs_the_actor(desk):
    reply = desk("GET", "/audit", who=ADMIN)
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_refused_change_leaves_no_entry(desk, carol):
    etag = desk("GET", f"/customers/{carol}", who=AGENT).headers["etag"]
    assert desk("PATCH", f"/customers/{carol}", who=AGENT, body={"note": "a"}, headers={"If-Match": etag}).status == 200
    stale = desk("PATCH", f"/customers/{carol}", who=AGENT, body={"note": "b"}, headers={"If-Match": etag})
    assert stale.status == 412
    assert [e["action"] for e in trail(desk, f"/customers/{carol}/audit")] == ["read", "changed"]


def test_a_crm_change_is_on_the_trail_as_the_crms(desk, carol):
    from kefu.customers import crm

    crm.apply(crm.CustomerUpdated.model_validate({**CRM_UPDATE, "customer": {"id": carol}}))
    [entry] = trail(desk, "/audit", actor="system:crm")
    assert (entry["customerId"], entry["action"], entry["fields"]) == (carol, "changed", ["externalId", "tier"])
