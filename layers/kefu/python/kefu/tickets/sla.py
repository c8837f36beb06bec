"""The SLA clock a ticket carries, and the `sla` view kept in step with it.

The clock (kefu.sla) is stored on the ticket item (`slaClock`), its terms (its targets and the versions of the
calendars they count on) by version: the deployment's terms for the ticket when they are still that version (the
usual case: no I/O), else the copy kept in the table, with its calendars, when a clock was first stored with them
(kefu.store.sla_terms, read once per process). So a ticket's due times stay those of the policy and calendars it was
opened under, whatever later deployments say, without a copy of them in every ticket item. (A clock stored before
names only its calendars by version, kefu.store.calendars, and carries its targets.)

It starts when the ticket opens, under the policy its priority, tier and category choose, and follows the ticket:
waiting on the customer (pending) pauses it, leaving pending resumes it, the first public answer and the resolution
are recorded, a reopen lets the resolution target run on.

A change of priority or category chooses the policy again as if the ticket had been opened with them: the new clock
counts from the ticket's creation, with the pauses and events it has had. So a P3 raised to P1 after two hours is
at once two hours into its one-hour P1 target (and escalates as such), not given a fresh hour. The milestones already
escalated stay done under the new policy: a ticket is warned, escalated a level and moved once per milestone.

`generation` counts the clock's schedules. Each event that changes what the escalation task waits for (pause,
resume, first response, resolution, reopen, a new policy) starts a new one; kefu.escalation's stream watcher then
deletes the pending wake of the old generation and schedules one for the new (named `<ticketId>-<generation>-<time>`,
kefu.escalation.wakes). Even a first response, which only removes milestones, does: scheduling the wake for the
resolution milestones is a free API call, the old wake firing to skip the answered milestone an invocation.

Nobody sees the clock itself (`Ticket.slaClock` is never serialized); agents see the view (`Ticket.sla`), customers
only its due and answer times (kefu.tickets.policy).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Priority, Sla, Status, Ticket

if TYPE_CHECKING:
    from kefu.sla import BusinessCalendar, SlaClock, SlaConfig


class ClockEvent(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    REOPEN = "reopen"


def _sla():
    # Imported on first use: only writes that move a clock need it, and a read would pay ~30 ms of import.
    import kefu.sla

    return kefu.sla


#: What of a clock's JSON (kefu.sla.SlaClock.to_json) are its terms, stored apart by version (`terms_version`).
TERMS = ("firstResponse", "resolution", "calendars")


class TicketClock(NamedTuple):
    """A ticket's clock and the generation of its schedule, as stored in `slaClock`: the clock's terms by version."""

    generation: int
    clock: SlaClock

    def to_json(self) -> dict[str, Any]:
        return self.stored_form()[0]

    def stored_form(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The JSON stored (`to_json`: the clock's terms by version) and those terms."""
        clock = self.clock.to_json()
        terms = {name: clock.pop(name) for name in TERMS}
        return {"generation": self.generation, "clock": clock, "terms": terms_version(terms)}, terms

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TicketClock:
        clock = data["clock"]
        if "terms" in data:
            clock = {**clock, **_terms(data["terms"], clock)}
        return cls(generation=int(data["generation"]), clock=_sla().SlaClock.from_json(clock, _calendar))

    def terms(self) -> dict[str, Any]:
        """The clock's terms, as `to_json` names them by version."""
        return self.stored_form()[1]


