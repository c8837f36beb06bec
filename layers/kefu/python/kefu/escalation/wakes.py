"""A ticket clock's wakes: one-time EventBridge Scheduler schedules that invoke the escalation task with a plan.

Each wake a plan asks for (kefu.escalation.plan) is a schedule `at(<wakeAt>)` in the stage's escalation schedule
group, named `<ticketId>-<generation>-<wakeAt as yyyymmddHHMMSS>`, whose input is the plan's document and whose
target is the escalation task function; Scheduler deletes it once it has fired (`ActionAfterCompletion: DELETE`).
The name makes every order safe to repeat:

- creating a wake that exists is ConflictException: success (a redelivered stream record, a retried task);
- deleting one that does not exist is ResourceNotFoundException: success (it fired, or was never made);
- a wake whose time has passed or is about to (an overdue milestone, a task that ran late) is made for a minute from
  now: Scheduler refuses or never fires a one-time schedule whose moment is past (it invokes with a minute's
  precision anyway). On a faster clock (`KEFU_TIME_SCALE`, locally) that is at least 2 real seconds: time enough for
  the schedule to be made and seen by the local scheduler before its moment, on a loaded machine too;
- the task's next wake never takes the name of the one that woke it, which Scheduler deletes after it fired: the
  next plan is a later milestone, hence a later time (a wake that came before its time is retried instead,
  kefu.escalation.service.WokeEarly).

A wake Scheduler cannot deliver (the function throttled or unavailable) is retried by its retry policy, then sent to
the escalation dead-letter queue with the error; a task that fails is retried by Lambda (an asynchronous invocation,
twice), then sent to the same queue with its error message. Both are alarmed. Why schedules and not a Standard
execution per clock generation: Scheduler's API calls are free and a fired schedule costs $1 per million, where each
wake of an execution cost three state transitions ($0.025 per 1,000) and its start and end one each
(infra/kefu_infra/capabilities/escalation.py has the arithmetic).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu import clock, schedules
from kefu.config import (
    ESCALATION_DEAD_LETTERS_VAR,
    ESCALATION_SCHEDULE_GROUP_VAR,
    ESCALATION_SCHEDULER_ROLE_VAR,
    required,
    settings,
)
from kefu.escalation.plan import Plan
from kefu.observability import logger

#: Scheduler's retries of a wake it could not deliver, and how old a wake may get before it goes to the DLQ.
RETRY_ATTEMPTS = 10
MAX_EVENT_AGE_SECONDS = 6 * 3600
#: The soonest a wake is made for: a moment already past would never fire. On a faster clock, at least so many real
#: seconds from now.
SOONEST = timedelta(minutes=1)
SOONEST_REAL_SECONDS = 2


def schedule_name(plan: Plan) -> str:
    """`<ticketId>-<generation>-<yyyymmddHHMMSS>` (at most 64 characters of `[0-9A-Za-z_.-]`, as Scheduler allows)."""
    if plan.wakeAt is None:
        raise ValueError(f"the plan of {plan.ticketId} waits for nothing")
    return f"{plan.ticketId}-{plan.generation}-{_moment(plan.wakeAt):%Y%m%d%H%M%S}"


def schedule(plan: Plan, task_arn: str) -> str:
    """Create the wake `plan` asks for, invoking the escalation task `task_arn` (an existing one is kept)."""
    name = schedule_name(plan)
    assert plan.wakeAt is not None  # schedule_name refused a plan without one
    soonest = max(SOONEST, timedelta(seconds=SOONEST_REAL_SECONDS * clock.scale()))
    fire = max(_moment(plan.wakeAt), clock.now().replace(microsecond=0) + soonest)
    config = settings()
    created = schedules.create_once(
        name,
        _group(),
        fire,
        f"Ticket {plan.ticketId}, clock generation {plan.generation}: {plan.milestone}",
        {
            "Arn": task_arn,
            "RoleArn": required(config.escalation_scheduler_role_arn, ESCALATION_SCHEDULER_ROLE_VAR),
            "RetryPolicy": {"MaximumRetryAttempts": RETRY_ATTEMPTS, "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS},
            "DeadLetterConfig": {"Arn": required(config.escalation_dead_letters_arn, ESCALATION_DEAD_LETTERS_VAR)},
        },
        plan.document(),
    )
    if created:
        logger.info("escalation wake scheduled", extra={"schedule": name, "wakeAt": plan.wakeAt})
    else:
        logger.info("escalation wake already scheduled", extra={"schedule": name})
    return name


def cancel(plan: Plan, cause: str) -> str:
    """Delete the wake `plan` asked for, if it has not fired yet."""
    name = schedule_name(plan)
    if schedules.delete(name, _group()):
        logger.info("escalation wake cancelled", extra={"schedule": name, "cause": cause})
    else:
        logger.info("escalation wake to cancel is not there", extra={"schedule": name})
    return name


def _group() -> str:
    return required(settings().escalation_schedule_group, ESCALATION_SCHEDULE_GROUP_VAR)


def _moment(wake_at: str) -> datetime:
    return datetime.fromisoformat(wake_at.replace("Z", "+00:00"))
