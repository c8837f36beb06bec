"""kefu's JSON attributes store text as itself: an item is billed by its UTF-8 size, where a Chinese character's
`\\u8ba2`-style escape costs twice the character (kefu.store.attributes.CompactJSONAttribute)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.store.attributes import CompactJSONAttribute
from tests.unit.test_store_items import item_kinds

ATTRIBUTE = CompactJSONAttribute()
SUGGESTED = {"title": "快递到哪里了？如何查询物流", "why": "matched 快递, 物流", "score": 15.6, "tags": ["…", "é"]}


def test_text_other_than_ascii_is_stored_as_itself_without_blanks():
    stored = ATTRIBUTE.serialize(SUGGESTED)

    assert stored == '{"title":"快递到哪里了？如何查询物流","why":"matched 快递, 物流","score":15.6,"tags":["…","é"]}'
    assert len(stored.encode()) < len(json.dumps(SUGGESTED).encode()) * 0.7


def test_text_stored_escaped_before_reads_the_same():
    escaped = json.dumps(SUGGESTED)

    assert ATTRIBUTE.deserialize(escaped) == SUGGESTED == ATTRIBUTE.deserialize(ATTRIBUTE.serialize(SUGGESTED))


def test_a_lone_surrogate_is_stored_escaped_as_before_since_utf_8_has_no_such_text():
    value = {"body": "half a pair \ud83d here, 中文"}

    stored = ATTRIBUTE.serialize(value)

    assert stored == json.dumps(value, separators=(",", ":"))
    stored.encode("utf-8")  # what DynamoDB takes
    assert ATTRIBUTE.deserialize(stored) == value


def test_none_is_no_value():
    assert ATTRIBUTE.serialize(None) is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_any_json_value_reads_back_as_it_was_written_and_is_utf_8_text(value):
    stored = ATTRIBUTE.serialize(value)

    if value is not None:
        stored.encode("utf-8")
        assert ATTRIBUTE.deserialize(stored) == value


@pytest.mark.parametrize("kind", item_kinds(), ids=lambda kind: kind.__name__)
def test_no_item_kind_stores_json_escaped(kind):
    """Every JSON attribute of every item kind is kefu's: pynamodb's own escapes what is not ASCII and adds blanks."""
    plain = [
        name
        for name, attribute in kind.get_attributes().items()
        if type(attribute).__name__ == "JSONAttribute" and not isinstance(attribute, CompactJSONAttribute)
    ]
    assert plain == [], f"{kind.__name__} stores {plain} with pynamodb's JSONAttribute"
