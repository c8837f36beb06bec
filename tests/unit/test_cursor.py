"""Pagination cursors: opaque to clients, refused when they were not issued for the listing they come back to."""

from __future__ import annotations

import base64
import json

import pytest

from kefu.errors import BadCursor
from kefu.store import cursor

# A customer's listing (gsi1) as DynamoDB returns its LastEvaluatedKey.
LAST_KEY = {
    "pk": {"S": "TICKET#TK-7Q2M9XKD"},
    "sk": {"S": "TICKET"},
    "gsi1pk": {"S": "CUST#cust-alice"},
    "gsi1sk": {"S": "2026-11-23T14:33:20.000Z#TK-7Q2M9XKD"},
}
KEY_NAMES = {"pk", "sk", "gsi1pk", "gsi1sk"}
ALICE = ("gsi1pk", "CUST#cust-alice")
BOB = ("gsi1pk", "CUST#cust-bob")


def forge(data: object) -> str:
    """A cursor made by hand the way kefu makes its own."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode_for_alice(text: str | None):
    return cursor.decode(text, key_names=KEY_NAMES, partition=ALICE)


def test_a_cursor_decodes_back_to_the_key_it_was_made_from():
    # Given the last key of a page, when encoded and decoded for the same listing, then the key comes back whole
    assert decode_for_alice(cursor.encode(LAST_KEY)) == LAST_KEY


def test_a_last_page_has_no_cursor():
    # Given no last evaluated key (the last page), when encoded, then there is no cursor
    assert cursor.encode(None) is None
    assert cursor.encode({}) is None


@pytest.mark.parametrize("absent", [None, ""], ids=["none", "empty"])
def test_no_cursor_starts_at_the_beginning(absent):
    # Given no cursor, when decoded, then there is no start key
    assert decode_for_alice(absent) is None


def test_a_cursor_is_safe_in_a_query_string_as_it_is():
    # Given a key whose JSON encodes to bytes that standard base64 renders with '+' and '/', when encoded,
    # then the cursor uses only URL-safe characters and no padding
    key = {**LAST_KEY, "gsi1sk": {"S": "~~~??>>>" * 4}}
    text = cursor.encode(key)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_for_alice(text) == key


def test_a_truncated_cursor_is_refused():
    # Given a cursor cut short, when decoded, then BadCursor
    with pytest.raises(BadCursor):
        decode_for_alice(cursor.encode(LAST_KEY)[:-7])


def test_a_cursor_re_pointed_at_another_customer_is_refused():
    # Given Alice's cursor, when brought to Bob's listing, then BadCursor
    with pytest.raises(BadCursor, match="another listing"):
        cursor.decode(cursor.encode(LAST_KEY), key_names=KEY_NAMES, partition=BOB)


def test_a_cursor_whose_partition_was_edited_is_refused():
    # Given Alice's cursor with its partition changed to Bob's, when used on Alice's listing, then BadCursor
    flat = {name: value["S"] for name, value in LAST_KEY.items()}
    with pytest.raises(BadCursor):
        decode_for_alice(forge({**flat, "gsi1pk": "CUST#cust-bob"}))


@pytest.mark.parametrize(
    "garbage",
    ["garbage", "!!!!", "é", "a", "====", "eyJ", "%7B%7D", "\x00\x01"],
    ids=["word", "punctuation", "non-ascii", "one-char", "padding-only", "json-prefix", "percent-encoded", "control"],
)
def test_garbage_is_refused(garbage):
    # Given text kefu never issued, when decoded, then BadCursor (a 400), never another exception
    with pytest.raises(BadCursor):
        decode_for_alice(garbage)


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"\xff\xfe\xfd", b" ", b"{", b"NaN"],
    ids=["text", "invalid-utf8", "blank", "half-object", "nan"],
)
def test_base64_of_something_that_is_not_json_is_refused(raw):
    # Given valid base64 of non-JSON bytes, when decoded, then BadCursor
    with pytest.raises(BadCursor):
        decode_for_alice(base64.urlsafe_b64encode(raw).decode())


@pytest.mark.parametrize(
    "data",
    [[1, 2], "CUST#cust-alice", 42, None, True],
    ids=["list", "string", "number", "null", "bool"],
)
def test_json_that_is_not_an_object_is_refused(data):
    # Given base64 of JSON that is not an object, when decoded, then BadCursor
    with pytest.raises(BadCursor):
        decode_for_alice(forge(data))


FLAT = {name: value["S"] for name, value in LAST_KEY.items()}


@pytest.mark.parametrize(
    "data",
    [
        {k: v for k, v in FLAT.items() if k != "gsi1sk"},
        {**FLAT, "extra": "x"},
        {"pk": FLAT["pk"], "sk": FLAT["sk"]},
        {},
    ],
    ids=["missing-key", "extra-key", "table-keys-only", "empty-object"],
)
def test_a_cursor_with_the_wrong_set_of_keys_is_refused(data):
    # Given a cursor whose key names are not the listing's, when decoded, then BadCursor
    with pytest.raises(BadCursor):
        decode_for_alice(forge(data))


@pytest.mark.parametrize(
    "value",
    [1, None, "", ["x"], {"S": "x"}],
    ids=["number", "null", "empty-string", "list", "attribute-value"],
)
def test_a_cursor_with_a_key_that_is_not_a_non_empty_string_is_refused(value):
    # Given a cursor whose sort key is not a plain non-empty string, when decoded, then BadCursor
    with pytest.raises(BadCursor):
        decode_for_alice(forge({**FLAT, "gsi1sk": value}))


def test_a_timeline_cursor_is_refused_on_a_customer_listing():
    # Given a cursor issued for a ticket's timeline (pk, sk), when brought to a customer listing, then BadCursor
    timeline_cursor = cursor.encode({"pk": {"S": "TICKET#TK-7Q2M9XKD"}, "sk": {"S": "TL#0000000001-00"}})
    with pytest.raises(BadCursor):
        decode_for_alice(timeline_cursor)
