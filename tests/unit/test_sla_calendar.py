"""Business time on calendars: due times and elapsed business time, hand-checked, then invariants.

Calendars used (dates in 2026 unless written): Shanghai works Mon-Fri 09:00-12:00 and 13:30-18:00 (7.5 h a
day, UTC+8 all year); New York works every day 09:00-18:00, or every night 00:00-06:00; Berlin works Mon-Fri
09:00-17:00. 2026-03-02 is a Monday. DST: New York springs forward on Sun 03-08 (02:00 EST -> 03:00 EDT) and
falls back on Sun 11-01 (02:00 EDT -> 01:00 EST); Berlin on Sun 03-29 and Sun 10-25.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kefu.sla.calendar import ALWAYS_OPEN, BusinessCalendar, add_business_time, business_time_between, is_open

WORKDAY = ["09:00-12:00", "13:30-18:00"]
SHANGHAI = BusinessCalendar.model_validate(
    {
        "time_zone": "Asia/Shanghai",
        "hours": {"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY},
        "holidays": [
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            *(f"2026-02-{day}" for day in range(15, 24)),
            *(f"2026-05-0{day}" for day in range(1, 6)),
        ],
        # 调休: a Sunday and a Saturday worked in exchange for bridge days.
        "working_days": {"2026-01-04": WORKDAY, "2026-02-14": WORKDAY},
    }
)


def every_day(*shifts: str, days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) -> dict:
    return {day: list(shifts) for day in days}


NEW_YORK_DAYS = BusinessCalendar.model_validate({"time_zone": "America/New_York", "hours": every_day("09:00-18:00")})
NEW_YORK_NIGHTS = BusinessCalendar.model_validate({"time_zone": "America/New_York", "hours": every_day("00:00-06:00")})
# A shift boundary inside each DST change: 01:30 happens twice in autumn, 02:30 never happens in spring.
NEW_YORK_SMALL_HOURS = BusinessCalendar.model_validate(
    {"time_zone": "America/New_York", "hours": every_day("01:30-02:30", "04:00-05:00")}
)
BERLIN = BusinessCalendar.model_validate(
    {"time_zone": "Europe/Berlin", "hours": every_day("09:00-17:00", days=("mon", "tue", "wed", "thu", "fri"))}
)


def local(text: str, calendar: BusinessCalendar = SHANGHAI) -> datetime:
    """A wall-clock time of the calendar's zone, e.g. '2026-03-02 10:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(calendar.time_zone))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(amount: float) -> timedelta:
    return timedelta(hours=amount)


def at(text: str, calendar: BusinessCalendar) -> datetime:
    """'2026-03-02 10:00Z' in UTC, '2026-03-02 10:00' on the calendar's wall clock."""
    return utc(text[:-1]) if text.endswith("Z") else local(text, calendar)


SH, NY_DAYS, NY_NIGHTS, NY_SMALL = SHANGHAI, NEW_YORK_DAYS, NEW_YORK_NIGHTS, NEW_YORK_SMALL_HOURS
BER, ALWAYS = BERLIN, ALWAYS_OPEN

