"""KefuItem.partition: a partition's items, each as its kind, read without the `kind IN (every kind)` filter that
pynamodb puts on a KefuItem.query, yet leaving out what that filter leaves out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.store import agents as agent_store
from kefu.store.group_models import GroupItem, RotationItem
from kefu.store.models import KefuItem, MemberItem
from kefu.store.writes import connection


@pytest.fixture
def group(aws) -> str:
    GroupItem("GROUP#g", "GROUP", group_id="g", name="G", updated_at=datetime(2026, 12, 4, tzinfo=UTC)).save()
    for agent_id in ("a", "b"):
        MemberItem("GROUP#g", f"MEMBER#{agent_id}", group_id="g", agent_id=agent_id, availability="online").save()
    RotationItem("GROUP#g", "ROTATION", last_agent_id="b", turn=4).save()
    return "GROUP#g"


def test_a_partition_reads_as_a_kefu_item_query_does(group):
    # Given a group's partition, with an item of a kind this process does not know and one with no kind at all
    table = KefuItem.Meta.table_name
    for sk, kind in (("FUTURE", {"kind": {"S": "from_a_later_release"}}), ("KINDLESS", {})):
        connection().put_item(table, "GROUP#g", sk, attributes={**kind, "note": {"S": sk}})

    # When it is read as a partition, and as a KefuItem query
    read = list(KefuItem.partition(group, consistent_read=True))
    queried = list(KefuItem.query(group, consistent_read=True))

    # Then both give the same items, each as its kind, in key order; the unknown and kindless ones left out
    assert [(type(item), item.sk) for item in read] == [(type(item), item.sk) for item in queried]
    assert [type(item) for item in read] == [GroupItem, MemberItem, MemberItem, RotationItem]
    assert [item.attribute_values for item in read] == [item.attribute_values for item in queried]


def test_the_roster_is_read_from_its_partition(group):
    roster = agent_store.roster("g")

    assert [member.agentId for member in roster.members] == ["a", "b"]
    assert (roster.last_agent_id, roster.turn) == ("b", 4)
