"""What a ticket's clock waits for next: the plan of its next wake, and how it is worked out from a ticket.

A plan belongs to one generation of a ticket's clock (kefu.tickets.sla): its wake is a one-time schedule named
`<ticketId>-<generation>-<time>` (kefu.escalation.wakes), so the stream watcher creating it twice (a redelivered
record) finds it already there, and the plans of a generation are done as soon as the ticket's clock has moved on
to another generation, or the ticket is resolved (but for its close) or closed.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.tickets import Status, Ticket
from kefu.sla import EscalationStep, next_milestone
from kefu.tickets.sla import TicketClock, clock_of

#: Statuses whose clock has nothing left to wait for.
_FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})


class Plan(BaseModel):
    """A wake's input, and what the task answers: `{"ticketId", "generation", "done", "wakeAt", "milestone"}`.
    `wakeAt` (whole seconds, UTC: the schedule's `at()`) and `milestone` (its key, for people reading the schedule)
    are given while `done` is false."""

    model_config = ConfigDict(extra="ignore")

    ticketId: str = Field(min_length=1, max_length=64)
    generation: int = Field(ge=1)
    done: bool = False
    wakeAt: str | None = None
    milestone: str | None = None

    @classmethod
    def finished(cls, ticket_id: str, generation: int) -> Self:
        return cls(ticketId=ticket_id, generation=generation, done=True)

    def document(self) -> dict:
        """The plan as JSON (`done` always there)."""
        return self.model_dump(mode="json", exclude_none=True)


def wake_time(at: datetime) -> str:
    """A milestone's moment as a wake's time: rounded up to the second (`at()` takes whole seconds), so it never wakes
    early."""
    at = at.astimezone(UTC)
    if at.microsecond:
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def closing_at(ticket: Ticket, generation: int, close_after: timedelta | None) -> datetime | None:
    """When a ticket resolved under this generation of its clock closes on its own (None: it is not resolved, or
    its clock has moved on since, or nothing closes by itself)."""
    if close_after is None or ticket.status is not Status.RESOLVED or ticket.sla.resolvedAt is None:
        return None
    clock = clock_of(ticket)
    if clock is None or clock.generation != generation:
        return None
    return ticket.sla.resolvedAt + close_after


def current_clock(ticket: Ticket, generation: int) -> TicketClock | None:
    """The ticket's clock if `generation` is still the one it runs and the ticket is not resolved or closed."""
    clock = clock_of(ticket)
    if clock is None or clock.generation != generation or ticket.status in _FINISHED:
        return None
    return clock


#: The milestone a resolved ticket's clock waits for: its close after the quiet period (kefu.escalation.closing).
CLOSE = "close"


def plan_for(
    ticket: Ticket, generation: int, ladder: Sequence[EscalationStep], *, close_after: timedelta | None = None
) -> Plan:
    """The next milestone not escalated yet (possibly overdue: its wake is made for a minute from now), the close of
    a resolved ticket when `close_after` is given, or done."""
    closing = closing_at(ticket, generation, close_after)
    if closing is not None:
        return Plan(ticketId=ticket.id, generation=generation, wakeAt=wake_time(closing), milestone=CLOSE)
    clock = current_clock(ticket, generation)
    following = clock and next_milestone(clock.clock, ladder, ticket.sla.escalated)
    if not following:
        return Plan.finished(ticket.id, generation)
    return Plan(
        ticketId=ticket.id,
        generation=generation,
        wakeAt=wake_time(following.at),
        milestone=following.key,
    )
