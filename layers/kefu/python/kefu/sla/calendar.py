"""Business calendars, and business time counted on them.

A calendar says when a support team works: a time zone, the hours of each weekday (split shifts allowed),
holidays, and dates with their own hours (调休: a Saturday made a working day). Business time is counted in
real time: each local opening and closing is turned into a UTC instant, so a local 09:00-18:00 is 9 real hours
even on a DST change day, and an all-day shift is 23 or 25 hours then. A local time that does not exist (the
spring-forward gap) is read as java.time reads it, moved later by the gap (02:30 -> 03:30); a local time that
happens twice (fall-back) means its first occurrence.

All instants in and out are timezone-aware; results are in UTC.
"""

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, partial
from itertools import pairwise
from typing import Annotated, Any, NamedTuple, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import CoreSchema, core_schema

from kefu.memo import remembered
from kefu.model.defaults import empty_list

_DAY_MINUTES = 24 * 60
_SHIFT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Days of `BusinessCalendar.since` kept per calendar (a warm function sees today's and yesterday's, in every zone).
_SINCE_KEPT = 8
#: Days of open spans kept per calendar (`_spans_on`): a due time a few days out walks a week or two of them.
_SPANS_KEPT = 64


class Shift(NamedTuple):
    """Local working hours [start, end) of one day, in minutes after midnight; `end` may be 1440 ("24:00")."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> CoreSchema:
        """A shift in a model: read from its text ('09:00-12:00') or taken as a Shift, written as its text.

        Written out as pydantic-core's schema rather than `Annotated[Shift, BeforeValidator(_parse_shift),
        PlainSerializer(str)]`: that had pydantic build the named tuple's own schema behind the validator in each of
        the eight places a calendar holds shifts (its weekdays and working days), to check again the two ints
        `_parse_shift` had just made, inspect both functions' signatures each time, and import
        pydantic.functional_serializers for it: importing this module cost ~14 M instructions more (callgrind)."""
        return core_schema.no_info_plain_validator_function(
            _parse_shift,
            serialization=core_schema.plain_serializer_function_ser_schema(str, return_schema=core_schema.str_schema()),
        )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_shift(value: object) -> Shift:
    if isinstance(value, Shift):
        return value
    if not isinstance(value, str) or not (found := _SHIFT.match(value.strip())):
        raise ValueError(f"{value!r}: write a shift as 'HH:MM-HH:MM', e.g. '09:00-12:00'")
    start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"{value!r}: not a time of day (00:00 to 24:00)")
    shift = Shift(start_h * 60 + start_m, end_h * 60 + end_m)
    if shift.end <= shift.start:
        raise ValueError(
            f"{value!r}: a shift must end after it starts (a night shift is two: '22:00-24:00' and '00:00-06:00')"
        )
    return shift


def _without_overlap(shifts: list[Shift]) -> list[Shift]:
    ordered = sorted(shifts)
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            raise ValueError(f"shifts {earlier} and {later} overlap")
    return ordered


#: The shifts of one day, in any order; they are kept sorted and may touch but not overlap.
Shifts = Annotated[list[Shift], AfterValidator(_without_overlap)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class WeeklyHours(_Strict):
    """The shifts of each weekday; a day left out is closed."""

    mon: Shifts = Field(default_factory=empty_list)
    tue: Shifts = Field(default_factory=empty_list)
    wed: Shifts = Field(default_factory=empty_list)
    thu: Shifts = Field(default_factory=empty_list)
    fri: Shifts = Field(default_factory=empty_list)
    sat: Shifts = Field(default_factory=empty_list)
    sun: Shifts = Field(default_factory=empty_list)

    def on(self, weekday: int) -> list[Shift]:
        """The shifts of a weekday, Monday being 0 as in `date.weekday()`."""
        return getattr(self, _WEEKDAYS[weekday])


def _time_zone(key: str) -> str:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{key!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)") from None
    return key


class BusinessCalendar(_Strict):
    """When a team works. `always_open` is the 24/7 calendar: every instant is business time."""

    time_zone: Annotated[str, AfterValidator(_time_zone)] = "UTC"
    hours: WeeklyHours = Field(default_factory=WeeklyHours)
    #: Dates closed all day.
    holidays: list[date] = Field(default_factory=empty_list)
    #: Dates with their own hours instead of their weekday's: 调休 make-up working days, shortened days.
    working_days: dict[date, Annotated[Shifts, Field(min_length=1)]] = Field(default_factory=dict)
    always_open: bool = False

    @model_validator(mode="after")
    def _has_working_time(self) -> Self:
        if self.always_open:
            if self.hours != WeeklyHours() or self.holidays or self.working_days or self.time_zone != "UTC":
                raise ValueError("an always_open calendar takes no time_zone, hours, holidays or working_days")
            return self
        # At least one weekly shift: holidays are finitely many, so some working time always lies ahead and
        # every count below ends.
        if not any(self.hours.on(weekday) for weekday in range(7)):
            raise ValueError("no working hours: give shifts for at least one weekday, or always_open: true")
        both = sorted(set(self.holidays) & set(self.working_days))
        if both:
            raise ValueError(f"both a holiday and a working day: {', '.join(map(str, both))}")
        return self

    @field_validator("holidays")
    @classmethod
    def _sorted_once(cls, holidays: list[date]) -> list[date]:
        return sorted(set(holidays))

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _closed(self) -> frozenset[date]:
        return frozenset(self.holidays)

    @cached_property
    def _closed_days_at_most(self) -> int:
        # Weekdays without shifts close at most 6 days in a row; each holiday can close one more working day.
        return 7 * (len(self.holidays) + 2)

    def shifts_on(self, day: date) -> Sequence[Shift]:
        """The local shifts of a date: its own hours, none on a holiday, else its weekday's."""
        if day in self.working_days:
            return self.working_days[day]
        if day in self._closed:
            return ()
        return self.hours.on(day.weekday())

    @cached_property
    def _since(self) -> dict[date, "BusinessCalendar"]:
        return {}

    @cached_property
    def _spans(self) -> dict[date, tuple[tuple[datetime, datetime], ...]]:
        return {}

    @cached_property
    def version(self) -> str:
        """A hash of the calendar's content: the name one exact calendar is kept under, which a ticket's SLA clock
        refers to instead of carrying a copy (kefu.store.sla_terms). Equal calendars have equal versions."""
        content = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(content.encode()).hexdigest()[:16]

    def content(self) -> dict[str, Any]:
        """The calendar as JSON without the values it has by default: what it is kept as (kefu.store.sla_terms) and
        its version hashes. The dict `model_dump(mode="json", exclude_defaults=True)` gives, written out: dumping
        through pydantic built both models' schemas on the first ticket a process opened (~7 M instructions of
        intake's and inbound mail's cold start, callgrind), which nothing else of an opening needs (the deployment's
        calendars are prepared by the synth, kefu.deployment). tests/unit/test_sla_calendar.py compares the two on
        every calendar it has and on generated ones: a field added to these models must be added here."""
        data: dict[str, Any] = {}
        if self.time_zone != "UTC":
            data["time_zone"] = self.time_zone
        hours = {day: [str(shift) for shift in shifts] for day in _WEEKDAYS if (shifts := getattr(self.hours, day))}
        if hours:
            data["hours"] = hours
        if self.holidays:
            data["holidays"] = [day.isoformat() for day in self.holidays]
        if self.working_days:
            data["working_days"] = {
                day.isoformat(): [str(shift) for shift in shifts] for day, shifts in self.working_days.items()
            }
        if self.always_open:
            data["always_open"] = True
        return data

    def since(self, day: date) -> "BusinessCalendar":
        """The same calendar without the holidays and working days before `day` (what a ticket still needs).

        Kept per day on this calendar (frozen, so the result cannot go stale): every ticket opened that day starts
        its clock from it, and validating it anew each time was a third of starting a clock."""
        return remembered(self._since, day, _SINCE_KEPT, self._trimmed_to)

    def _trimmed_to(self, day: date) -> "BusinessCalendar":
        # A new calendar rather than a copy (a copy would carry the cached sets of the whole calendar), made without
        # validation: the holidays and working days of a valid calendar from `day` on are valid still (sorted, none
        # both, the weekly hours the same), and validating built the models' schemas (see `content`).
        return BusinessCalendar.model_construct(
            set(type(self).model_fields),
            time_zone=self.time_zone,
            hours=self.hours,
            holidays=[d for d in self.holidays if d >= day],
            working_days={d: shifts for d, shifts in self.working_days.items() if d >= day},
            always_open=self.always_open,
        )


#: The 24/7 calendar: business time is wall-clock time. Made without validation (the value `BusinessCalendar(
#: always_open=True)` validates to, which tests/unit/test_sla_calendar.py compares it with): validating it built the
#: models' schemas at import (see `BusinessCalendar.content`).
ALWAYS_OPEN = BusinessCalendar.model_construct({"always_open"}, always_open=True, hours=WeeklyHours.model_construct())


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The moment `duration` of business time after `start`: a due time.

    Counting begins at the next opening when `start` is outside hours. A positive duration ends inside or at
    the end of a shift (a due time can be a closing time, never a moment in closed hours); a zero duration
    asks for no business time and returns `start` itself, open or closed.
    """
    start = _utc(start)
    if duration < timedelta(0):
        raise ValueError(f"a duration of business time cannot be negative: {duration}")
    if duration == timedelta(0):
        return start
    if calendar.always_open:
        return start + duration
    remaining = duration
    for opened, closed in _open_spans(calendar, start):
        if closed <= start:
            continue
        opened = max(opened, start)
        if closed - opened >= remaining:
            return opened + remaining
        remaining -= closed - opened
    raise AssertionError("unreachable: _open_spans never ends")


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """The business time from `a` to `b`: elapsed time on the clock; negative when `b` is before `a`."""
    a, b = _utc(a), _utc(b)
    if b < a:
        return -business_time_between(b, a, calendar)
    if calendar.always_open:
        return b - a
    total = timedelta(0)
    for opened, closed in _open_spans(calendar, a):
        if opened >= b:
            break
        overlap = min(closed, b) - max(opened, a)
        if overlap > timedelta(0):
            total += overlap
    return total


def is_open(at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether `at` is business time (shifts are [start, end): the closing instant itself is closed)."""
    at = _utc(at)
    if calendar.always_open:
        return True
    for opened, closed in _open_spans(calendar, at):
        if opened > at:
            return False
        if at < closed:
            return True
    raise AssertionError("unreachable: _open_spans never ends")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: give a timezone-aware datetime")
    return moment.astimezone(UTC)


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A local time of a date (minute 1440 being the next midnight) as a UTC instant; fold=0 as documented above."""
    day += timedelta(days=minutes // _DAY_MINUTES)
    local = datetime.combine(day, time(minutes % _DAY_MINUTES // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _spans_on(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC spans of a date's shifts, sorted and merged (a DST gap can make local shifts meet or cross).

    Kept per date on the calendar (frozen, so they cannot go stale): each due time of a ticket walks the same days
    again, and turning local shifts into UTC instants was most of counting business time."""
    return remembered(calendar._spans, day, _SPANS_KEPT, partial(_utc_spans, calendar))


def _utc_spans(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    spans = sorted(
        (opened, closed)
        for shift in calendar.shifts_on(day)
        if (opened := _instant(day, shift.start, calendar.zone)) < (closed := _instant(day, shift.end, calendar.zone))
    )
    merged: list[tuple[datetime, datetime]] = []
    for opened, closed in spans:
        if merged and opened <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closed))
        else:
            merged.append((opened, closed))
    return tuple(merged)


def _open_spans(calendar: BusinessCalendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open spans in time order, from the local day before `since` on, without end.

    Bounded: a validated calendar has a weekly shift, so a run of closed days ends within
    `_closed_days_at_most`; longer means the calendar was built without validation, and that is refused.
    """
    day = since.astimezone(calendar.zone).date() - timedelta(days=1)
    closed_days = 0
    last_closed: datetime | None = None
    while True:
        opened_today = False
        for opened, closed in _spans_on(calendar, day):
            # Spans never go back in time, even where a DST change makes one day's shifts cross the next's.
            if last_closed is not None and opened < last_closed:
                opened = last_closed
            if closed <= opened:
                continue
            opened_today = True
            last_closed = closed
            yield opened, closed
        closed_days = 0 if opened_today else closed_days + 1
        if closed_days > calendar._closed_days_at_most:
            raise ValueError(f"the calendar has no working time in the {closed_days} days before {day}")
        day += timedelta(days=1)
