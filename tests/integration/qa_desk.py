"""A QA desk for the tests: reviewers, and resolved tickets of chosen agents written at chosen moments."""

from __future__ import annotations

from datetime import datetime

from kefu.model.tickets import Category, Status, Ticket
from kefu.store import tickets as ticket_store
from tests.conftest import AGENT, Identity
from tests.integration.resolved import resolved

#: The inspection team: the `qa` group and no other role.
REVIEWER = Identity("qa-zhou", ("qa",), "zhou@kefu.example")
REVIEWER_2 = Identity("qa-sun", ("qa",), "sun@kefu.example")

RUBRIC_ITEMS = ("greeting", "identity_check", "accuracy", "script_compliance", "empathy", "resolution", "closing")


def resolved_by(
    agent: str = AGENT.sub,
    at: str = "2026-11-10T04:00:00+00:00",
    *,
    category: Category = Category.ORDER,
    status: Status = Status.RESOLVED,
) -> Ticket:
    ticket = resolved(datetime.fromisoformat(at), category=category, status=status)
    return ticket_store.save(ticket.model_copy(update={"ownerId": agent, "assigneeId": agent}), [], is_new=True)


def full_marks(**changed: int) -> dict:
    return {"items": [{"item": item, "score": changed.get(item, 5)} for item in RUBRIC_ITEMS]}
