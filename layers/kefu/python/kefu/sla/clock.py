"""The SLA clock of one ticket: its targets, pauses and events, and the due times and milestones they give.

Pure data and pure functions: every instant is a parameter, nothing reads the time. A clock is plain JSON
(`to_json`/`from_json`) so the ticket can store it; it holds the calendars it counts on, as they were when it
started, so its due times never change after the fact, whatever later deployments say. Its JSON names each
calendar by its version (`BusinessCalendar.version`, a hash of its content) rather than carrying a copy of it
(~250 bytes a calendar, in every ticket item, rewritten at each of the ticket's writes): whoever reads it back
says where a version is found (kefu.tickets.sla: the deployment's calendar when it is still the same, else the
immutable copy kept once in the table with the terms that name it, kefu.store.sla_terms). A clock written before,
with its calendars inside, reads back as it was.

Pauses (waiting on the customer): a target's due time is the moment the business time counted outside pauses
reaches it, so a pause moves the due time later by the business time spent paused, on that target's calendar
(a pause over a weekend moves a business-hours target by nothing and the 24x7 complaint loop by the whole
weekend). A pause that begins after a due time has passed moves nothing: a breach stays a breach. While the
clock is paused, a due time not reached before the pause is unknown (None) until it resumes.

Instants are kept at the millisecond, as tickets store them; targets are whole minutes and calendars change at
whole minutes, so every due time and milestone is exact at the millisecond too.
"""

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from kefu.clock import iso
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Priority
from kefu.sla.calendar import BusinessCalendar, add_business_time, business_time_between
from kefu.sla.config import SlaConfig, sla_config
from kefu.sla.policy import EscalationStep, MilestoneKind, format_duration, parse_duration

_KINDS = tuple(MilestoneKind)

#: (calendar name, version, the clock's start) -> that version of the calendar.
CalendarLookup = Callable[[str, str, datetime], BusinessCalendar]


class ClockTarget(NamedTuple):
    """A target as the clock keeps it: a duration of business time on one of the clock's calendars."""

    within: timedelta
    calendar: str

    def to_json(self) -> dict[str, str]:
        return {"within": format_duration(self.within), "calendar": self.calendar}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ClockTarget":
        return cls(within=parse_duration(data["within"]), calendar=data["calendar"])


