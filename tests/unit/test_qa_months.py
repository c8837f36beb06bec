"""The desk's months QA counts by (kefu.qa.months), on a desk in UTC (no deployment document)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.errors import BadRequest
from kefu.qa.months import desk_month, month_before, month_bounds


def test_a_run_on_new_years_day_samples_december_of_the_year_before():
    assert month_before(datetime(2027, 1, 1, 3, tzinfo=UTC)) == "2026-12"
    assert desk_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-12"


def test_a_months_bounds_are_its_first_and_last_instants():
    first, last = month_bounds("2028-02")

    assert first == datetime(2028, 2, 1, tzinfo=UTC)
    assert (last.date().isoformat(), last.hour, last.minute, last.second) == ("2028-02-29", 23, 59, 59)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "0000-01", "november", "2026-1x"])
def test_anything_but_a_real_month_is_a_bad_request(month):
    with pytest.raises(BadRequest):
        month_bounds(month)