# (id, calendar, start, business time, expected due time); the arithmetic above each.
DUE_TIMES = [
    # Shanghai: shifts, lunch, nights, weekends.
    # 10:00 + 1h inside 09:00-12:00
    ("inside-a-morning-shift", SH, "2026-03-02 10:00", hours(1), "2026-03-02 11:00"),
    # 11:00-12:00 = 1h; 13:30 + 1h = 14:30
    ("across-the-lunch-break", SH, "2026-03-02 11:00", hours(2), "2026-03-02 14:30"),
    # counting starts at 13:30; + 30m
    ("start-in-the-lunch-break", SH, "2026-03-02 12:15", hours(0.5), "2026-03-02 14:00"),
    # 12:00 is closed (shifts are [start, end)); 13:30 + 1h
    ("start-exactly-when-lunch-begins", SH, "2026-03-02 12:00", hours(1), "2026-03-02 14:30"),
    # 11:59-12:00 = 1m; 13:30 + 1m
    ("a-minute-each-side-of-lunch", SH, "2026-03-02 11:59", timedelta(minutes=2), "2026-03-02 13:31"),
    # 09:00-12:00 = 3h: due at 12:00, not at 13:30
    ("ends-exactly-when-lunch-begins", SH, "2026-03-02 09:00", hours(3), "2026-03-02 12:00"),
    # 3h + 4.5h = 7.5h: due at the closing time itself
    ("from-opening-a-full-day", SH, "2026-03-02 09:00", hours(7.5), "2026-03-02 18:00"),
    # 18:00 is closed; Tue 09:00 + 1m
    ("start-exactly-at-closing", SH, "2026-03-02 18:00", timedelta(minutes=1), "2026-03-03 09:01"),
    # Mon 17:00-18:00 = 1h; Tue 09:00 + 1h
    ("over-a-night", SH, "2026-03-02 17:00", hours(2), "2026-03-03 10:00"),
    # counting starts Tue 09:00; + 1h
    ("start-at-night", SH, "2026-03-02 20:00", hours(1), "2026-03-03 10:00"),
    # 09:00-12:00 = 3h; 13:30 + 1h
    ("start-before-opening", SH, "2026-03-03 03:00", hours(4), "2026-03-03 14:30"),
    # Fri 17:30-18:00 = 30m; Sat, Sun closed; Mon 09:00 + 30m
    ("over-a-weekend", SH, "2026-03-06 17:30", hours(1), "2026-03-09 09:30"),
    # Sat: counting starts Mon 09:00; + 2h
    ("start-on-a-weekend", SH, "2026-03-07 10:00", hours(2), "2026-03-09 11:00"),
    # Mon 7.5h + Tue 7.5h = 15h at Tue 18:00; Wed 09:00 + 1h
    ("two-days-and-an-hour", SH, "2026-03-02 09:00", hours(16), "2026-03-04 10:00"),
    # Mon-Fri 5 x 7.5 = 37.5h; Mon 03-09 + 7.5 = 45h; Tue 09:00-12:00 makes 48h
    ("forty-eight-business-hours", SH, "2026-03-02 09:00", hours(48), "2026-03-10 12:00"),
    # 02:00Z is 10:00 in Shanghai; + 1h = 11:00 = 03:00Z
    ("start-given-in-utc", SH, "2026-03-02 02:00Z", hours(1), "2026-03-02 03:00Z"),
    # Shanghai: holidays and 调休.
    # Thu 17:00-18:00 = 1h; May 1-5 (Fri-Tue) closed; Wed 09:00 + 1h
    ("over-labour-day", SH, "2026-04-30 17:00", hours(2), "2026-05-06 10:00"),
    # Fri 17:00-18:00 = 1h; Sat 02-14 is worked (调休): 09:00 + 2h
    ("into-a-working-saturday", SH, "2026-02-13 17:00", hours(3), "2026-02-14 11:00"),
    # Sat 02-14 09:00-12:00 = 3h; 13:30 + 1h
    ("after-hours-before-a-working-saturday", SH, "2026-02-13 18:30", hours(4), "2026-02-14 14:30"),
    # Sat 02-14 17:00-18:00 = 1h; 02-15..23 closed; Tue 02-24 09:00 + 1h
    ("over-the-spring-festival", SH, "2026-02-14 17:00", hours(2), "2026-02-24 10:00"),
    # Wed 17:00-18:00 = 1h; Jan 1-3 closed; Sun 01-04 is worked (调休): 09:00 + 1h
    ("over-the-year-end", SH, "2025-12-31 17:00", hours(2), "2026-01-04 10:00"),
    # Always open: Fri 09:30Z + 48h = Sun 09:30Z, night and weekend included.
    ("24x7-counts-wall-clock-hours", ALWAYS, "2026-03-06 09:30Z", hours(48), "2026-03-08 09:30Z"),
    # New York, every day 09:00-18:00: the DST change day still has 9 hours.
    # Sun 09:00 EDT = 13:00Z; 18:00 EDT = 22:00Z: 9 real hours
    ("nine-hours-on-the-spring-forward-day", NY_DAYS, "2026-03-08 13:00Z", hours(9), "2026-03-08 22:00Z"),
    # Sat 17:00-18:00 EST = 22:00-23:00Z: 1h; Sun 09:00 EDT = 13:00Z, + 1h
    ("across-the-spring-forward-night", NY_DAYS, "2026-03-07 22:00Z", hours(2), "2026-03-08 14:00Z"),
    # Sat 17:00-18:00 EDT = 21:00-22:00Z: 1h; Sun 09:00 EST = 14:00Z, + 1h
    ("across-the-fall-back-night", NY_DAYS, "2026-10-31 21:00Z", hours(2), "2026-11-01 15:00Z"),
    # Sun 09:00 EST = 14:00Z; 18:00 EST = 23:00Z
    ("nine-hours-on-the-fall-back-day", NY_DAYS, "2026-11-01 14:00Z", hours(9), "2026-11-01 23:00Z"),
    # New York, every night 00:00-06:00: the skipped hour is not worked, the repeated hour is worked twice.
    # Sun 00:00 EST = 05:00Z to 06:00 EDT = 10:00Z: 5h; Mon 00:00 EDT = 04:00Z, + 1h
    ("the-skipped-hour-is-not-worked", NY_NIGHTS, "2026-03-08 05:00Z", hours(6), "2026-03-09 05:00Z"),
    # Sun 00:00 EDT = 04:00Z to 06:00 EST = 11:00Z: one shift of 7 real hours
    ("the-repeated-hour-is-worked-twice", NY_NIGHTS, "2026-11-01 04:00Z", hours(7), "2026-11-01 11:00Z"),
    # 04:00Z + 6h = 10:00Z = 05:00 EST, still inside the shift
    ("inside-the-fall-back-night", NY_NIGHTS, "2026-11-01 04:00Z", hours(6), "2026-11-01 10:00Z"),
    # Berlin, Mon-Fri 09:00-17:00: weekends that change the offset.
    # Fri 16:00-17:00 CET = 15:00-16:00Z: 1h; Mon 09:00 CEST = 07:00Z, + 1h
    ("across-the-spring-forward-weekend", BER, "2026-03-27 15:00Z", hours(2), "2026-03-30 08:00Z"),
    # Fri 16:00-17:00 CEST = 14:00-15:00Z: 1h; Mon 09:00 CET = 08:00Z, + 1h
    ("across-the-fall-back-weekend", BER, "2026-10-23 14:00Z", hours(2), "2026-10-26 09:00Z"),
]