@dataclass(frozen=True)
class SlaClock:
    """One ticket's SLA: what it was promised, from when, and what has happened since. Immutable: the
    functions below return a new clock."""

    policy: str
    priority: Priority
    tier: Tier
    category: Category | None
    started_at: datetime
    first_response: ClockTarget
    resolution: ClockTarget
    #: The calendars the targets name, as they were when the clock started (from that day on).
    calendars: Mapping[str, BusinessCalendar]
    #: Closed pauses, in time order.
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    paused_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def first_response_due(self) -> datetime | None:
        return self.due(MilestoneKind.FIRST_RESPONSE)

    @property
    def resolution_due(self) -> datetime | None:
        return self.due(MilestoneKind.RESOLUTION)

    def target(self, kind: MilestoneKind) -> ClockTarget:
        return self.first_response if kind == MilestoneKind.FIRST_RESPONSE else self.resolution

    def calendar_of(self, kind: MilestoneKind) -> BusinessCalendar:
        return self.calendars[self.target(kind).calendar]

    def stopped_at(self, kind: MilestoneKind) -> datetime | None:
        """When the target's event happened (a resolution also answers a ticket never answered before)."""
        return self.first_response_at if kind == MilestoneKind.FIRST_RESPONSE else self.resolved_at

    def due(self, kind: MilestoneKind) -> datetime | None:
        """When the target is due; None while paused before reaching it."""
        # Kept on the clock (immutable): a ticket's view asks for each due time twice (the due, then its breach).
        dues = self._dues
        if kind not in dues:
            dues[kind] = self.reached(kind, self.target(kind).within)
        return dues[kind]

    @cached_property
    def _dues(self) -> dict[MilestoneKind, datetime | None]:
        # Not a field: left out of the clock's equality, repr and `replace` (a replaced clock computes its own).
        return {}

    def reached(self, kind: MilestoneKind, amount: timedelta) -> datetime | None:
        """The moment `amount` of business time has been counted for a target, outside pauses.

        None when the clock is paused before that: the moment depends on when it resumes.
        """
        calendar = self.calendar_of(kind)
        cursor, remaining = self.started_at, amount
        for paused, resumed in self._pauses_of(kind):
            available = business_time_between(cursor, paused, calendar)
            if available >= remaining:
                return add_business_time(cursor, remaining, calendar)
            remaining -= available
            if resumed is None:
                return None
            cursor = resumed
        return add_business_time(cursor, remaining, calendar)

    def _pauses_of(self, kind: MilestoneKind) -> Iterator[tuple[datetime, datetime | None]]:
        """The pauses that stopped this target: those before its event, cut off at the event."""
        stop = self.stopped_at(kind)
        pending: list[tuple[datetime, datetime | None]] = [*self.pauses]
        if self.paused_at is not None:
            pending.append((self.paused_at, None))
        for paused, resumed in pending:
            if stop is not None and paused >= stop:
                return
            if stop is not None and (resumed is None or resumed > stop):
                resumed = stop
            yield paused, resumed

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, instants as ISO 8601 UTC strings with milliseconds; each calendar by its version; what
        has not happened (no category, no pause, no answer yet) left out."""
        data: dict[str, Any] = {
            "policy": self.policy,
            "priority": str(self.priority),
            "tier": str(self.tier),
            "category": None if self.category is None else str(self.category),
            "startedAt": iso(self.started_at),
            "firstResponse": self.first_response.to_json(),
            "resolution": self.resolution.to_json(),
            "calendars": {name: calendar.version for name, calendar in self.calendars.items()},
            "pauses": [[iso(paused), iso(resumed)] for paused, resumed in self.pauses],
            "pausedAt": _iso_or_none(self.paused_at),
            "firstResponseAt": _iso_or_none(self.first_response_at),
            "resolvedAt": _iso_or_none(self.resolved_at),
        }
        return {name: value for name, value in data.items() if value is not None and value != []}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], calendar: CalendarLookup | None = None) -> "SlaClock":
        """The clock of its JSON form; `calendar(name, version, started_at)` gives the calendar a version names (a
        clock written with its calendars inside needs none)."""
        started_at = _parse(data["startedAt"])
        return cls(
            policy=data["policy"],
            priority=Priority(data["priority"]),
            tier=Tier(data["tier"]),
            category=None if data.get("category") is None else Category(data["category"]),
            started_at=started_at,
            first_response=ClockTarget.from_json(data["firstResponse"]),
            resolution=ClockTarget.from_json(data["resolution"]),
            calendars={
                name: _calendar_of(name, value, started_at, calendar) for name, value in data["calendars"].items()
            },
            pauses=tuple((_parse(paused), _parse(resumed)) for paused, resumed in data.get("pauses", ())),
            paused_at=_parse_or_none(data.get("pausedAt")),
            first_response_at=_parse_or_none(data.get("firstResponseAt")),
            resolved_at=_parse_or_none(data.get("resolvedAt")),
        )


class Milestone(NamedTuple):
    """A moment the escalation task wakes up for, with the ladder steps to run then.

    `key` ("resolution:100") is stable for a ticket's clock: the task records it once the steps ran.
    """

    kind: MilestoneKind
    percent: int
    at: datetime
    steps: tuple[EscalationStep, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.percent}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "milestone": str(self.kind),
            "percent": self.percent,
            "at": iso(self.at),
            "steps": [step.model_dump(mode="json", exclude_defaults=True) for step in self.steps],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Milestone":
        return cls(
            kind=MilestoneKind(data["milestone"]),
            percent=int(data["percent"]),
            at=_parse(data["at"]),
            steps=tuple(EscalationStep.model_validate(step) for step in data["steps"]),
        )


def start(
    priority: Priority,
    tier: Tier,
    category: Category | None,
    created_at: datetime,
    config: SlaConfig | None = None,
) -> SlaClock:
    """A ticket's clock from its creation, under the first policy that matches it (the deployment's by default)."""
    config = config or sla_config()
    policy = config.policy_for(priority, tier, category)
    started_at = _moment(created_at)
    calendars: dict[str, BusinessCalendar] = {}
    for kind in _KINDS:
        name = policy.calendar_of(kind)
        calendars[name] = calendar_as_of(config, name, started_at)
    return SlaClock(
        policy=policy.name,
        priority=priority,
        tier=tier,
        category=category,
        started_at=started_at,
        first_response=ClockTarget(policy.first_response.duration, policy.calendar_of(MilestoneKind.FIRST_RESPONSE)),
        resolution=ClockTarget(policy.resolution.duration, policy.calendar_of(MilestoneKind.RESOLUTION)),
        calendars=calendars,
    )


def calendar_as_of(config: SlaConfig, name: str, started_at: datetime) -> BusinessCalendar:
    """The configured calendar `name` as a clock started at `started_at` keeps it: from the day before its start on
    (KeyError when the configuration has no such calendar)."""
    calendar = config.calendar(name)
    return calendar.since(started_at.astimezone(calendar.zone).date() - timedelta(days=1))


def pause(clock: SlaClock, at: datetime) -> SlaClock:
    """Stop the clock (the ticket waits on the customer). A paused or resolved clock is left as it is."""
    if clock.is_paused or clock.is_resolved:
        return clock
    return replace(clock, paused_at=max(_moment(at), _latest_pause_end(clock)))


def resume(clock: SlaClock, at: datetime) -> SlaClock:
    """Run the clock again; the time since the pause no longer counts. A running clock is left as it is."""
    if clock.paused_at is None:
        return clock
    resumed = max(_moment(at), clock.paused_at)
    return replace(clock, paused_at=None, pauses=_with_pause(clock.pauses, clock.paused_at, resumed))


def record_first_response(clock: SlaClock, at: datetime) -> SlaClock:
    """The first answer to the customer; later answers change nothing."""
    if clock.first_response_at is not None:
        return clock
    return replace(clock, first_response_at=max(_moment(at), clock.started_at))


def record_resolution(clock: SlaClock, at: datetime) -> SlaClock:
    """The ticket is resolved: both targets stop (an unanswered ticket counts as answered by its resolution)."""
    if clock.is_resolved:
        return clock
    at = max(_moment(at), clock.started_at)
    pauses = clock.pauses
    if clock.paused_at is not None:
        pauses = _with_pause(pauses, clock.paused_at, max(at, clock.paused_at))
    return replace(
        clock,
        pauses=pauses,
        paused_at=None,
        first_response_at=clock.first_response_at or at,
        resolved_at=at,
    )


def reopen(clock: SlaClock, at: datetime) -> SlaClock:
    """A resolved ticket reopens: the resolution target runs on, the time it spent resolved not counted."""
    if clock.resolved_at is None:
        return clock
    resumed = max(_moment(at), clock.resolved_at)
    return replace(clock, resolved_at=None, pauses=_with_pause(clock.pauses, clock.resolved_at, resumed))


def milestones(clock: SlaClock, ladder: Sequence[EscalationStep]) -> list[Milestone]:
    """The ladder's milestones for the targets still running, in time order, each with its steps.

    A milestone is left out when its target's event has happened, and while the clock is paused before it.
    """
    rungs: dict[tuple[MilestoneKind, int], list[EscalationStep]] = {}
    for step in ladder:
        if step.applies_to(clock.category):
            rungs.setdefault((step.milestone, step.at), []).append(step)
    found = []
    for (kind, percent), steps in rungs.items():
        if clock.stopped_at(kind) is not None:
            continue
        at = clock.reached(kind, clock.target(kind).within * percent // 100)
        if at is not None:
            found.append(Milestone(kind=kind, percent=percent, at=at, steps=tuple(steps)))
    return sorted(found, key=lambda m: (m.at, _KINDS.index(m.kind), m.percent))


def next_milestone(clock: SlaClock, ladder: Sequence[EscalationStep], done_keys: Collection[str]) -> Milestone | None:
    """The earliest milestone not done yet, which may be overdue; None when there is nothing to wait for.

    Nothing to wait for: the events happened (first response given, ticket resolved), every step is done,
    or the clock is paused before the next one (resuming gives it its time again). A milestone reached before
    a pause is still returned: a breach that happened must escalate even if the ticket is now pending.
    """
    return next((m for m in milestones(clock, ladder) if m.key not in done_keys), None)


def breaches(clock: SlaClock, now: datetime) -> list[str]:
    """The targets missed: met after their due time, or not met and past it at `now` ("first_response", ...)."""
    now = _moment(now)
    missed = []
    for kind in _KINDS:
        due = clock.due(kind)
        if due is None:
            continue
        if (clock.stopped_at(kind) or now) > due:
            missed.append(str(kind))
    return missed


def _with_pause(
    pauses: tuple[tuple[datetime, datetime], ...], paused: datetime, resumed: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    if resumed <= paused:
        return pauses
    if pauses and pauses[-1][1] == paused:  # a pause right after another is one pause
        return (*pauses[:-1], (pauses[-1][0], resumed))
    return (*pauses, (paused, resumed))


def _latest_pause_end(clock: SlaClock) -> datetime:
    return max([clock.started_at, *(resumed for _, resumed in clock.pauses)])


def _moment(at: datetime) -> datetime:
    """An instant in UTC at the millisecond, the precision tickets store."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone: give a timezone-aware datetime")
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _calendar_of(
    name: str, value: str | Mapping[str, Any], started_at: datetime, lookup: CalendarLookup | None
) -> BusinessCalendar:
    if not isinstance(value, str):  # written before calendars were kept by version: the copy itself
        return BusinessCalendar.model_validate(value)
    if lookup is None:
        raise ValueError(f"the clock's calendar {name!r} is version {value}: give a lookup to read it with")
    return lookup(name, value, started_at)


def _parse(text: str) -> datetime:
    return _moment(datetime.fromisoformat(text))


def _parse_or_none(text: str | None) -> datetime | None:
    return None if text is None else _parse(text)


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)
