"""The domain table's stream, watched for clocks that change: the escalation executions and wakes started and stopped.

A ticket's execution follows one generation of its clock (kefu.tickets.sla). From a stream record's images:

- a new ticket whose clock has something to wait for: its execution starts (`<ticketId>-1`);
- a ticket whose clock moved to a new generation (answered, paused, resumed, resolved, reopened, given a new policy):
  the old generation's execution is stopped, if it had anything to wait for, and the new one's started if it has.
  Resolving a ticket thus ends its execution at once, without a further escalation; a pause ends it too, and the
  resume starts one that counts from the new due times;
- a ticket resolved: its new generation waits to close it after the quiet period (kefu.escalation.closing), not in an
  execution but as a one-time schedule (kefu.escalation.wakes); a reopen deletes that schedule;
- any other change (an escalation, a note, a transfer, closing a resolved ticket): nothing.

Redelivered records are harmless: starting an execution by a name already taken is ExecutionAlreadyExists (success),
stopping one that does not exist is ExecutionDoesNotExist (success), and a wake's schedule is named as uniquely
(kefu.escalation.wakes). The execution's input is the plan of its first wake (kefu.escalation.plan), so it begins with
its Wait state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from kefu.config import ESCALATION_FUNCTION_VAR, ESCALATION_STATE_MACHINE_VAR, required, settings
from kefu.escalation import wakes
from kefu.escalation.plan import CLOSE, Plan, plan_for
from kefu.model.tickets import Ticket
from kefu.observability import logger
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
        cause = f"the SLA clock of {new.id} moved on ({new.status.value})"
        if found.stop.milestone == CLOSE:
            wakes.cancel(found.stop, cause)
        else:
            _stop(found.stop.execution_name, cause)
    if found.start:
        if found.start.milestone == CLOSE:
            wakes.schedule(found.start, required(settings().escalation_function_arn, ESCALATION_FUNCTION_VAR))
        else:
            _start(found.start)
    return found


def follow_change(change: Mapping[str, Any]) -> tuple[Ticket, Orders]:
    """`follow` for a table stream record's `dynamodb` part: the ticket as written, and what was started or stopped."""
    new = from_stream_image(change["NewImage"])
    old = from_stream_image(change["OldImage"]) if "OldImage" in change else None
    return new, follow(old, new)


@cache
def _states():
    from kefu.store.clients import boto3_client

    return boto3_client("stepfunctions", region_name=settings().region)


def _state_machine() -> str:
    arn = settings().escalation_state_machine_arn
    if not arn:
        raise RuntimeError(f"{ESCALATION_STATE_MACHINE_VAR} is unset: the watcher does not know the state machine")
    return arn


def _start(plan: Plan) -> None:
    client = _states()
    try:
        client.start_execution(
            stateMachineArn=_state_machine(), name=plan.execution_name, input=json.dumps(plan.document())
        )
    except client.exceptions.ExecutionAlreadyExists:
        logger.info("escalation execution already started", extra={"execution": plan.execution_name})
        return
    logger.info("escalation execution started", extra={"execution": plan.execution_name, "wakeAt": plan.wakeAt})


def _stop(name: str, cause: str) -> None:
    client = _states()
    # arn:aws:states:<region>:<account>:stateMachine:<machine> → …:execution:<machine>:<name>
    execution = _state_machine().replace(":stateMachine:", ":execution:", 1) + f":{name}"
    try:
        client.stop_execution(executionArn=execution, error="Kefu.ClockMovedOn", cause=cause)
    except client.exceptions.ExecutionDoesNotExist:
        logger.info("escalation execution to stop does not exist", extra={"execution": name})
        return
    logger.info("escalation execution stopped", extra={"execution": name, "cause": cause})
