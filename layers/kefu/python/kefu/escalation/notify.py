"""Escalations announced: a metric per ladder step, a notification per step on the escalation topic (SNS), and the
step's notice mailed to the people it tells (kefu.escalation.notices).

Each notification carries message attributes that subscriptions filter on: `action` (warn_owner,
notify_supervisor, raise_level, move_to_group), `milestone` ("resolution:100"), `ticketId`, `groupId` (the group
the ticket is in once escalated) and `ownerId`. An owner's alert subscribes to `ownerId`, a group supervisor's to
`groupId` with `action` notify_supervisor, a manager's dashboard to everything.

Called once the escalation is written: a notification that cannot be sent is not sent again (the write recorded its
milestone), and NotificationFailed fails the task, so the function's error alarm tells the operators.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from kefu.clock import iso
from kefu.config import ESCALATION_TOPIC_VAR, settings
from kefu.escalation import notices
from kefu.model.tickets import Ticket
from kefu.observability import metrics
from kefu.sla import EscalationStep, Milestone

#: SNS takes at most ten messages per PublishBatch.
_BATCH = 10


class NotificationFailed(Exception):
    """Escalation notifications that SNS did not take (the escalations themselves are written)."""


class Taken(NamedTuple):
    """A ladder step taken at a milestone, with the data its timeline entry records."""

    # A named tuple, as Notice and Escalation (kefu.escalation.service says why).

    milestone: Milestone
    step: EscalationStep
    data: dict[str, Any]
    #: The step as its timeline entry says it (the notice's text).
    said: str = ""


@cache
def _sns():
    from kefu.store.clients import shared_client

    return shared_client("sns", settings().region)


def announce(ticket: Ticket, taken: Sequence[Taken]) -> None:
    """Count and publish the steps just written on `ticket` (as it was saved)."""
    for each in taken:
        with single_metric(name="Escalations", unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
            metric.add_dimension(name="action", value=str(each.step.action))
            metric.add_dimension(name="milestone", value=each.milestone.key)
    if not taken:
        return
    unmailed = [failure for each in taken for failure in _mailed(ticket, each)]
    topic = settings().escalation_topic_arn
    if not topic:
        raise NotificationFailed(f"escalations of {ticket.id} not announced: {ESCALATION_TOPIC_VAR} is unset")
    entries = [_entry(str(index), ticket, each.data) for index, each in enumerate(taken)]
    failed: list[str] = []
    for batch in _batches(entries):
        response = _sns().publish_batch(TopicArn=topic, PublishBatchRequestEntries=batch)
        failed += [f"{f.get('Code')}: {f.get('Message')}" for f in response.get("Failed", [])]
    if failed:
        raise NotificationFailed(f"{len(failed)} escalation notification(s) of {ticket.id} not sent: {failed}")
    if unmailed:
        raise NotificationFailed(f"{len(unmailed)} escalation notice(s) of {ticket.id} not mailed: {unmailed}")


def _mailed(ticket: Ticket, taken: Taken) -> list[str]:
    """The step's notice mailed to the people its entry names (kefu.escalation.notices); what failed."""
    people = taken.data.get("notified") or []
    if not people:
        return []
    return notices.mail(ticket, taken.said, notices.addressed(people))


def message(ticket: Ticket, data: dict[str, Any]) -> dict[str, Any]:
    """What a notification says: the step as written on the timeline, and the ticket as it is now."""
    return {
        **data,
        "ticketId": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "category": ticket.category.value if ticket.category else None,
        "groupId": ticket.groupId,
        "ownerId": ticket.ownerId,
        "assigneeId": ticket.assigneeId,
        "escalationLevel": ticket.escalationLevel,
        "at": iso(ticket.updatedAt),
    }


def _entry(entry_id: str, ticket: Ticket, data: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        "action": data["action"],
        "milestone": data["key"],
        "ticketId": ticket.id,
        "groupId": ticket.groupId,
        "ownerId": ticket.ownerId,
    }
    return {
        "Id": entry_id,
        # ASCII and under 100 characters, as SNS requires of a subject (the ticket's own subject is in the message).
        "Subject": f"kefu {ticket.id}: {data['key']} {data['action']}",
        "Message": json.dumps(message(ticket, data), ensure_ascii=False),
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
        },
    }


def _batches(entries: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(entries), _BATCH):
        yield entries[start : start + _BATCH]
