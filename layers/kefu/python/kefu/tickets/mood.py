"""Every customer message read for emotion and threats (kefu.routing.worsening), and what it does to the ticket:
its sentiment follows the message, a first worsening raises its priority once (the SLA policy chosen again, as a
priority change by an agent does), and any change is an internal entry on the timeline with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.model.tickets import EntryKind, Ticket, Visibility
from kefu.tickets import sla as sla_clock
from kefu.tickets.writes import Draft


def reassessed(ticket: Ticket, body: str, moment: datetime) -> tuple[dict[str, Any], list[Draft]]:
    """The updates and the timeline entry a customer's message `body` makes on `ticket` (as it stands with the
    message's other effects applied); nothing when the message changes nothing the ticket knows of its mood."""
    # Imported here: the routing rules cost ~13 ms of import that reads which never see a message would pay.
    from kefu.routing import reassess

    found = reassess(
        body,
        sentiment=ticket.sentiment,
        threat=ticket.threat,
        priority=ticket.priority,
        already_raised=ticket.worseningRaised,
    )
    if not found.changed:
        return {}, []
    sentiment = found.emotion.sentiment.value
    updates: dict[str, Any] = {"sentiment": sentiment, "threat": ticket.threat or found.emotion.threat}
    changes: dict[str, Any] = {}
    if sentiment != ticket.sentiment:
        changes["sentiment"] = {"from": ticket.sentiment, "to": sentiment}
    if found.priority != ticket.priority:
        changes["priority"] = {"from": ticket.priority.value, "to": found.priority.value}
        updates["priority"] = found.priority
        updates["worseningRaised"] = True
        updates.update(
            sla_clock.replanned(ticket, ticket.sla, moment, priority=found.priority, category=ticket.category)
        )
    data = {
        "changes": changes,
        "reason": found.reason,
        "by": "emotion",
        "worsened": found.worsened,
        "threat": found.emotion.threat,
        "cues": [list(cue) for cue in found.emotion.cues[:5]],
    }
    return updates, [Draft(EntryKind.UPDATE, Visibility.INTERNAL, data=data)]
