"""A deferred notice comes back when it is due: a one-time EventBridge Scheduler schedule (`at(…)`, deleted after it
fires) sends `{"wake": {"ticketId", "due"}}` to the notifications queue, and the function sends the ticket's notice
waiting then (kefu.notifications.service.wake). Nothing is dropped: the notice waits in its ticket's notice state,
and the schedule's name (ticket and due time) makes creating it twice harmless."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from kefu import schedules
from kefu.clock import iso
from kefu.config import NOTICES_QUEUE_ARN_VAR, NOTICES_SCHEDULER_ROLE_VAR, required, settings

#: Every wake-up schedule's name starts so (the function may create only these).
PREFIX = "kefu-notice-"
GROUP = "default"


def schedule_name(ticket_id: str, due: datetime) -> str:
    return f"{PREFIX}{ticket_id}-{due.astimezone(UTC):%Y%m%d%H%M%S}"


def fire_time(due: datetime) -> datetime:
    """`due` rounded up to the second (`at()` takes seconds): a wake-up never comes before its notice is due."""
    due = due.astimezone(UTC)
    return datetime.fromtimestamp(math.ceil(due.timestamp()), UTC) if due.microsecond else due


def wake_message(ticket_id: str, due: datetime) -> dict[str, Any]:
    return {"wake": {"ticketId": ticket_id, "due": iso(due)}}


def schedule_wake(ticket_id: str, due: datetime) -> str:
    """Create the wake-up for the ticket's notice due at `due` (an existing one of the same name is kept)."""
    when = fire_time(due)
    name = schedule_name(ticket_id, when)
    schedules.create_once(
        name,
        GROUP,
        when,
        f"The customer notice of ticket {ticket_id} deferred until {iso(when)}",
        {
            "Arn": required(settings().notices_queue_arn, NOTICES_QUEUE_ARN_VAR),
            "RoleArn": required(settings().notices_scheduler_role_arn, NOTICES_SCHEDULER_ROLE_VAR),
            "RetryPolicy": {
                "MaximumRetryAttempts": 10,
                "MaximumEventAgeInSeconds": int(timedelta(hours=6).total_seconds()),
            },
        },
        wake_message(ticket_id, when),
    )
    return name
