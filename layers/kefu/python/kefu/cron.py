"""EventBridge Scheduler cron expressions: one grammar for the deployment configuration (campaign schedules, checked
at synth by kefu.revisits.config) and for the local scheduler (kefu_local.schedules), which also computes fire times.

Six fields, `minutes hours day-of-month month day-of-week year`: `*`, `,`, `-`, `/` in every field; `?`, `L` (the
last day), `nW` (the weekday nearest day n) and `LW` in day-of-month; `?`, `L` (Saturday), `nL` (the last weekday n
of the month) and `n#k` (the k-th weekday n) in day-of-week, days of the week 1-7 = SUN-SAT; month and day names
(`JAN`, `MON`, in any case); exactly one of day-of-month and day-of-week is `?`. Ranges run forwards, except in
day-of-week, where `FRI-MON` wraps over the weekend. Fire times are wall-clock times in the schedule's time zone: a
time skipped by a daylight-saving change fires at the same wall time after it (an hour later), a repeated one once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_SPECIAL_WEEKDAY = re.compile(r"(?P<day>[0-9A-Z]+)(?:(?P<last>L)|#(?P<nth>[1-5]))")
_NEAREST_WEEKDAY = re.compile(r"[0-9]{1,2}W")
_EXAMPLE = "(e.g. '0 10 ? * MON *')"


class InvalidCron(ValueError):
    """Not a cron expression EventBridge Scheduler accepts; the message names the field that is wrong."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    #: Names for the values from `low` on.
    names: tuple[str, ...] = ()

    def number(self, text: str) -> int:
        if text in self.names:
            return self.low + self.names.index(text)
        if not (text.isascii() and text.isdigit()):
            raise InvalidCron(f"{self.name}: {text!r} is not a number{' or a name' if self.names else ''}")
        value = int(text)
        if not self.low <= value <= self.high:
            raise InvalidCron(f"{self.name}: {value} is outside {self.low}-{self.high}")
        return value

    def values(self, text: str) -> frozenset[int]:
        """The numbers a list of `*`, `n`, `a-b`, `n/step`, `a-b/step` parts stands for."""
        found: set[int] = set()
        for part in text.split(","):
            found.update(self._part(part))
        return frozenset(found)

    def _part(self, part: str) -> Iterable[int]:
        base, slash, step_text = part.partition("/")
        step = self._step(part, step_text) if slash else 1
        if base == "*":
            return range(self.low, self.high + 1, step)
        bounds = base.split("-")
        if len(bounds) > 2:
            raise InvalidCron(f"{self.name}: {part!r} is not a value, a range, a list or a step")
        first = self.number(bounds[0])
        last = self.number(bounds[1]) if len(bounds) == 2 else (self.high if slash else first)
        if first <= last:
            return range(first, last + 1, step)
        if self.name != "day-of-week":
            raise InvalidCron(f"{self.name}: the range {base!r} runs backwards")
        return [*range(first, self.high + 1), *range(self.low, last + 1)][::step]

    def _step(self, part: str, text: str) -> int:
        if not (text.isascii() and text.isdigit()):
            raise InvalidCron(f"{self.name}: the step in {part!r} is not a number")
        if int(text) < 1:
            raise InvalidCron(f"{self.name}: the step in {part!r} must be at least 1")
        return int(text)


MINUTES = _Field("minutes", 0, 59)
HOURS = _Field("hours", 0, 23)
DAY_OF_MONTH = _Field("day-of-month", 1, 31)
MONTH = _Field("month", 1, 12, _MONTH_NAMES)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, _WEEKDAY_NAMES)
YEAR = _Field("year", 1970, 2199)

DayRule = Callable[[date], bool]


