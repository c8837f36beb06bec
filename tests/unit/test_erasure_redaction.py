"""What an erasure keeps of a timeline entry's data: the facts the KPIs count, never a person's data."""

from __future__ import annotations

from kefu.store.erasure import ERASED, redacted_data


def test_statuses_groups_levels_and_numbers_stay():
    data = {"from": "resolved", "to": "open", "group": "l1", "fromGroup": "complaints", "level": 2, "automatic": True}
    assert redacted_data(data) == data


def test_a_senders_address_under_a_structural_key_is_erased():
    data = {"channel": "email", "from": "carol.li@example.com", "sesMessageId": "abc123"}
    assert redacted_data(data) == {"channel": "email", "from": ERASED, "sesMessageId": ERASED}


def test_handle_time_in_nested_metadata_stays_and_text_there_goes():
    data = {"metadata": {"handleSeconds": 240, "callerName": "Carol", "phone": "+8613800138000"}}
    assert redacted_data(data) == {"metadata": {"handleSeconds": 240, "callerName": ERASED, "phone": ERASED}}


def test_a_name_with_a_space_or_in_chinese_is_never_a_code():
    assert redacted_data({"reason": "Carol Li", "status": "李娜"}) == {"reason": ERASED, "status": ERASED}


def test_lists_are_redacted_item_by_item():
    assert redacted_data({"changes": ["priority", "Carol Li"]}) == {"changes": [ERASED, ERASED]}
