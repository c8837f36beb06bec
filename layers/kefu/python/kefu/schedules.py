"""One-time EventBridge Scheduler schedules: the wakes of tickets' clocks (kefu.escalation.wakes) and of deferred
customer notices (kefu.notifications.wakeups) are made and removed the same way, each by its own name and target."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from kefu.config import settings


def create_once(
    name: str, group: str, when: datetime, description: str, target: dict[str, Any], message: dict[str, Any]
) -> bool:
    """Create the schedule `name` to deliver `message` to `target` once at `when` (to the second, UTC), deleted by
    Scheduler after it fires; False if a schedule of that name is already there (a redelivered request: success)."""
    try:
        _scheduler().create_schedule(
            Name=name,
            GroupName=group,
            ScheduleExpression=f"at({when.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Description=description,
            Target={**target, "Input": json.dumps(message)},
        )
    except ClientError as err:
        if _code(err) != "ConflictException":
            raise
        return False
    return True


def delete(name: str, group: str) -> bool:
    """Delete the schedule `name` if it has not fired yet; False if it is not there (fired, or deleted before)."""
    try:
        _scheduler().delete_schedule(Name=name, GroupName=group)
    except ClientError as err:
        if _code(err) != "ResourceNotFoundException":
            raise
        return False
    return True


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


@cache
def _scheduler() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("scheduler", settings().region)