@pytest.mark.parametrize("case", DUE_TIMES, ids=lambda case: case[0])
def test_the_due_time_is_the_moment_the_business_time_has_passed(case):
    _, calendar, start, duration, expected = case

    due = add_business_time(at(start, calendar), duration, calendar)

    assert due == at(expected, calendar)
    assert due.tzinfo is UTC


# (id, calendar, from, to, business time between); the arithmetic above each.
ELAPSED = [
    # 10:00-11:30
    ("within-a-shift", SH, "2026-03-02 10:00", "2026-03-02 11:30", hours(1.5)),
    # 11:00-12:00 + 13:30-14:00
    ("across-lunch", SH, "2026-03-02 11:00", "2026-03-02 14:00", hours(1.5)),
    # 3h + 4.5h
    ("a-whole-weekday", SH, "2026-03-02 00:00", "2026-03-03 00:00", hours(7.5)),
    # Fri 17:00-18:00 + Mon 09:00-10:00
    ("over-a-weekend", SH, "2026-03-06 17:00", "2026-03-09 10:00", hours(2)),
    # Thu 04-30 7.5h; May 1-5 closed; Wed 05-06 7.5h
    ("a-holiday-week", SH, "2026-04-30 00:00", "2026-05-07 00:00", hours(15)),
    # Fri 13:30-18:00 4.5h + Sat 02-14 (调休) 7.5h + Tue 02-24 09:00-12:00 3h
    ("over-the-spring-festival", SH, "2026-02-13 12:00", "2026-02-24 12:00", hours(15)),
    # the same span as within-a-shift, read from its end
    ("backwards-is-negative", SH, "2026-03-02 11:30", "2026-03-02 10:00", -hours(1.5)),
    # Fri 18:00 to Mon 09:00 = 6h + 48h + 9h
    ("24x7-over-a-weekend", ALWAYS, "2026-03-06 18:00Z", "2026-03-09 09:00Z", hours(63)),
    # Sun 00:00 EST (05:00Z) to Mon 00:00 EDT (04:00Z): the shift is 05:00-10:00Z
    ("a-spring-forward-night-shift", NY_NIGHTS, "2026-03-08 05:00Z", "2026-03-09 04:00Z", hours(5)),
    # Sun 00:00 EDT (04:00Z) to Mon 00:00 EST (05:00Z): the shift is 04:00-11:00Z
    ("a-fall-back-night-shift", NY_NIGHTS, "2026-11-01 04:00Z", "2026-11-02 05:00Z", hours(7)),
    # 09:00-18:00 EDT = 13:00-22:00Z
    ("a-spring-forward-day-shift", NY_DAYS, "2026-03-08 05:00Z", "2026-03-09 04:00Z", hours(9)),
    # Mon-Fri 5 x 8h; the change on Sun 03-29 falls outside hours
    ("a-working-week-across-dst", BER, "2026-03-23 00:00", "2026-03-30 00:00", hours(40)),
    # Sun 03-08: 01:30 EST = 06:30Z to 02:30, which does not exist and reads as 03:30 EDT = 07:30Z (as java.time
    # reads it): 1h; 04:00-05:00 EDT = 08:00-09:00Z: 1h
    ("a-shift-ending-in-the-skipped-hour", NY_SMALL, "2026-03-08 05:00Z", "2026-03-09 04:00Z", hours(2)),
    # Sun 11-01: 01:30 happens twice and means the first, 01:30 EDT = 05:30Z, to 02:30 EST = 07:30Z: 2h;
    # 04:00-05:00 EST = 09:00-10:00Z: 1h
    ("a-shift-opening-in-the-repeated-hour", NY_SMALL, "2026-11-01 04:00Z", "2026-11-02 05:00Z", hours(3)),
]


