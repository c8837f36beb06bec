"""Every stored moment goes through one attribute type: tz-aware in, the same ISO 8601 UTC text items always held,
tz-aware UTC out, so items written before the type existed read unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kefu.store.attributes import UtcDateTimeAttribute, as_stored
from kefu.store.models import CustomerItem

SHANGHAI = timezone(timedelta(hours=8))


def test_a_moment_is_stored_as_utc_text_with_milliseconds_and_a_z():
    attribute = UtcDateTimeAttribute(attr_name="createdAt")

    stored = attribute.serialize(datetime(2026, 11, 24, 11, 30, 5, 123456, tzinfo=SHANGHAI))

    assert stored == "2026-11-24T03:30:05.123Z"


def test_text_stored_before_the_type_existed_reads_as_an_aware_utc_moment():
    attribute = UtcDateTimeAttribute(attr_name="createdAt")

    read = attribute.deserialize("2026-11-24T03:30:05.123Z")

    assert read == datetime(2026, 11, 24, 3, 30, 5, 123000, tzinfo=UTC)
    assert read.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [datetime(2026, 11, 24, 3, 30), "2026-11-24T03:30:05.123Z", None])
def test_a_naive_moment_or_text_is_refused(value):
    with pytest.raises(ValueError, match="timezone-aware datetime"):
        UtcDateTimeAttribute(attr_name="createdAt").serialize(value)


def test_a_moment_reads_back_as_stored():
    moment = datetime(2026, 11, 24, 11, 30, 5, 123999, tzinfo=SHANGHAI)

    assert as_stored(moment) == UtcDateTimeAttribute().deserialize(UtcDateTimeAttribute().serialize(moment))


def test_a_condition_on_a_stored_moment_compares_the_same_text():
    condition = CustomerItem.last_revisited_at < datetime(2026, 11, 24, 11, 30, tzinfo=SHANGHAI)
    values: dict = {}

    condition.serialize({}, values)

    assert list(values.values()) == [{"S": "2026-11-24T03:30:00.000Z"}]
