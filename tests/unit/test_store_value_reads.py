"""Some rows are made from their items' values read by Python name (a group's roster member, kefu.store.agents;
a customer and a contact point's owner, kefu.store.customers), not through the attributes' descriptors: each must be
the row the descriptors would make, whatever the item holds and whichever attributes are stored under another
name, for an item read back from the table as for one built in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.model.agents import GroupMember
from kefu.model.customers import Customer, CustomerSummary
from kefu.store.agents import _member_row
from kefu.store.customers import _customer, owner_of
from kefu.store.models import ContactItem, CustomerItem, KefuItem, MemberItem

MOMENT = datetime(2026, 11, 24, 3, 30, 5, 123000, tzinfo=UTC)


def _read_back(item: KefuItem) -> Any:
    read = KefuItem.from_raw_data(item.serialize())  # as a Query's page or a GetItem gives it
    assert type(read) is type(item)
    return read


def _member_through_descriptors(item: MemberItem, group_id: str) -> GroupMember:
    return GroupMember(
        agentId=item.agent_id,
        name=item.name,
        groupIds=list(item.group_ids or []) or [group_id],
        skills=sorted(item.skills or []),
        tier=item.tier,
        capacity=int(item.capacity),
        availability=item.availability,
        load=int(item.load),
    )


MEMBER: dict[str, Any] = {
    "group_id": "billing",
    "agent_id": "a-1",
    "group_ids": ["billing", "vip"],
    "name": "Ann",
    "skills": {"refund", "billing"},
    "tier": "L2",
    "capacity": 5,
    "availability": "online",
    "load": 3,
}


@pytest.mark.parametrize(
    "values",
    [MEMBER, {"group_id": "billing", "agent_id": "a-2"}, {**MEMBER, "group_ids": [], "skills": None, "name": None}],
    ids=["every attribute", "defaults only", "empty and missing"],
)
def test_a_roster_row_is_the_one_the_descriptors_make(values: dict[str, Any]):
    written = MemberItem("GROUP#billing", "MEMBER#" + values["agent_id"], **values)
    for item in (written, _read_back(written)):
        assert _member_row(item, "billing") == _member_through_descriptors(item, "billing")
        assert _member_row(item, "billing").agentId == values["agent_id"]


CUSTOMER: dict[str, Any] = {
    "customer_id": "c-1",
    "name": "Wang Fang",
    "email": "fang@example.com",
    "phone": "+8613800000000",
    "tier": "vip",
    "created_at": MOMENT,
    "updated_at": MOMENT.replace(second=9),
    "last_revisited_at": MOMENT.replace(minute=59),
}


@pytest.mark.parametrize(
    "values",
    [CUSTOMER, {"customer_id": "c-2", "created_at": MOMENT, "updated_at": MOMENT}],
    ids=["every attribute", "required only"],
)
def test_a_customer_is_the_one_the_descriptors_make(values: dict[str, Any]):
    written = CustomerItem("CUST#" + values["customer_id"], "CUSTOMER", **values)
    for item in (written, _read_back(written)):
        through_descriptors = Customer(
            id=item.customer_id,
            name=item.name,
            email=item.email,
            phone=item.phone,
            tier=item.tier,
            createdAt=item.created_at,
            updatedAt=item.updated_at,
            lastRevisitedAt=item.last_revisited_at,
        )
        assert _customer(item) == through_descriptors
        assert _customer(item).id == values["customer_id"]


@pytest.mark.parametrize(
    "values", [{"customer_id": "c-1", "tier": "vip", "name": "Fang"}, {"customer_id": "c-2"}], ids=["all", "least"]
)
def test_a_contact_points_owner_is_the_one_the_descriptors_make(values: dict[str, Any]):
    written = ContactItem("CONTACT#email#fang@example.com", "CONTACT", **values)
    for item in (written, _read_back(written)):
        assert owner_of(item) == CustomerSummary(id=item.customer_id, tier=item.tier, name=item.name)
        assert owner_of(item) == CustomerSummary(
            id=values["customer_id"], tier=values.get("tier", "standard"), name=values.get("name")
        )