@pytest.mark.parametrize("case", ELAPSED, ids=lambda case: case[0])
def test_the_business_time_between_two_moments_counts_only_working_hours(case):
    _, calendar, a, b, expected = case

    assert business_time_between(at(a, calendar), at(b, calendar), calendar) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local("2026-03-02 09:00"), True),  # the opening instant is open
        (local("2026-03-02 11:59"), True),
        (local("2026-03-02 12:00"), False),  # the closing instant is closed
        (local("2026-03-02 13:29"), False),
        (local("2026-03-07 10:00"), False),  # a Saturday
        (local("2026-02-14 10:00"), True),  # the 调休 Saturday
        (local("2026-05-04 10:00"), False),  # a Monday in the Labour Day holiday
    ],
)
def test_a_calendar_is_open_inside_its_shifts_only(moment, expected):
    assert is_open(moment, SHANGHAI) is expected


def test_a_zero_duration_is_due_at_the_start_even_outside_hours():
    saturday = local("2026-03-07 10:00")

    assert add_business_time(saturday, timedelta(0), SHANGHAI) == saturday


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        add_business_time(local("2026-03-02 10:00"), -hours(1), SHANGHAI)


def test_a_moment_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        add_business_time(datetime(2026, 3, 2, 10), hours(1), SHANGHAI)


def test_a_calendar_without_working_time_built_unchecked_is_refused_rather_than_counted_forever():
    unchecked = BusinessCalendar.model_construct(
        time_zone="UTC", hours=SHANGHAI.hours.model_construct(), holidays=[], working_days={}, always_open=False
    )

    with pytest.raises(ValueError, match="no working time"):
        add_business_time(utc("2026-03-02 10:00"), hours(1), unchecked)


def test_since_keeps_only_the_dates_a_ticket_can_still_meet():
    trimmed = SHANGHAI.since(local("2026-02-14 00:00").date())

    assert trimmed.holidays[0].isoformat() == "2026-02-15"
    assert [day.isoformat() for day in trimmed.working_days] == ["2026-02-14"]
    assert trimmed.hours == SHANGHAI.hours


def test_since_is_kept_per_calendar_and_day_and_never_answers_for_another():
    # Given a calendar trimmed to one day (kept: every ticket opened that day starts its clock from it),
    feb_14 = local("2026-02-14 00:00").date()
    kept = SHANGHAI.since(feb_14)
    # when it is asked again for that day, for another day, and a calendar with other holidays for that day,
    again, later = SHANGHAI.since(feb_14), SHANGHAI.since(local("2026-02-20 00:00").date())
    changed = BusinessCalendar.model_validate({**SHANGHAI.model_dump(), "holidays": ["2026-02-16"]}).since(feb_14)

    # then the same day gives the kept calendar, and neither the other day nor the other calendar gets it.
    assert again is kept
    assert [d.isoformat() for d in later.holidays][:2] == ["2026-02-20", "2026-02-21"] and not later.working_days
    assert [d.isoformat() for d in changed.holidays] == ["2026-02-16"]
    assert kept.holidays[0].isoformat() == "2026-02-15"


