"""EventBridge Scheduler, locally: the templates' schedules created in moto, and a thread that fires every schedule
in moto (the templates' and any created at run time) on its expression, on the local clock (`kefu.clock`, so
`KEFU_TIME_SCALE` compresses schedules too).

Expressions, as EventBridge Scheduler reads them:

* `at(yyyy-mm-ddThh:mm:ss)` — once, in the schedule's `ScheduleExpressionTimezone` (UTC by default);
* `rate(n minute|minutes|hour|hours|day|days)` — every n units from the schedule's `StartDate`, else from when
  the local scheduler first saw it;
* `cron(minutes hours day-of-month month day-of-week year)` — `*`, `,`, `-`, `/` in every field; `?`, `L`
  (last day), `nW` (the weekday nearest day n) and `LW` in day-of-month; `?`, `L` (Saturday), `nL` (the last
  weekday n of the month), `n#k` (the k-th weekday n) in day-of-week, days of the week 1-7 = SUN-SAT; month and
  day names (`JAN`, `MON`); one of day-of-month and day-of-week must be `?`. Wall-clock times in the schedule's
  time zone: a time skipped by a daylight-saving change fires at the same wall time after it (an hour later),
  a repeated one fires once.

`StartDate`/`EndDate` bound the fire times, `State: DISABLED` stops a schedule, `ActionAfterCompletion: DELETE`
deletes it once it can fire no more. Targets: a state machine (StartExecution with the schedule's `Input`), a
Lambda function (an asynchronous Invoke, dispatched in-process by `kefu_local.lambdas`), an SQS queue
(SendMessage; `SqsParameters.MessageGroupId` for FIFO), or a universal `arn:aws:scheduler:::aws-sdk:service:action`
target (the API call with `Input` as its parameters). The `<aws.scheduler.*>` context attributes in `Input` are
filled in. A failed delivery is retried (up to the target's `MaximumRetryAttempts`, at most
`LOCAL_RETRY_ATTEMPTS` locally) and then sent to the target's `DeadLetterConfig` queue. A `FLEXIBLE` time window
fires at the scheduled time (the window is where AWS may spread it). Occurrences that fall due while the local
stack is not running are not caught up (as AWS does not for a schedule created after them).
"""

from __future__ import annotations

import calendar
import contextlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from kefu import clock
from kefu_local import references
from kefu_local.runtime import LOCAL_REGION
from kefu_local.targets import deliver, send_to_queue
from kefu_local.templates import Templates

log = logging.getLogger(__name__)

SCHEDULE = references.SCHEDULE
SCHEDULE_GROUP = references.SCHEDULE_GROUP
#: Deliveries of one occurrence tried at most this often locally (AWS: up to 185 over a day).
LOCAL_RETRY_ATTEMPTS = 3
#: Occurrences fired per schedule per pass at most: a fast clock must not turn a per-minute cron into a flood.
MAX_CATCH_UP = 50
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class InvalidExpression(ValueError):
    """The expression is not one EventBridge Scheduler accepts."""


# -- expressions -------------------------------------------------------------------------------------------------


def _weekday(day: date) -> int:
    """EventBridge's day of the week: 1 = Sunday … 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _values(field_text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The numbers a cron field's list of `*`, `n`, `a-b`, `x/step` parts stands for."""
    result: set[int] = set()
    for part in field_text.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, 1, high, "step") if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, low, high, names=names), _number(last, low, high, names=names)
        else:
            start = _number(base, low, high, names=names)
            end = high if step_text else start
        if start > end:
            raise InvalidExpression(f"{part!r}: the range runs backwards")
        result.update(range(start, end + 1, step))
    return result


