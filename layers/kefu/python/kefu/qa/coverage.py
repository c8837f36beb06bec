"""`GET /qa/coverage?month=`: per agent, the tickets sampled (or asked for) and reviewed, the coverage percentage
and the month's QA score; agents with no tickets that month covered as such. One Query of the month's rows."""

from __future__ import annotations

from kefu.errors import Forbidden
from kefu.identity import Caller
from kefu.qa.model import Coverage, CoverageRow, CoverageTotals
from kefu.qa.months import month_bounds
from kefu.qa.reviews import is_reviewer
from kefu.store import qa_coverage as store


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def coverage(caller: Caller, month: str) -> Coverage:
    if not is_reviewer(caller):
        raise Forbidden("coverage is read by the qa group, supervisors and admins")
    month_bounds(month)
    found = store.month(month)
    rows = []
    for item in sorted(found.rows, key=lambda row: row.agent_id):
        sampled = len(item.ticket_ids or ())
        reviewed = len(item.reviewed_ids or ())
        scored = int(item.scored or 0)
        rows.append(
            CoverageRow(
                agentId=item.agent_id,
                resolved=None if item.resolved is None else int(item.resolved),
                sampled=sampled,
                reviewed=reviewed,
                coverage=_ratio(reviewed, sampled),
                noTickets=bool(item.no_tickets) and not sampled,
                qaScore=_ratio(float(item.score_sum or 0), scored, 1),
                scoredReviews=scored,
                passRate=_ratio(int(item.passed or 0), scored),
            )
        )
    sampled = sum(row.sampled for row in rows)
    reviewed = sum(row.reviewed for row in rows)
    scored = sum(row.scoredReviews for row in rows)
    score_sum = sum(float(item.score_sum or 0) for item in found.rows)
    totals = CoverageTotals(
        agents=len(rows),
        agentsCovered=sum(1 for row in rows if row.sampled or row.noTickets),
        agentsWithoutTickets=sum(1 for row in rows if row.noTickets),
        agentsFullyReviewed=sum(1 for row in rows if row.sampled and row.reviewed >= row.sampled),
        sampled=sampled,
        reviewed=reviewed,
        coverage=_ratio(reviewed, sampled),
        qaScore=_ratio(score_sum, scored, 1),
    )
    run = found.run
    return Coverage(
        month=month,
        sampledAt=run.finished_at if run else None,
        seed=run.seed if run else None,
        totals=totals,
        agents=rows,
    )