def test_since_keeps_a_few_days_only():
    # Given a calendar trimmed to more days than it keeps,
    calendar = BusinessCalendar.model_validate(SHANGHAI.model_dump())
    first = calendar.since(local("2026-01-01 00:00").date())
    for day in range(2, 20):
        calendar.since(local(f"2026-01-{day:02d} 00:00").date())

    # when the first day is asked for again, then it is trimmed afresh, as it was.
    again = calendar.since(local("2026-01-01 00:00").date())
    assert again is not first and again == first


# Validation: a calendar that cannot be counted is refused, naming the key.


def errors_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        BusinessCalendar.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in raised.value.errors()]


def test_overlapping_shifts_are_refused_naming_the_day():
    assert errors_of({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}) == [
        ("hours.mon", "Value error, shifts 09:00-12:00 and 11:00-13:00 overlap")
    ]


def test_shifts_may_be_given_in_any_order_and_touch():
    calendar = BusinessCalendar.model_validate({"hours": {"mon": ["13:00-18:00", "09:00-13:00"]}})

    assert [str(shift) for shift in calendar.hours.mon] == ["09:00-13:00", "13:00-18:00"]
    assert business_time_between(utc("2026-03-02 00:00"), utc("2026-03-03 00:00"), calendar) == hours(9)


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        ("9-12", "write a shift as 'HH:MM-HH:MM'"),
        ("09:00-25:00", "not a time of day"),
        ("09:60-12:00", "not a time of day"),
        ("18:00-09:00", "a shift must end after it starts"),
        ("09:00-09:00", "a shift must end after it starts"),
    ],
)
def test_a_malformed_shift_is_refused_naming_the_day(shift, message):
    [(key, error)] = errors_of({"hours": {"tue": [shift]}})

    assert key == "hours.tue.0"
    assert message in error


def test_a_shift_may_end_at_midnight():
    calendar = BusinessCalendar.model_validate({"hours": {"fri": ["22:00-24:00"]}, "time_zone": "Asia/Shanghai"})

    assert add_business_time(local("2026-03-06 22:00"), hours(2), calendar) == local("2026-03-07 00:00")


def test_a_calendar_without_any_weekly_hours_is_refused():
    [(key, error)] = errors_of({"time_zone": "Asia/Shanghai", "working_days": {"2026-02-14": WORKDAY}})

    assert key == ""
    assert "no working hours" in error


def test_an_unknown_time_zone_is_refused():
    [(key, error)] = errors_of({"time_zone": "Asia/Beijing", "hours": {"mon": WORKDAY}})

    assert key == "time_zone"
    assert "'Asia/Beijing' is not an IANA time zone" in error


def test_a_date_both_holiday_and_working_day_is_refused():
    [(_, error)] = errors_of(
        {"hours": {"mon": WORKDAY}, "holidays": ["2026-02-14"], "working_days": {"2026-02-14": WORKDAY}}
    )

    assert "both a holiday and a working day: 2026-02-14" in error


def test_an_always_open_calendar_takes_no_hours():
    [(_, error)] = errors_of({"always_open": True, "hours": {"mon": WORKDAY}})

    assert "always_open calendar takes no" in error


def test_a_calendar_reads_back_what_it_writes():
    assert BusinessCalendar.model_validate(SHANGHAI.model_dump(mode="json")) == SHANGHAI


# Invariants, over all four calendars and two years of instants.

CALENDARS = st.sampled_from([SHANGHAI, NEW_YORK_DAYS, NEW_YORK_NIGHTS, NEW_YORK_SMALL_HOURS, BERLIN, ALWAYS_OPEN])
MOMENTS = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=hours(120))
POSITIVE = st.timedeltas(min_value=timedelta(microseconds=1), max_value=hours(120))
JUST_BEFORE = timedelta(microseconds=1)


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, d1=DURATIONS, d2=DURATIONS)
def test_a_longer_duration_is_never_due_earlier(calendar, start, d1, d2):
    shorter, longer = sorted((d1, d2))

    assert add_business_time(start, shorter, calendar) <= add_business_time(start, longer, calendar)


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, duration=DURATIONS)
def test_the_business_time_up_to_a_due_time_is_the_duration(calendar, start, duration):
    # Holds from any start: time before the next opening counts nothing.
    assert business_time_between(start, add_business_time(start, duration, calendar), calendar) == duration


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, duration=POSITIVE)
def test_a_due_time_is_never_in_closed_hours_and_is_the_earliest_such_moment(calendar, start, duration):
    due = add_business_time(start, duration, calendar)

    # Inside a shift or exactly at its end: the moment just before is business time...
    assert is_open(due - JUST_BEFORE, calendar)
    # ...and not all of the duration had passed then.
    assert business_time_between(start, due - JUST_BEFORE, calendar) < duration


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS)
def test_a_zero_duration_is_due_at_the_start(calendar, start):
    assert add_business_time(start, timedelta(0), calendar) == start


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, d1=DURATIONS, d2=DURATIONS)
def test_adding_business_time_in_two_steps_is_adding_it_at_once(calendar, start, d1, d2):
    in_steps = add_business_time(add_business_time(start, d1, calendar), d2, calendar)

    assert in_steps == add_business_time(start, d1 + d2, calendar)


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, a=MOMENTS, b=MOMENTS, c=MOMENTS)
def test_business_time_adds_up_across_any_three_moments(calendar, a, b, c):
    assert business_time_between(a, b, calendar) + business_time_between(b, c, calendar) == business_time_between(
        a, c, calendar
    )


