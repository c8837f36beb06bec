"""Resolved tickets close on their own after a quiet period (`sla.auto_close_after`, 7 days by default) unless the
customer writes: the loop formally ends there, and a complaint's 48-hour loop counts as closed only then (kefu.kpis).

Run by a wake of the ticket's clock (kefu.escalation.wakes): resolving a ticket moves its SLA clock to a new
generation, for which the stream watcher creates a one-time EventBridge Scheduler schedule at the resolution plus the
quiet period; it invokes the escalation task, which closes the ticket if that generation is still the ticket's and
it is still resolved. A customer message within the reopen window reopens the ticket (kefu.tickets.conversation): its
clock moves on, the watcher deletes the pending schedule, and the wait starts again at the next resolution; so does
an agent's reopen. A ticket closed meanwhile (by its customer, or an agent) is left as it is when the wake comes.

Why this and not a scheduled sweep over the resolved-by-day index: one schedule per resolved ticket (created and
fired once, no polling), exact to the minute (Scheduler's precision), cancelled by exactly the events that must
cancel it, and fired locally by the local stack's scheduler on the same `KEFU_TIME_SCALE` clock. A sweep would read
every day's partition on each run and close up to a run's interval late. Why not the Standard execution that waited
for it before (issue 22): its start, task, Choice and end were 4 state transitions ($1.00 per 10,000 tickets), where
the schedule costs one Scheduler invocation ($0.01 per 10,000).
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