@dataclass(frozen=True, eq=False)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    #: None: every year.
    years: frozenset[int] | None
    #: Whether a day fits day-of-month or day-of-week (whichever is not `?`).
    day_matches: DayRule
    zone: ZoneInfo

    @classmethod
    def parse(cls, expression: str, zone: ZoneInfo | None = None) -> Cron:
        """The six fields (without `cron(...)`), read in `zone` (UTC by default); InvalidCron says what is wrong."""
        fields = expression.upper().split()
        if len(fields) != 6:
            raise InvalidCron(
                f"{expression!r} has {len(fields)} fields; EventBridge cron has 6: minutes hours day-of-month "
                f"month day-of-week year {_EXAMPLE}"
            )
        minute, hour, day_of_month, month, day_of_week, year = fields
        if (day_of_month == "?") == (day_of_week == "?"):
            raise InvalidCron(f"{expression!r}: give exactly one of day-of-month and day-of-week as '?'")
        for field, text in ((MINUTES, minute), (HOURS, hour), (MONTH, month), (YEAR, year)):
            if text == "?":
                raise InvalidCron(f"'?' is only for day-of-month or day-of-week, not {field.name}")
        return cls(
            minutes=MINUTES.values(minute),
            hours=HOURS.values(hour),
            months=MONTH.values(month),
            years=None if year == "*" else YEAR.values(year),
            day_matches=_day_of_week_rule(day_of_week) if day_of_month == "?" else _day_of_month_rule(day_of_month),
            zone=zone or ZoneInfo("UTC"),
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment` (an aware datetime), in UTC; None if there is none."""
        day = moment.astimezone(self.zone).date()
        for _ in range(230 * 12):  # months, at most: 1970 to 2199
            if self.years is not None and day.year not in self.years:
                later = [year for year in self.years if year > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if day.month in self.months:
                fire = self._first_in_month(day, moment)
                if fire is not None:
                    return fire
            day = _first_of_next_month(day)
        return None

    def _first_in_month(self, day: date, moment: datetime) -> datetime | None:
        """The first fire time after `moment` from `day` to the end of its month."""
        for candidate in (day.replace(day=d) for d in range(day.day, _last_day(day) + 1)):
            if not self.day_matches(candidate):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    # fold=0: a skipped wall time maps to an hour later, a repeated one to its first occurrence.
                    wall = datetime(candidate.year, candidate.month, candidate.day, hour, minute, tzinfo=self.zone)
                    if wall.astimezone(UTC) > moment:
                        return wall.astimezone(UTC)
        return None


def _day_of_month_rule(text: str) -> DayRule:
    if text == "L":
        return lambda day: day.day == _last_day(day)
    if text == "LW":
        return lambda day: day == _nearest_weekday(day.replace(day=_last_day(day)))
    if _NEAREST_WEEKDAY.fullmatch(text):
        target = DAY_OF_MONTH.number(text[:-1])
        return lambda day: target <= _last_day(day) and day == _nearest_weekday(day.replace(day=target))
    days = DAY_OF_MONTH.values(text)
    return lambda day: day.day in days


def _day_of_week_rule(text: str) -> DayRule:
    if text == "L":
        return lambda day: _weekday(day) == 7
    special = _SPECIAL_WEEKDAY.fullmatch(text)
    if special is None:
        weekdays = DAY_OF_WEEK.values(text)
        return lambda day: _weekday(day) in weekdays
    wanted = DAY_OF_WEEK.number(special["day"])
    if special["last"]:
        return lambda day: _weekday(day) == wanted and day.day + 7 > _last_day(day)
    nth = int(special["nth"])
    return lambda day: _weekday(day) == wanted and (day.day - 1) // 7 + 1 == nth


def _weekday(day: date) -> int:
    """EventBridge's day of the week: 1 = Sunday … 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _last_day(day: date) -> int:
    return (_first_of_next_month(day) - timedelta(days=1)).day


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _nearest_weekday(day: date) -> date:
    """Cron's `W`: the weekday nearest to `day` within its month."""
    weekday = day.weekday()  # Monday 0 … Sunday 6
    if weekday == 5:
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if weekday == 6:
        return day + timedelta(days=1) if day.day < _last_day(day) else day - timedelta(days=2)
    return day