@settings(max_examples=60, deadline=None)
@given(calendar=CALENDARS, a=MOMENTS, b=MOMENTS)
def test_business_time_is_at_most_the_wall_clock_time(calendar, a, b):
    a, b = sorted((a, b))

    assert timedelta(0) <= business_time_between(a, b, calendar) <= b - a


# What a calendar is kept and hashed as, and the calendars made without validation (kefu.sla.calendar: the models'
# schemas are not built on an opening's path).

SHIFT_TEXTS = st.sampled_from(["09:00-12:00", "13:30-18:00", "00:00-24:00", "22:00-24:00", "08:15-08:45"])
DATES = st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2027, 12, 31).date())


@st.composite
def any_calendar(draw) -> BusinessCalendar:
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.sampled_from([ALWAYS_OPEN, BusinessCalendar(always_open=True)]))
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    hours = {day: [draw(SHIFT_TEXTS)] for day in draw(st.sets(st.sampled_from(days), min_size=1))}
    dates = draw(st.lists(DATES, max_size=6, unique=True))
    split = draw(st.integers(min_value=0, max_value=len(dates)))
    data = {
        "time_zone": draw(st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"])),
        "hours": hours,
        "holidays": [day.isoformat() for day in dates[:split]],
        "working_days": {day.isoformat(): ["09:00-12:00", "13:00-17:00"] for day in dates[split:]},
    }
    return BusinessCalendar.model_validate(data)


def validated_since(calendar: BusinessCalendar, day) -> BusinessCalendar:
    """`since` as it was made before: the calendar dumped, trimmed and validated anew."""
    data = calendar.model_dump()
    data["holidays"] = [d for d in calendar.holidays if d >= day]
    data["working_days"] = {d: shifts for d, shifts in data["working_days"].items() if d >= day}
    return BusinessCalendar.model_validate(data)


@settings(max_examples=80, deadline=None)
@given(calendar=st.one_of(CALENDARS, any_calendar()), day=DATES)
def test_a_calendars_content_is_its_json_dump_without_defaults_and_since_is_what_validating_gives(calendar, day):
    assert calendar.content() == calendar.model_dump(mode="json", exclude_defaults=True)
    trimmed, expected = calendar.since(day), validated_since(calendar, day)
    assert trimmed == expected and trimmed.model_fields_set == expected.model_fields_set
    assert trimmed.content() == expected.model_dump(mode="json", exclude_defaults=True)
    assert trimmed.version == expected.version
    assert BusinessCalendar.model_validate(trimmed.content()) == trimmed


def test_the_24_7_calendar_is_what_validating_it_gives_and_keeps_its_version():
    validated = BusinessCalendar(always_open=True)
    assert validated == ALWAYS_OPEN and validated.hours == ALWAYS_OPEN.hours
    assert ALWAYS_OPEN.model_fields_set == validated.model_fields_set
    assert ALWAYS_OPEN.content() == {"always_open": True}
    assert ALWAYS_OPEN.version == validated.version


def test_a_calendars_version_is_the_hash_of_its_json_dump_as_before():
    import hashlib
    import json

    for calendar in (SHANGHAI, NEW_YORK_DAYS, NEW_YORK_NIGHTS, BERLIN, ALWAYS_OPEN):
        dumped = json.dumps(
            calendar.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":")
        )
        assert calendar.version == hashlib.sha256(dumped.encode()).hexdigest()[:16]