def _number(text: str, low: int, high: int, what: str = "value", names: dict[str, int] | None = None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise InvalidExpression(f"{text!r} is not a {what} in {low}-{high}")
    value = int(text)
    if not low <= value <= high:
        raise InvalidExpression(f"{value} is outside {low}-{high}")
    return value


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    day_of_month: tuple[str, ...] | None  # tokens; None for `?`
    day_of_week: tuple[str, ...] | None
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> Cron:
        fields = text.split()
        if len(fields) != 6:
            raise InvalidExpression(f"cron({text}) needs 6 fields: minutes hours day-of-month month day-of-week year")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise InvalidExpression(f"cron({text}): exactly one of day-of-month and day-of-week must be '?'")
        cron = cls(
            minutes=frozenset(_values(minute, 0, 59)),
            hours=frozenset(_values(hour, 0, 23)),
            months=frozenset(_values(month, 1, 12, _MONTHS)),
            years=None if year == "*" else frozenset(_values(year, 1970, 2199)),
            day_of_month=None if dom == "?" else tuple(dom.split(",")),
            day_of_week=None if dow == "?" else tuple(dow.upper().split(",")),
            zone=zone,
        )
        cron._check_days()
        return cron

    def _check_days(self) -> None:
        probe = date(2024, 1, 1)
        for token in self.day_of_month or ():
            if not re.fullmatch(r"L|LW|\d{1,2}W|[\d*,/-]+", token):
                raise InvalidExpression(f"day-of-month {token!r}")
            self._day_of_month_matches(token, probe)
        for token in self.day_of_week or ():
            if not re.fullmatch(r"L|[1-7A-Z]{1,3}L|[1-7A-Z]{1,3}#[1-5]|[\dA-Z*,/-]+", token):
                raise InvalidExpression(f"day-of-week {token!r}")
            self._day_of_week_matches(token, probe)

    def _day_of_month_matches(self, token: str, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if token == "L":
            return day.day == last
        if token.endswith("W"):
            target = last if token == "LW" else _number(token[:-1], 1, 31)
            return target <= last and day == _nearest_weekday(day.replace(day=target))
        return day.day in _values(token, 1, 31)

    def _day_of_week_matches(self, token: str, day: date) -> bool:
        weekday = _weekday(day)
        if token == "L":
            return weekday == 7
        if token.endswith("L"):
            wanted = _number(token[:-1], 1, 7, names=_WEEKDAYS)
            return weekday == wanted and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        if "#" in token:
            name, nth = token.split("#")
            return weekday == _number(name, 1, 7, names=_WEEKDAYS) and (day.day - 1) // 7 + 1 == int(nth)
        return weekday in _values(token, 1, 7, _WEEKDAYS)

    def day_matches(self, day: date) -> bool:
        if self.day_of_month is not None:
            return any(self._day_of_month_matches(token, day) for token in self.day_of_month)
        return any(self._day_of_week_matches(token, day) for token in self.day_of_week or ())

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first fire time strictly after `moment` (UTC), or None if there is none."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(400 * 12):  # months, at most: from 1970 to 2199 is fewer
            if self.years is not None and day.year not in self.years:
                later = [year for year in self.years if year > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                continue
            for candidate in _days_to_month_end(day):
                if not self.day_matches(candidate):
                    continue
                fire = self._first_time_on(candidate, moment)
                if fire is not None:
                    return fire
            day = _first_of_next_month(day)
        return None

    def _first_time_on(self, day: date, moment: datetime) -> datetime | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                # fold=0: a wall time skipped by a daylight-saving change maps to an hour later, a repeated one to its
                # first occurrence.
                fire = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).astimezone(UTC)
                if fire > moment:
                    return fire
        return None


def _nearest_weekday(day: date) -> date:
    """Cron's `W`: the weekday nearest to `day` within its month."""
    weekday = day.weekday()  # Monday 0 … Sunday 6
    if weekday == 5:
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if weekday == 6:
        last = calendar.monthrange(day.year, day.month)[1]
        return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)
    return day


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _days_to_month_end(day: date) -> Iterable[date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return (day.replace(day=d) for d in range(day.day, last + 1))


@dataclass(frozen=True)
class Rate:
    every: timedelta

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = re.fullmatch(r"\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*", text)
        if not match:
            raise InvalidExpression(f"rate({text}): expected 'rate(n minutes|hours|days)'")
        value, unit = int(match.group(1)), match.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise InvalidExpression(f"rate({text}): use '1 {unit.rstrip('s')}' or 'n {unit.rstrip('s')}s' (n > 1)")
        return cls(timedelta(**{unit.rstrip("s") + "s": value}))

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        start = anchor or moment
        if moment < start:
            return start
        periods = int((moment - start) / self.every) + 1
        return start + periods * self.every


@dataclass(frozen=True)
class At:
    when: datetime

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> At:
        try:
            wall = datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise InvalidExpression(f"at({text}): expected 'at(yyyy-mm-ddThh:mm:ss)'") from None
        return cls(wall.replace(tzinfo=zone).astimezone(UTC))

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        return self.when if self.when > moment else None


Expression = Cron | Rate | At


def parse_expression(text: str, timezone: str | None = None) -> Expression:
    """A schedule expression: `cron(…)`, `rate(…)` or `at(…)`, in a time zone (an IANA name; UTC by default)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError) as err:
        raise InvalidExpression(f"unknown time zone {timezone!r}") from err
    match = re.fullmatch(r"\s*(cron|rate|at)\((.*)\)\s*", text)
    if not match:
        raise InvalidExpression(f"{text!r}: expected cron(…), rate(…) or at(…)")
    kind, body = match.groups()
    if kind == "cron":
        return Cron.parse(body, zone)
    if kind == "rate":
        return Rate.parse(body)
    return At.parse(body, zone)


# -- schedules ---------------------------------------------------------------------------------------------------


@dataclass
class Schedule:
    """A schedule as the local scheduler keeps it (what GetSchedule returns, parsed)."""

    arn: str
    name: str
    group: str
    expression: Expression
    start: datetime | None
    end: datetime | None
    enabled: bool
    target: dict[str, Any]
    delete_after_completion: bool = False
    modified: Any = None
    #: When the local scheduler began to follow it (virtual time): the anchor of rates without a StartDate.
    seen: datetime = field(default_factory=lambda: clock.now())

    @classmethod
    def from_api(cls, described: dict[str, Any]) -> Schedule:
        return cls(
            arn=described["Arn"],
            name=described["Name"],
            group=described.get("GroupName") or "default",
            expression=parse_expression(described["ScheduleExpression"], described.get("ScheduleExpressionTimezone")),
            start=_utc(described.get("StartDate")),
            end=_utc(described.get("EndDate")),
            enabled=described.get("State", "ENABLED") == "ENABLED",
            target=described["Target"],
            delete_after_completion=described.get("ActionAfterCompletion") == "DELETE",
            modified=described.get("LastModificationDate"),
        )

    def next_fire(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after `after` within StartDate and EndDate; None once there is none."""
        moment = after
        if self.start is not None and self.start > moment:
            moment = self.start - timedelta(microseconds=1)
        fire = self.expression.next_after(moment, self.start or self.seen)
        if fire is None or (self.end is not None and fire > self.end):
            return None
        return fire


def _utc(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def create_schedules(templates: Templates, client: Any) -> list[str]:
    """Create (or update) the templates' schedule groups and schedules in moto; the schedules' ARNs."""
    for resource in templates.resources(SCHEDULE_GROUP):
        name = references.physical_name(templates, resource)
        with contextlib.suppress(client.exceptions.ConflictException):
            client.create_schedule_group(Name=name)
    arns = []
    for resource in templates.resources(SCHEDULE):
        props = templates.resolve(resource.stack, resource.properties)
        request = schedule_request(props, references.physical_name(templates, resource))
        parse_expression(request["ScheduleExpression"], request.get("ScheduleExpressionTimezone"))
        try:
            arn = client.create_schedule(**request)["ScheduleArn"]
        except client.exceptions.ConflictException:
            arn = client.update_schedule(**request)["ScheduleArn"]
        arns.append(arn)
    return arns


def schedule_request(props: dict[str, Any], name: str) -> dict[str, Any]:
    """CreateSchedule's parameters from a resolved `AWS::Scheduler::Schedule`'s properties."""
    request: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": props["ScheduleExpression"],
        "FlexibleTimeWindow": props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
        "Target": props["Target"],
    }
    for key in ("GroupName", "Description", "ScheduleExpressionTimezone", "State", "KmsKeyArn"):
        if props.get(key):
            request[key] = props[key]
    for key in ("StartDate", "EndDate"):
        if props.get(key):
            request[key] = _utc(props[key])
    # CreateSchedule refuses a StartDate more than 5 minutes past; from now on is what it means for a stack started
    # after it.
    if "StartDate" in request:
        request["StartDate"] = max(request["StartDate"], datetime.now(UTC))
    return request


# -- delivering to targets ---------------------------------------------------------------------------------------


def _context_input(text: str, schedule: Schedule, when: datetime, attempt: int) -> str:
    values = {
        "<aws.scheduler.schedule-arn>": schedule.arn,
        "<aws.scheduler.scheduled-time>": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": str(uuid.uuid4()),
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Scheduler's service names in universal targets that differ from boto3's.
_SDK_SERVICES = {"sfn": "stepfunctions"}


class Deliverer:
    """Delivers an occurrence of a schedule to its target, with AWS clients against the local endpoint."""

    def __init__(self, endpoint: str | None):
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=LOCAL_REGION)
        return self._clients[service]

    def deliver(self, schedule: Schedule, when: datetime) -> bool:
        target = schedule.target
        policy = target.get("RetryPolicy", {})
        attempts = 1 + min(int(policy.get("MaximumRetryAttempts", LOCAL_RETRY_ATTEMPTS)), LOCAL_RETRY_ATTEMPTS - 1)
        error: Exception | None = None
        for attempt in range(1, attempts + 1):
            payload = _context_input(target.get("Input") or "{}", schedule, when, attempt)
            try:
                self._send(target, payload)
                log.info("schedule %s fired for %s", schedule.name, when.isoformat())
                return True
            except Exception as err:
                error = err
                log.warning("schedule %s: attempt %d to %s failed: %s", schedule.name, attempt, target["Arn"], err)
        self._dead_letter(schedule, when, error)
        return False

    def _send(self, target: dict[str, Any], payload: str) -> None:
        arn: str = target["Arn"]
        if arn.startswith("arn:aws:scheduler:::aws-sdk:"):
            service_name, action = arn.split(":")[-2:]
            method = getattr(self.client(_SDK_SERVICES.get(service_name, service_name)), _snake(action))
            method(**json.loads(payload))
        else:
            deliver(self.client, arn, payload, group=target.get("SqsParameters", {}).get("MessageGroupId") or "default")

    def _dead_letter(self, schedule: Schedule, when: datetime, error: Exception | None) -> None:
        dead_letters = schedule.target.get("DeadLetterConfig", {}).get("Arn")
        if not dead_letters:
            return
        attributes = {
            "ERROR_CODE": type(error).__name__ if error else "Unknown",
            "ERROR_MESSAGE": str(error)[:1000] if error else "",
            "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
            "RETRY_ATTEMPTS": str(LOCAL_RETRY_ATTEMPTS),
            "SCHEDULE_ARN": schedule.arn,
            "TARGET_ARN": schedule.target["Arn"],
            "INVOCATION_TIME": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            send_to_queue(
                self.client("sqs"),
                dead_letters,
                _context_input(schedule.target.get("Input") or "{}", schedule, when, LOCAL_RETRY_ATTEMPTS),
                group="default",
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v},
            )
        except Exception:
            log.exception("schedule %s: its dead-letter queue %s could not be reached", schedule.name, dead_letters)


# -- the scheduler thread ----------------------------------------------------------------------------------------


class Scheduler:
    """Fires the schedules held in moto on the local clock, in a thread, until stopped."""

    def __init__(self, endpoint: str | None, *, now: Callable[[], datetime] = clock.now, poll_seconds: float = 1.0):
        self.endpoint = endpoint
        self.deliverer = Deliverer(endpoint)
        self._now = now
        self._poll = poll_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._schedules: dict[str, Schedule] = {}
        self._next: dict[str, datetime | None] = {}
        self.fired: list[tuple[str, datetime]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def schedules(self) -> list[Schedule]:
        return list(self._schedules.values())

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._refresh()
                wait = self._fire_due()
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("the local scheduler failed; trying again")
                wait = self._poll
            self._stopping.wait(wait)

    def _refresh(self) -> None:
        """Follow the schedules in moto: new ones, changed ones (re-read), deleted ones (dropped)."""
        scheduler = self.deliverer.client("scheduler")
        listed: dict[str, dict[str, Any]] = {}
        for page in scheduler.get_paginator("list_schedules").paginate():
            for summary in page["Schedules"]:
                listed[summary["Arn"]] = summary
        for arn in set(self._schedules) - set(listed):
            self._schedules.pop(arn)
            self._next.pop(arn, None)
        for arn, summary in listed.items():
            known = self._schedules.get(arn)
            if known is not None and known.modified == summary.get("LastModificationDate"):
                continue
            described = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName") or "default")
            try:
                schedule = Schedule.from_api(described)
            except InvalidExpression as err:
                log.warning("schedule %s is not run locally: %s", summary["Name"], err)
                continue
            schedule.seen = known.seen if known is not None else self._now()
            self._schedules[arn] = schedule
            self._next[arn] = schedule.next_fire(self._now())

    def _fire_due(self) -> float:
        """Fire what is due; the real seconds until the next occurrence (at most the poll interval)."""
        now = self._now()
        soonest: datetime | None = None
        for arn, schedule in list(self._schedules.items()):
            due = self._next.get(arn)
            fired = 0
            while schedule.enabled and due is not None and due <= now and fired < MAX_CATCH_UP:
                self.deliverer.deliver(schedule, due)
                self.fired.append((schedule.name, due))
                fired += 1
                due = schedule.next_fire(due)
            if fired == MAX_CATCH_UP and due is not None and due <= now:
                log.warning("schedule %s: more than %d occurrences due at once; skipped to now", schedule.name, fired)
                due = schedule.next_fire(now)
            self._next[arn] = due
            if due is None and schedule.delete_after_completion:
                self._delete(schedule)
            elif schedule.enabled and due is not None and (soonest is None or due < soonest):
                soonest = due
        if soonest is None:
            return self._poll
        return max(0.0, min(self._poll, clock.real_seconds((soonest - self._now()).total_seconds())))

    def _delete(self, schedule: Schedule) -> None:
        try:
            self.deliverer.client("scheduler").delete_schedule(Name=schedule.name, GroupName=schedule.group)
        except Exception:
            log.exception("schedule %s could not be deleted after completion", schedule.name)
        self._schedules.pop(schedule.arn, None)
        self._next.pop(schedule.arn, None)
