"""Resolved tickets close on their own after a quiet period (`sla.auto_close_after`, 7 days by default) unless the
customer writes: the loop formally ends there, and a complaint's 48-hour loop counts as closed only then (kefu.kpis).

Run by what already keeps each ticket's time, the escalation state machine: resolving a ticket moves its SLA clock to
a new generation, whose execution (started by the stream watcher like any other) waits until the resolution plus the
quiet period and then closes the ticket if that generation is still the ticket's and it is still resolved. A customer
message within the reopen window reopens the ticket (kefu.tickets.conversation): its clock moves on, the watcher
stops the waiting execution, and the wait starts again at the next resolution; so does an agent's reopen. A ticket
closed meanwhile (by its customer, or an agent) is left as it is when the wait ends.

Why this and not a scheduled sweep over the resolved-by-day index: one Wait per resolved ticket (two state transitions
to start and end, no polling), exact to the second, stopped by exactly the events that must cancel it, and run
locally by the same Step Functions emulation as the escalations, with the same `KEFU_TIME_SCALE` clock. A sweep
would read every day's partition on each run and close up to a run's interval late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu.escalation.plan import closing_at
from kefu.model.tickets import Status, Ticket
from kefu.tickets.writes import Change, status_draft


def closed_if_due(ticket: Ticket, generation: int, close_after: timedelta, moment: datetime) -> Change | None:
    """The ticket closed, if its quiet period is over at `moment`; the status entry says why (customers see it)."""
    due = closing_at(ticket, generation, close_after)
    if due is None or moment < due:
        return None
    sla = ticket.sla.model_copy(update={"closedAt": moment})
    updated = ticket.model_copy(update={"status": Status.CLOSED, "updatedAt": moment, "sla": sla})
    reason = f"closed automatically: resolved {_spoken(close_after)} ago without a word from the customer"
    return Change(updated, [status_draft(Status.RESOLVED, Status.CLOSED, reason=reason)])


def _spoken(amount: timedelta) -> str:
    """A quiet period as people say it: "7 days", "12 hours", "20 minutes" (the largest whole unit)."""
    seconds = int(amount.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
