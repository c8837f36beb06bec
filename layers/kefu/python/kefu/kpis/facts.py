"""What one ticket contributes to the service KPIs ("facts"), computed from the ticket and its timeline alone, plus
the customer's later tickets for first-contact resolution. Pure: no I/O, every instant comes from the data.

The definitions (also in the README and the OpenAPI description of `GET /reports/kpis`):

- first response: the first public reply by a person (an agent, supervisor or admin; automatic acknowledgements
  and system authors excluded), from the ticket's creation; wall-clock, and business time on the calendar of the
  ticket's first-response target; within target when it came no later than the SLA clock's first-response due time.
- resolution: from creation to the last resolution, for a ticket resolved (or closed) now; a reopened ticket counts
  again only once resolved again. Within target: resolved no later than the clock's resolution due time.
- handle time: the seconds agents worked the ticket: `metadata.handleSeconds` on intake messages (calls, chats) plus
  the seconds recorded with `POST /tickets/{id}/work`.
- first-contact resolution: resolved now, by the group it was first routed to, never reopened, no follow-up ticket,
  and no other ticket of the same customer in the same category opened within 7 days after its resolution.
- breaches: the targets the ticket's SLA view lists as missed (`sla.breaches`, kept by every write that moves the
  clock, so an escalation's breach counts once it is on the ticket).
- escalations: the escalation steps that raised the ticket's level, by the level reached.
- complaints: tickets of the category `complaint`; closed within 48 h when the ticket is closed (by its customer, or
  on its own after the quiet period without a word from them: kefu.escalation.closing) and the resolution it closed
  on came within 48 hours of its creation. Until it closes, a resolved complaint does not count as a closed loop.
- surveys: each answer's CSAT (1-5) and NPS (0-10), on the day it was answered.
- deflections: a ticket resolved now with the resolution kind `self-service` (its customer said a knowledge-base
  article answered them); the new-ticket form's deflections, which no ticket holds, are tallies (kefu.kpis.tallies).
- backlog: at the end of each desk day, the tickets created by then and not resolved or closed, by age in desk days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard

from kefu.model.tickets import Category, EntryKind, ResolutionKind, Status, Ticket, TimelineEntry

#: A later ticket of the customer in the same category within this long after a resolution is a repeat contact.
REPEAT_WINDOW = timedelta(days=7)
#: The complaint loop: resolved within this long of creation.
COMPLAINT_LOOP = timedelta(hours=48)
#: A work record or a contact system's handle time larger than this is not believed (a day of one ticket).
MAX_HANDLE_SECONDS = 86_400
_PEOPLE = frozenset({"agent", "supervisor", "admin"})
_RESOLVED = frozenset({Status.RESOLVED, Status.CLOSED})


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    created_at: datetime
    channel: str
    category: str
    priority: str
    group: str
    agent: str
    complaint: bool
    first_response_at: datetime | None = None
    first_response_business_seconds: int | None = None
    first_response_within: bool | None = None
    first_response_breached: bool = False
    resolved_at: datetime | None = None
    first_resolved_at: datetime | None = None
    resolution_business_seconds: int | None = None
    resolution_within: bool | None = None
    resolution_breached: bool = False
    reopened: bool = False
    #: The ticket is closed: its loop formally ended.
    closed: bool = False
    fcr: bool = False
    handle_seconds: int = 0
    #: (instant, level reached) of each escalation that raised the level.
    escalations: tuple[tuple[datetime, int], ...] = ()
    #: (instant, csat, nps or None) of each survey answer.
    surveys: tuple[tuple[datetime, int, int | None], ...] = ()
    #: The status changes that move the ticket in or out of the backlog: (instant, open afterwards).
    openings: tuple[tuple[datetime, bool], ...] = field(default=())
    #: Resolved now by self-service: the customer said an offered article answered them (a deflection).
    self_service: bool = False

    @property
    def first_response_seconds(self) -> int | None:
        return _seconds(self.created_at, self.first_response_at)

    @property
    def resolution_seconds(self) -> int | None:
        return _seconds(self.created_at, self.resolved_at)

    @property
    def complaint_closed_within_48h(self) -> bool:
        return self.closed and self.resolved_at is not None and self.resolved_at - self.created_at <= COMPLAINT_LOOP

    def open_at_end_of(self, day: date, zone) -> bool:
        """Whether the ticket was in the backlog at the end of the desk day `day`."""
        if self.created_at.astimezone(zone).date() > day:
            return False
        state = True
        for at, is_open in self.openings:
            if at.astimezone(zone).date() > day:
                break
            state = is_open
        return state


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def facts_of(ticket: Ticket, entries: Sequence[TimelineEntry], later_tickets: Iterable[Ticket] = ()) -> TicketFacts:
    """The ticket's facts; `entries` is its whole timeline in order, `later_tickets` the customer's tickets opened
    after it (only those within 7 days of its resolution, in its category, matter)."""
    first_reply = next((e for e in entries if _is_person_reply(e)), None)
    openings = tuple(_openings(entries))
    resolutions = [e.createdAt for e in entries if _status_to(e) == Status.RESOLVED.value]
    resolved_at = (resolutions[-1] if resolutions else ticket.sla.resolvedAt) if ticket.status in _RESOLVED else None
    first_resolved_at = resolutions[0] if resolutions else resolved_at
    reopened = any(_is_reopen(e) for e in entries)
    clock = _clock(ticket)
    first_response_at = first_reply.createdAt if first_reply else None
    facts = TicketFacts(
        ticket_id=ticket.id,
        created_at=ticket.createdAt,
        channel=ticket.channel.value,
        category=ticket.category.value if ticket.category else "none",
        priority=ticket.priority.value,
        group=ticket.groupId or "none",
        agent=ticket.ownerId or ticket.assigneeId or "none",
        complaint=ticket.category is Category.COMPLAINT,
        first_response_at=first_response_at,
        first_response_business_seconds=_business(clock, "first_response", ticket.createdAt, first_response_at),
        first_response_within=_within(clock, "first_response", first_response_at),
        first_response_breached="first_response" in ticket.sla.breaches,
        resolved_at=resolved_at,
        first_resolved_at=first_resolved_at,
        resolution_business_seconds=_business(clock, "resolution", ticket.createdAt, resolved_at),
        resolution_within=_within(clock, "resolution", resolved_at),
        resolution_breached="resolution" in ticket.sla.breaches,
        reopened=reopened,
        closed=ticket.status is Status.CLOSED,
        handle_seconds=sum(_handle_seconds(e) for e in entries),
        escalations=tuple(
            (e.createdAt, int(e.data["level"]))
            for e in entries
            if e.kind is EntryKind.ESCALATION and e.data.get("action") == "raise_level" and _is_int(e.data.get("level"))
        ),
        surveys=tuple(_answers(entries)),
        openings=openings,
        self_service=(
            resolved_at is not None
            and ticket.resolution is not None
            and ticket.resolution.kind is ResolutionKind.SELF_SERVICE
        ),
    )
    fcr = (
        resolved_at is not None
        and not reopened
        and _first_group(entries, ticket) == ticket.groupId
        and not any(e.kind is EntryKind.LINK and e.data.get("followUp") for e in entries)
        and not any(_repeats(ticket, resolved_at, later) for later in later_tickets)
    )
    return replace(facts, fcr=fcr)


def _repeats(ticket: Ticket, resolved_at: datetime, later: Ticket) -> bool:
    """A repeat contact: another ticket of the customer, same category, opened after the resolution, within 7 days."""
    return (
        later.id != ticket.id
        and later.customerId == ticket.customerId
        and later.category == ticket.category
        and resolved_at < later.createdAt <= resolved_at + REPEAT_WINDOW
    )


def _is_person_reply(entry: TimelineEntry) -> bool:
    return (
        entry.kind is EntryKind.REPLY
        and entry.visibility.value == "public"
        and entry.authorRole in _PEOPLE
        and not (entry.authorId or "").startswith("system:")
        and not entry.data.get("automatic")
    )


def _status_to(entry: TimelineEntry) -> str | None:
    return entry.data.get("to") if entry.kind is EntryKind.STATUS else None


def _is_reopen(entry: TimelineEntry) -> bool:
    return (
        entry.kind is EntryKind.STATUS
        and entry.data.get("from") in ("resolved", "closed")
        and (entry.data.get("to") not in ("resolved", "closed"))
    )


def _openings(entries: Sequence[TimelineEntry]) -> Iterable[tuple[datetime, bool]]:
    for entry in entries:
        target = _status_to(entry)
        if target is not None:
            yield entry.createdAt, target not in ("resolved", "closed")


def _first_group(entries: Sequence[TimelineEntry], ticket: Ticket) -> str | None:
    """The group the ticket was first routed to: the routing entry's, else the first transfer's origin."""
    for entry in entries:
        if entry.kind is EntryKind.ROUTING and entry.data.get("group"):
            return entry.data["group"]
        if entry.kind in (EntryKind.TRANSFER, EntryKind.ESCALATION) and entry.data.get("fromGroup"):
            return entry.data["fromGroup"]
    return ticket.groupId


def _handle_seconds(entry: TimelineEntry) -> int:
    if entry.kind is EntryKind.WORK:
        value = entry.data.get("seconds")
    elif entry.kind is EntryKind.MESSAGE:
        metadata = entry.data.get("metadata")
        value = metadata.get("handleSeconds") if isinstance(metadata, dict) else None
    else:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if 0 < value <= MAX_HANDLE_SECONDS else 0


def _answers(entries: Sequence[TimelineEntry]) -> Iterable[tuple[datetime, int, int | None]]:
    for entry in entries:
        if entry.kind is not EntryKind.SURVEY or entry.data.get("event") != "answered":
            continue
        csat, nps = entry.data.get("csat"), entry.data.get("nps")
        if _is_int(csat) and 1 <= csat <= 5:
            yield entry.createdAt, int(csat), int(nps) if _is_int(nps) and 0 <= nps <= 10 else None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _clock(ticket: Ticket):
    from kefu.tickets.sla import clock_of

    current = clock_of(ticket)
    return current.clock if current else None


def _business(clock, kind: str, start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    if clock is None:
        return _seconds(start, end)
    from kefu.sla import MilestoneKind, business_time_between

    calendar = clock.calendar_of(MilestoneKind(kind))
    return int(business_time_between(start, end, calendar).total_seconds())


def _within(clock, kind: str, at: datetime | None) -> bool | None:
    if at is None or clock is None:
        return None
    from kefu.sla import MilestoneKind

    due = clock.due(MilestoneKind(kind))
    return due is not None and at <= due


def facts_json(facts: TicketFacts) -> dict[str, Any]:
    """The facts as plain JSON (instants as ISO strings): what the store keeps, and how two versions compare. A fact
    at its default (no first response yet, not breached, no survey, ...) is left out: the item that keeps them is
    written, doubled in a transaction, at every change of the ticket that moves a counter, and under 1 KB it is one
    unit a copy instead of two (issue 22)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [plain(part) for part in value]
        return value

    # A field without a default compares unequal to dataclasses.MISSING: always kept.
    return {spec.name: plain(value) for spec in fields(facts) if (value := getattr(facts, spec.name)) != spec.default}
