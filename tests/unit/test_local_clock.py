"""The domain's clock, real in AWS and N times faster in the local stack (KEFU_TIME_SCALE, KEFU_TIME_ORIGIN)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kefu import clock


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    monkeypatch.delenv("KEFU_TIME_SCALE", raising=False)
    monkeypatch.delenv("KEFU_TIME_ORIGIN", raising=False)
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def real_time(monkeypatch):
    """time.time() held at a known instant, 1000 s after the origin used below."""
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(clock.time, "time", lambda: now["t"])
    return now


def scaled(monkeypatch, scale: str, origin: float = 1_799_999_000.0) -> None:
    monkeypatch.setenv("KEFU_TIME_SCALE", scale)
    monkeypatch.setenv("KEFU_TIME_ORIGIN", repr(origin))


def test_without_a_time_scale_now_is_the_real_utc_time_at_the_millisecond():
    before = datetime.now(UTC)
    moment = clock.now()
    after = datetime.now(UTC)

    assert moment.tzinfo is UTC
    assert moment.microsecond % 1000 == 0
    assert before - timedelta(milliseconds=1) <= moment <= after
    assert clock.scale() == 1


def test_with_a_time_scale_the_time_since_the_origin_passes_n_times_faster(monkeypatch, real_time):
    scaled(monkeypatch, "3600")

    moment = clock.now()

    # 1000 real seconds after the origin are 1000 virtual hours after it.
    assert moment == datetime.fromtimestamp(1_799_999_000.0, UTC) + timedelta(hours=1000)
    assert clock.epoch_seconds() == 1_799_999_000.0 + 1000 * 3600


def test_the_virtual_clock_keeps_the_millisecond_precision_and_the_iso_form(monkeypatch, real_time):
    scaled(monkeypatch, "10")
    real_time["t"] = 1_799_999_000.0 + 0.0123456  # 0.123456 virtual seconds after the origin

    moment = clock.now()

    assert moment.microsecond == 123_000
    assert clock.iso(moment).endswith(".123Z")


def test_a_virtual_duration_lasts_its_length_divided_by_the_scale(monkeypatch):
    scaled(monkeypatch, "3600")

    assert clock.real_seconds(3600) == 1
    assert clock.real_seconds(48 * 3600) == 48


def test_a_time_scale_without_an_origin_is_real_time(monkeypatch, real_time):
    monkeypatch.setenv("KEFU_TIME_SCALE", "3600")

    assert clock.epoch_seconds() == real_time["t"]
    assert clock.scale() == 1


def test_a_new_scale_or_origin_is_read_without_a_reset(monkeypatch, real_time):
    scaled(monkeypatch, "2")
    assert clock.epoch_seconds() == 1_799_999_000.0 + 2000

    scaled(monkeypatch, "3", origin=1_799_999_500.0)
    assert clock.epoch_seconds() == 1_799_999_500.0 + 1500

    monkeypatch.delenv("KEFU_TIME_SCALE")
    assert clock.epoch_seconds() == real_time["t"]


@pytest.mark.parametrize("raw", ["fast", "0.5", "-2", "nan"])
def test_a_time_scale_that_is_not_a_number_of_at_least_one_is_refused(monkeypatch, raw):
    scaled(monkeypatch, raw)

    with pytest.raises(ValueError, match="KEFU_TIME_SCALE"):
        clock.now()


def test_the_time_scale_is_read_once_until_the_clock_is_reset(monkeypatch, real_time):
    scaled(monkeypatch, "2")
    assert clock.epoch_seconds() == 1_799_999_000.0 + 2000

    # Changed behind kefu's back (not through monkeypatch.setenv, which makes the settings be read again)
    monkeypatch.setitem(os.environ, "KEFU_TIME_SCALE", "3")
    assert clock.epoch_seconds() == 1_799_999_000.0 + 2000

    clock.reset()
    assert clock.epoch_seconds() == 1_799_999_000.0 + 3000


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), "2026-03-02T10:00:00.000Z"),
        (datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC), "2026-03-02T01:02:03.456Z"),
        (datetime(2026, 3, 2, 8, 0, 0, 999999, tzinfo=timezone(timedelta(hours=8))), "2026-03-02T00:00:00.999Z"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))), "2026-01-01T05:30:00.000Z"),
    ],
)
def test_iso_is_utc_at_the_millisecond_with_a_z_whatever_the_zone(moment, text):
    assert clock.iso(moment) == text


def test_iso_sorts_as_text_in_time_order():
    start = datetime(2026, 12, 31, 23, 59, 59, 998000, tzinfo=UTC)
    moments = [start + timedelta(milliseconds=n) for n in range(4)]

    assert sorted(clock.iso(m) for m in reversed(moments)) == [clock.iso(m) for m in moments]


def _iso_as_computed(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def test_iso_gives_each_moment_its_own_text_when_asked_again_and_after_many_others():
    # iso keeps the text of UTC moments it wrote: asked again, or after more moments than it keeps, the same text
    from zoneinfo import ZoneInfo

    base = datetime(2026, 12, 5, 10, 0, 0, 123456, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")
    moments = [
        base,
        base.replace(microsecond=123000),
        base + timedelta(milliseconds=1),
        base.astimezone(timezone(timedelta(hours=8))),  # the same instant as `base`, in another zone
        datetime(2026, 11, 1, 1, 30, tzinfo=new_york),  # the hour lived twice: equal moments, two instants
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=new_york),
    ]
    many = [base + timedelta(seconds=n) for n in range(clock._ISO_KEPT + 10)]
    for _ in range(2):
        for moment in [*moments, *many, *moments]:
            assert clock.iso(moment) == _iso_as_computed(moment)
    assert clock.iso(moments[4]) != clock.iso(moments[5])
    assert clock.iso(base) == "2026-12-05T10:00:00.123Z" == clock.iso(moments[3])
