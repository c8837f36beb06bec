"""`kefu local fire`: one occurrence of a schedule of the running local stack, delivered now, the way the local
scheduler delivers an occurrence that falls due (kefu_local.schedules): the target gets the schedule's `Input` with
the `<aws.scheduler.*>` context attributes filled in for that occurrence, a failed delivery is retried and then sent
to the target's dead-letter queue.

What a schedule far off starts (the monthly QA sampling on the 1st, a campaign's daily run) can so be run and watched
without waiting for it or speeding the whole stack's clock up. The schedule itself is left as it is: its timetable
goes on, and the scheduler still fires the occurrence when it comes (a target that is idempotent per occurrence, as
kefu's are, does the work once). A disabled schedule fires too: firing by hand is not its timetable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kefu_local.schedules import Deliverer, Schedule


class ScheduleNotFound(LookupError):
    """No schedule, or more than one, answers to the name given."""


class NoOccurrence(ValueError):
    """The schedule will fire no more (an `at()` passed, its `EndDate` gone by) and no time was given."""


@dataclass(frozen=True)
class Fired:
    schedule: Schedule
    #: The occurrence's scheduled time, as `<aws.scheduler.scheduled-time>` gave it to the target.
    scheduled_time: datetime
    #: False when every attempt failed (the target's dead-letter queue, if it has one, holds the occurrence).
    delivered: bool


def find_schedule(scheduler: Any, name: str) -> Schedule:
    """The schedule called `name`, or `group/name` where several groups hold one of that name."""
    group, _, bare = name.rpartition("/")
    listing = {"GroupName": group} if group else {}
    found = [
        summary
        for page in scheduler.get_paginator("list_schedules").paginate(**listing)
        for summary in page["Schedules"]
        if summary["Name"] == bare
    ]
    if not found:
        raise ScheduleNotFound(f"the local stack has no schedule {name!r} (`kefu local up` lists its schedules)")
    if len(found) > 1:
        groups = ", ".join(sorted(f"{summary.get('GroupName') or 'default'}/{bare}" for summary in found))
        raise ScheduleNotFound(f"several schedules are called {bare!r}: name one of {groups}")
    group_name = found[0].get("GroupName") or "default"
    return Schedule.from_api(scheduler.get_schedule(Name=bare, GroupName=group_name))


def fire(deliverer: Deliverer, name: str, *, at: datetime | None = None, now: datetime | None = None) -> Fired:
    """Deliver one occurrence of the schedule `name` now: the one scheduled `at`, by default its next one after `now`
    (the wall clock's: the local stack's clock may run faster, which only moves when its scheduler fires)."""
    schedule = find_schedule(deliverer.client("scheduler"), name)
    # In UTC, as the scheduler hands occurrences to the target (`<aws.scheduler.scheduled-time>` is written so).
    when = at.astimezone(UTC) if at is not None else schedule.next_fire(now or datetime.now(UTC))
    if when is None:
        raise NoOccurrence(f"schedule {schedule.group}/{schedule.name} fires no more: give the occurrence's time")
    return Fired(schedule, when, deliverer.deliver(schedule, when))
