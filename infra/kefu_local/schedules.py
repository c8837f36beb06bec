"""EventBridge Scheduler, locally: the templates' schedules created in moto, and a thread that fires every schedule
in moto (the templates' and any created at run time) on its expression, on the local clock (`kefu.clock`, so
`KEFU_TIME_SCALE` compresses schedules too).

Expressions, as EventBridge Scheduler reads them:

* `at(yyyy-mm-ddThh:mm:ss)` — once, in the schedule's `ScheduleExpressionTimezone` (UTC by default);
* `rate(n minute|minutes|hour|hours|day|days)` — every n units from the schedule's `StartDate`, else from when
  the local scheduler first saw it;
* `cron(minutes hours day-of-month month day-of-week year)` — the grammar of `kefu.cron`, the runtime's (the same
  one that checks campaign schedules at synth), with its fire times in the schedule's time zone.

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

import contextlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from kefu import clock
from kefu.cron import Cron, InvalidCron
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


class InvalidExpression(ValueError):
    """The expression is not one EventBridge Scheduler accepts."""


# -- expressions -------------------------------------------------------------------------------------------------


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
        try:
            return Cron.parse(body, zone)
        except InvalidCron as err:
            raise InvalidExpression(f"cron({body}): {err}") from None
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
        if isinstance(self.expression, Cron):
            fire = self.expression.next_after(moment)
        else:
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

    def __init__(
        self,
        endpoint: str | None,
        *,
        now: Callable[[], datetime] = clock.now,
        poll_seconds: float = 1.0,
        only: Callable[[str, str], bool] | None = None,
    ):
        """`only(group, name)`: fire only the schedules it is true of (all when None)."""
        self.endpoint = endpoint
        self.only = only
        self.deliverer = Deliverer(endpoint)
        self._now = now
        self._poll = poll_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._schedules: dict[str, Schedule] = {}
        self._next: dict[str, datetime | None] = {}
        #: When the previous refresh read the schedules (the clock's time); None before the first.
        self._looked: datetime | None = None
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
        # A schedule new here was made after the previous look: its occurrences count from then, not from now. On a
        # loaded machine a poll comes late, and a one-time schedule due since would otherwise never fire.
        looked, self._looked = self._looked, self._now()
        listed: dict[str, dict[str, Any]] = {}
        for page in scheduler.get_paginator("list_schedules").paginate():
            for summary in page["Schedules"]:
                if self.only is None or self.only(summary.get("GroupName") or "default", summary["Name"]):
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
            schedule.seen = known.seen if known is not None else (looked or self._looked)
            self._schedules[arn] = schedule
            self._next[arn] = schedule.next_fire(self._now() if known is not None else schedule.seen)

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
