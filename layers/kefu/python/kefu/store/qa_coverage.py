"""A month's QA coverage (pattern 15): one row per agent, and the record of the month's sampling run.

  a month's coverage:     Query pk=QAMONTH#<yyyy-mm> (sk AGENT#<agent> rows, and RUN once sampled)

A row holds the tickets sampled or requested for review (a string set: adding one twice is adding it once), the
tickets with a scored review, and the sums the month's QA score comes from (`scored`, `scoreSum`, `passed`, moved by
ADD in the transaction that changes the review, so each change counts once). An agent the sampling found no tickets
for has a row with `noTickets`. The coverage answer is one Query, whatever the number of reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError

from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.models import KefuItem
from kefu.store.writes import condition_failed

RUN_SK = "RUN"
AGENT_PREFIX = "AGENT#"


def month_key(month: str) -> str:
    return f"QAMONTH#{month}"


class QaCoverageItem(KefuItem, discriminator="qa_coverage"):
    agent_id = UnicodeAttribute(attr_name="agentId")
    month = UnicodeAttribute()
    ticket_ids = UnicodeSetAttribute(attr_name="ticketIds", null=True)
    reviewed_ids = UnicodeSetAttribute(attr_name="reviewedIds", null=True)
    no_tickets = BooleanAttribute(attr_name="noTickets", null=True)
    #: Tickets of the agent resolved in the month, when sampled.
    resolved = NumberAttribute(null=True)
    scored = NumberAttribute(default=0)
    score_sum = NumberAttribute(attr_name="scoreSum", default=0)
    passed = NumberAttribute(default=0)


class QaSamplingRunItem(KefuItem, discriminator="qa_sampling_run"):
    """pk=QAMONTH#<month>, sk=RUN: the month was sampled (a run repeated finds it and changes nothing)."""

    month = UnicodeAttribute()
    seed = UnicodeAttribute()
    per_agent = NumberAttribute(attr_name="perAgent")
    report = CompactJSONAttribute()
    finished_at = UtcDateTimeAttribute(attr_name="finishedAt")


@dataclass(frozen=True)
class CoverageChange:
    """What one review change moves in its agent's month."""

    month: str
    agent_id: str
    add_tickets: frozenset[str] = field(default_factory=frozenset)
    add_reviewed: frozenset[str] = field(default_factory=frozenset)
    scored: int = 0
    score_sum: float = 0
    passed: int = 0


def coverage_update(change: CoverageChange) -> tuple[QaCoverageItem, list[Any]]:
    """(item, actions) of an UpdateItem that applies the change (creating the row when it is the first)."""
    item = QaCoverageItem(month_key(change.month), f"{AGENT_PREFIX}{change.agent_id}")
    actions = [
        QaCoverageItem.kind.set(QaCoverageItem),
        QaCoverageItem.agent_id.set(change.agent_id),
        QaCoverageItem.month.set(change.month),
        QaCoverageItem.scored.add(change.scored),
        QaCoverageItem.score_sum.add(change.score_sum),
        QaCoverageItem.passed.add(change.passed),
    ]
    if change.add_tickets:
        actions.append(QaCoverageItem.ticket_ids.add(set(change.add_tickets)))
        actions.append(QaCoverageItem.no_tickets.remove())
    if change.add_reviewed:
        actions.append(QaCoverageItem.reviewed_ids.add(set(change.add_reviewed)))
    return item, actions


def apply(change: CoverageChange) -> None:
    item, actions = coverage_update(change)
    item.update(actions=actions)


def mark_no_tickets(month: str, agent_id: str) -> bool:
    """The agent had no ticket to sample this month (kept only while the row has none); False when a review was
    asked for meanwhile."""
    item = QaCoverageItem(month_key(month), f"{AGENT_PREFIX}{agent_id}")
    try:
        item.update(
            actions=[
                QaCoverageItem.kind.set(QaCoverageItem),
                QaCoverageItem.agent_id.set(agent_id),
                QaCoverageItem.month.set(month),
                QaCoverageItem.no_tickets.set(True),
            ],
            condition=QaCoverageItem.ticket_ids.does_not_exist(),
        )
    except UpdateError as err:
        if condition_failed(err):
            return False
        raise
    return True


def set_resolved(month: str, agent_id: str, resolved: int) -> None:
    item = QaCoverageItem(month_key(month), f"{AGENT_PREFIX}{agent_id}")
    item.update(
        actions=[
            QaCoverageItem.kind.set(QaCoverageItem),
            QaCoverageItem.agent_id.set(agent_id),
            QaCoverageItem.month.set(month),
            QaCoverageItem.resolved.set(resolved),
        ]
    )


@dataclass(frozen=True)
class MonthCoverage:
    rows: list[QaCoverageItem]
    run: QaSamplingRunItem | None


def month(month: str) -> MonthCoverage:
    rows: list[QaCoverageItem] = []
    run: QaSamplingRunItem | None = None
    for item in KefuItem.query(month_key(month), consistent_read=True):
        if isinstance(item, QaCoverageItem):
            rows.append(item)
        elif isinstance(item, QaSamplingRunItem):
            run = item
    return MonthCoverage(rows=rows, run=run)


def sampling_run(month: str) -> QaSamplingRunItem | None:
    try:
        return QaSamplingRunItem.get(month_key(month), RUN_SK, consistent_read=True)
    except QaSamplingRunItem.DoesNotExist:
        return None


def record_run(month: str, seed: str, per_agent: int, report: dict[str, Any], at: datetime) -> bool:
    """Record the month's sampling run, once: False when a run was recorded already."""
    item = QaSamplingRunItem(
        month_key(month), RUN_SK, month=month, seed=seed, per_agent=per_agent, report=report, finished_at=at
    )
    try:
        item.save(condition=QaSamplingRunItem.pk.does_not_exist())
    except PutError as err:
        if condition_failed(err):
            return False
        raise
    return True