def terms_version(terms: Mapping[str, Any]) -> str:
    """A hash of a clock's terms (its targets, and its calendars by version, each a hash of its content)."""
    content = json.dumps(terms, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _terms(version: str, clock: Mapping[str, Any]) -> dict[str, Any]:
    """The terms a stored clock names by version: known to this process, else the deployment's own for the ticket
    if they are still that version, else the copy kept in the table (whose calendars this process then knows)."""
    from kefu.store import calendars, sla_terms

    found = sla_terms.known(version)
    if found is not None:
        return found
    current = _deployment_terms(clock)
    if current is not None and current[0] == version:
        sla_terms.keep(version, current[1])
        return current[1]
    kept = sla_terms.read(version)
    for calendar_version, content in kept.calendars.items():
        calendars.keep(calendar_version, _sla().BusinessCalendar.model_validate(content))
    sla_terms.keep(version, kept.terms)
    return kept.terms


def _deployment_terms(clock: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The terms the deployment gives a clock of the stored clock's priority, tier, category and start, by version
    and as its JSON has them (None when the deployment cannot start such a clock any more)."""
    sla = _sla()
    try:
        category = clock.get("category")
        fresh = sla.start(
            Priority(clock["priority"]),
            Tier(clock["tier"]),
            None if category is None else Category(category),
            datetime.fromisoformat(clock["startedAt"]),
        )
    except (KeyError, ValueError):  # a calendar or a value the deployment no longer has
        return None
    stored, terms = TicketClock(0, fresh).stored_form()
    return stored["terms"], terms


def _calendar(name: str, version: str, started_at: datetime) -> BusinessCalendar:
    """The calendar a clock names by version: known to this process, else the deployment's own if it is still that
    version, else the one kept in the table (for a clock stored before its terms were kept apart)."""
    from kefu.store import calendars

    found = calendars.known(version)
    if found is not None:
        return found
    sla = _sla()
    try:
        current = sla.calendar_as_of(sla.sla_config(), name, started_at)
    except KeyError:  # the deployment has no calendar of that name any more
        current = None
    if current is not None and current.version == version:
        calendars.keep(version, current)
        return current
    kept = sla.BusinessCalendar.model_validate(calendars.read(version))
    calendars.keep(version, kept)
    return kept


def clock_of(ticket: Ticket) -> TicketClock | None:
    """The ticket's clock; None for a ticket opened before clocks were kept."""
    return TicketClock.from_json(ticket.slaClock) if ticket.slaClock else None


def started(ticket: Ticket, config: SlaConfig | None = None) -> Ticket:
    """A new ticket with its clock started at its creation (the deployment's policies by default), and its view."""
    clock = _sla().start(ticket.priority, ticket.customerTier, ticket.category, ticket.createdAt, config)
    return ticket.model_copy(update=_stored(TicketClock(1, clock), ticket.sla, ticket.createdAt))


def transition_event(current: Status, target: Status) -> ClockEvent | None:
    """What a status change does to the clock: waiting on the customer stops it, a resolution ends it."""
    if target is Status.RESOLVED:
        return ClockEvent.RESOLUTION
    if current is Status.RESOLVED and target is Status.OPEN:
        return ClockEvent.REOPEN
    if target is Status.PENDING and current is not Status.PENDING:
        return ClockEvent.PAUSE
    if current is Status.PENDING and target is not Status.PENDING:
        return ClockEvent.RESUME
    return None


def moved(ticket: Ticket, sla: Sla, moment: datetime, event: ClockEvent) -> dict[str, Any]:
    """The updates (`slaClock`, `sla`) for `event` at `moment`; `sla` is the view as the change has it so far.

    Nothing for a ticket without a clock, or when the event changes nothing (a second answer, a pause while paused);
    otherwise the clock moves on to a new generation.
    """
    current = clock_of(ticket)
    if current is None:
        return {}
    sla_module = _sla()
    apply: Callable[[SlaClock, datetime], SlaClock] = {
        ClockEvent.PAUSE: sla_module.pause,
        ClockEvent.RESUME: sla_module.resume,
        ClockEvent.FIRST_RESPONSE: sla_module.record_first_response,
        ClockEvent.RESOLUTION: sla_module.record_resolution,
        ClockEvent.REOPEN: sla_module.reopen,
    }[event]
    clock = apply(current.clock, moment)
    if clock == current.clock:
        return {}
    return _stored(TicketClock(current.generation + 1, clock), sla, moment)


def replanned(
    ticket: Ticket,
    sla: Sla,
    moment: datetime,
    *,
    priority: Priority,
    category: Category | None,
    config: SlaConfig | None = None,
) -> dict[str, Any]:
    """The updates for a new priority or category: the policy chosen again from the ticket's creation, its pauses
    and events kept; a new generation only if the policy's targets differ. Nothing for a ticket without a clock."""
    current = clock_of(ticket)
    if current is None:
        return {}
    old = current.clock
    fresh = _sla().start(priority, old.tier, category, old.started_at, config)
    clock = replace(
        fresh,
        pauses=old.pauses,
        paused_at=old.paused_at,
        first_response_at=old.first_response_at,
        resolved_at=old.resolved_at,
    )
    if clock == old:
        return {}
    # The same policy with the same targets keeps the schedule (and the wake waiting for it).
    same = (clock.policy, clock.first_response, clock.resolution, clock.calendars) == (
        old.policy,
        old.first_response,
        old.resolution,
        old.calendars,
    )
    return _stored(TicketClock(current.generation + (0 if same else 1), clock), sla, moment)


def view(sla: Sla, clock: SlaClock, moment: datetime) -> Sla:
    """The view of the clock at `moment`: policy, due times (None while paused before them) and breaches."""
    return sla.model_copy(
        update={
            "policy": clock.policy,
            "firstResponseDue": clock.first_response_due,
            "resolutionDue": clock.resolution_due,
            "breaches": _sla().breaches(clock, moment),
        }
    )


def _stored(ticket_clock: TicketClock, sla: Sla, moment: datetime) -> dict[str, Any]:
    from kefu.store import calendars, sla_terms

    stored, terms = ticket_clock.stored_form()
    clock_calendars = ticket_clock.clock.calendars
    for calendar in clock_calendars.values():
        calendars.keep(calendar.version, calendar)

    def content() -> sla_terms.Kept:
        return sla_terms.Kept(terms, {calendar.version: calendar.content() for calendar in clock_calendars.values()})

    # The ticket's next write keeps the terms its clock names, with their calendars (once per process).
    sla_terms.remember(stored["terms"], terms, content)
    return {"slaClock": stored, "sla": view(sla, ticket_clock.clock, moment)}
