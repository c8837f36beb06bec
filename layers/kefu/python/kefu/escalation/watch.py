"""The domain table's stream, watched for clocks that change: each clock generation's wake scheduled and cancelled.

A ticket's clock (kefu.tickets.sla) waits for its next milestone, one generation at a time, as a one-time schedule
(kefu.escalation.wakes) that wakes the escalation task, which schedules the wake after it. From a stream record's
images:

- a new ticket whose clock has something to wait for: its first wake is scheduled (`<ticketId>-1-<time>`);
- a ticket whose clock moved to a new generation (answered, paused, resumed, resolved, reopened, given a new policy):
  the old generation's pending wake is deleted, if it had anything to wait for, and the new one's scheduled if it
  has. Resolving a ticket thus ends its escalation at once, without a further one; a pause ends it too, and the
  resume schedules a wake that counts from the new due times;
- a ticket resolved: its new generation's wake is its close after the quiet period (kefu.escalation.closing); a
  reopen deletes it as it deletes any other;
- any other change (an escalation, a note, a transfer, closing a resolved ticket): nothing.

The pending wake of the old generation is the one its plan names, worked out from the ticket as it was (the old
image): the task that scheduled it worked it out from the same ticket. Should a task schedule its next wake just after
the watcher deleted it (the ticket answered in between), that wake finds the generation gone and does nothing.
Redelivered records are harmless: a wake scheduled twice is one schedule (ConflictException: success), deleting one
that is gone is ResourceNotFoundException (success).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kefu.config import ESCALATION_FUNCTION_VAR, required, settings
from kefu.escalation import wakes
from kefu.escalation.plan import Plan, plan_for
from kefu.model.tickets import Ticket
from kefu.sla import EscalationStep, sla_config
from kefu.store.tickets import from_stream_image
from kefu.tickets.sla import clock_of


@dataclass(frozen=True)
class Orders:
    """What a change of a ticket does to its clock's waits."""

    #: The plan the previous generation waits on, to stop.
    stop: Plan | None = None
    #: The plan of the new generation, to start.
    start: Plan | None = None


def orders(
    old: Ticket | None, new: Ticket, ladder: Sequence[EscalationStep], *, close_after: timedelta | None = None
) -> Orders:
    """The waits to stop and start for a ticket that was `old` (None: just opened) and is now `new`; with
    `close_after`, a resolved ticket's generation waits to close it (kefu.escalation.closing)."""
    old_clock = clock_of(old) if old is not None else None
    new_clock = clock_of(new)
    old_generation = old_clock.generation if old_clock else None
    new_generation = new_clock.generation if new_clock else None
    if old is not None and old_generation == new_generation:
        return Orders()
    stop = None
    if old is not None and old_generation is not None:
        pending = plan_for(old, old_generation, ladder, close_after=close_after)
        stop = None if pending.done else pending
    start = None
    if new_generation is not None:
        plan = plan_for(new, new_generation, ladder, close_after=close_after)
        start = None if plan.done else plan
    return Orders(stop=stop, start=start)


def follow(old: Ticket | None, new: Ticket) -> Orders:
    """Carry out the orders for this change of a ticket."""
    config = sla_config()
    found = orders(old, new, config.escalation, close_after=config.auto_close_after_duration)
    if found.stop:
        wakes.cancel(found.stop, f"the SLA clock of {new.id} moved on ({new.status.value})")
    if found.start:
        wakes.schedule(found.start, required(settings().escalation_function_arn, ESCALATION_FUNCTION_VAR))
    return found


def follow_change(change: Mapping[str, Any]) -> tuple[Ticket, Orders]:
    """`follow` for a table stream record's `dynamodb` part: the ticket as written, and what was started or stopped."""
    new = from_stream_image(change["NewImage"])
    old = from_stream_image(change["OldImage"]) if "OldImage" in change else None
    return new, follow(old, new)
