"""kefu's items are built, serialized and read back by KefuItem's own steps (kefu.store.models: each plain attribute's
value read and written in `attribute_values` directly). They must give what pynamodb's own steps give, for every
item kind, or an item would be written or read differently."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.attributes import (
    AttributeContainer,
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import AttributeNullError

import kefu.store
from kefu.store.attributes import UtcDateTimeAttribute
from kefu.store.models import KefuItem, MemberItem, TicketItem

MOMENT = datetime(2026, 11, 24, 3, 30, 5, 123000, tzinfo=UTC)


def item_kinds() -> list[type[KefuItem]]:
    for module in pkgutil.iter_modules(kefu.store.__path__):
        importlib.import_module(f"kefu.store.{module.name}")
    found, pending = [], [KefuItem]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


def sample(attr: Any) -> Any:
    """A value of the attribute's type (order matters: VersionAttribute is a NumberAttribute)."""
    if isinstance(attr, VersionAttribute):
        return 3
    if isinstance(attr, TTLAttribute | UtcDateTimeAttribute):
        return MOMENT
    if isinstance(attr, ListAttribute):
        return ["a", "b"]
    if isinstance(attr, UnicodeSetAttribute):
        return {"a", "b"}
    if isinstance(attr, NumberSetAttribute):
        return {1, 2}
    if isinstance(attr, NumberAttribute):
        return 7
    if isinstance(attr, BooleanAttribute):
        return True
    if isinstance(attr, JSONAttribute):
        return {"a": [1, "b"]}
    if isinstance(attr, UnicodeAttribute):
        return f"{attr.attr_name}-value"
    if isinstance(attr, BinaryAttribute):
        return b"\x00\xffbytes"
    raise AssertionError(f"no sample for {type(attr).__name__}: add one")


def values_of(kind: type[KefuItem], every: bool) -> dict[str, Any]:
    """A value for each attribute (the keys always; the others only when `every`)."""
    return {
        name: sample(attr)
        for name, attr in kind.get_attributes().items()
        if not isinstance(attr, DiscriminatorAttribute) and (every or attr.is_hash_key or attr.is_range_key)
    }


def built_by_pynamodb(kind: type[KefuItem], **values: Any) -> KefuItem:
    item = kind.__new__(kind)
    item.attribute_values = {}
    AttributeContainer._set_discriminator(item)
    AttributeContainer._set_defaults(item)
    AttributeContainer._set_attributes(item, **values)
    return item


@pytest.mark.parametrize("every", [True, False], ids=["every attribute", "keys only"])
@pytest.mark.parametrize("kind", item_kinds(), ids=lambda kind: kind.__name__)
def test_an_item_is_built_serialized_and_read_as_pynamodb_does(kind, every):
    values = values_of(kind, every)
    expected = built_by_pynamodb(kind, **values)

    # Built: the same values, defaults included
    item = kind(**values)
    assert item.attribute_values == expected.attribute_values

    # Serialized: the same item (or the same missing attribute refused)
    try:
        wanted = AttributeContainer._container_serialize(expected)
    except AttributeNullError as err:
        with pytest.raises(AttributeNullError) as refused:
            item._container_serialize()
        assert str(refused.value) == str(err)
        return
    serialized = item._container_serialize()
    assert serialized == wanted

    # Read back, through the table's class and its own: the same kind and values (an attribute no class declares
    # and a stored null ignored alike)
    serialized = {**serialized, "notDeclared": {"S": "x"}}
    for attr in kind.get_attributes().values():
        if not (attr.is_hash_key or attr.is_range_key or isinstance(attr, DiscriminatorAttribute)):
            serialized[attr.attr_name] = {"NULL": True}
            break
    for reader in {KefuItem, kind}:
        read = reader.from_raw_data(serialized)
        expected_read = kind.__new__(kind)
        AttributeContainer._container_deserialize(expected_read, serialized)
        assert type(read) is kind
        assert read.attribute_values == expected_read.attribute_values


def test_an_unknown_attribute_is_refused():
    with pytest.raises(ValueError, match="Attribute colour specified does not exist"):
        TicketItem("TICKET#t", "TICKET", colour="red")


def test_an_item_of_another_kind_is_not_read_as_this_one():
    serialized = TicketItem("TICKET#t", "TICKET", **values_of(TicketItem, True))._container_serialize()
    serialized["kind"] = {"S": "timeline"}
    with pytest.raises(ValueError, match="Cannot instantiate a TicketItem"):
        TicketItem.from_raw_data(serialized)


@pytest.mark.parametrize(
    "stored",
    [
        {"capacity": {"N": "7"}, "load": {"N": "-0"}},
        {"capacity": {"N": "7.5"}, "load": {"N": "1E+2"}},
        {"capacity": {"N": "12345678901234567890"}, "load": {"N": "-40"}},
        {"groupIds": {"L": [{"S": "a"}, {"NULL": True}, {"S": ""}]}},
        {"groupIds": {"L": []}},
    ],
    ids=["integers", "not integers", "big and negative", "strings with a null", "no strings"],
)
def test_numbers_and_lists_of_strings_are_read_as_pynamodb_reads_them(stored: dict[str, Any]):
    # KefuItem reads these (and plain strings) without their attributes' deserialize: the same values, same types
    serialized = {"pk": {"S": "GROUP#g"}, "sk": {"S": "MEMBER#a"}, "kind": {"S": "member"}, **stored}
    read = KefuItem.from_raw_data(serialized)
    expected = MemberItem.__new__(MemberItem)
    AttributeContainer._container_deserialize(expected, serialized)
    assert read.attribute_values == expected.attribute_values
    assert {k: type(v) for k, v in read.attribute_values.items()} == {
        k: type(v) for k, v in expected.attribute_values.items()
    }


def test_a_list_element_without_a_string_fails_as_pynamodb_fails():
    serialized = {
        "pk": {"S": "GROUP#g"},
        "sk": {"S": "MEMBER#a"},
        "kind": {"S": "member"},
        "groupIds": {"L": [{"N": "1"}]},
    }
    with pytest.raises(Exception) as ours:
        KefuItem.from_raw_data(serialized)
    with pytest.raises(Exception) as theirs:
        AttributeContainer._container_deserialize(MemberItem.__new__(MemberItem), serialized)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)
