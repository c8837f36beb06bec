"""`GET /qa/scorecards?month=&agent=`: an agent's month beside the group's average.

The QA figures come from the month's coverage rows (kefu.store.qa_coverage: one Query), the service figures from
the KPI aggregates by agent (kefu.kpis: the agent's row and the desk's totals for the month's days, one BatchGetItem
each; the KPI key of a ticket's agent is its owner, else its assignee, as QA's), canned-reply usage from the replies'
usage counts (kefu.knowledge.replies: all time, not by month; one Query for the agent, one per 100 replies for the
desk). The group is the whole desk: a mean (CSAT, first response, handle time, FCR rate, QA score) is the desk's own
over all its tickets or reviews; a count (volume, escalations, reviews, canned-reply uses) is the desk's total over
the agents the month's coverage lists (every active agent, once the month is sampled), null when it lists none.
"""

from __future__ import annotations

from kefu.errors import BadRequest, Forbidden
from kefu.identity import Caller
from kefu.ids import is_agent_id
from kefu.kpis.figures import figures, summed
from kefu.kpis.service import desk_days
from kefu.qa.model import Figure, Scorecard
from kefu.qa.months import month_bounds
from kefu.qa.reviews import is_reviewer
from kefu.store import kpis as kpi_store
from kefu.store import qa_coverage as coverage_store
from kefu.store import replies as reply_store
from kefu.store.reply_usage import usage_by_agent

_PAGE = 100


def _who(caller: Caller, agent: str | None) -> str:
    if is_reviewer(caller):
        if agent in (None, "me"):
            if agent is None:
                raise BadRequest("name the agent (agent=<id>)")
            return caller.sub
        return agent
    if not caller.is_staff:
        raise Forbidden("scorecards are read by the agents they are about, the qa group and supervisors")
    if agent not in (None, "me", caller.sub):
        raise Forbidden("agents read their own scorecard")
    return caller.sub


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def scorecard(caller: Caller, month: str, agent: str | None) -> Scorecard:
    agent_id = _who(caller, agent)
    if not is_agent_id(agent_id):
        raise BadRequest("agent is `me` or an agent id")
    first, last = month_bounds(month)
    days = desk_days(first.date(), last.date())
    mine = figures(
        summed(kpi_store.day_items((day, kpi_store.slot_sort_key("agent", agent_id)) for day in days).values())
    )
    desk = figures(summed(kpi_store.day_items((day, "all") for day in days).values()))
    rows = coverage_store.month(month).rows
    own = next((row for row in rows if row.agent_id == agent_id), None)
    agents = len(rows)
    scored = sum(int(row.scored or 0) for row in rows)
    uses = sum(usage.uses for usage in usage_by_agent(agent_id))

    def per_agent(total: float) -> float | None:
        return _ratio(total, agents, 2)

    own_scored = int(own.scored or 0) if own else 0
    return Scorecard(
        month=month,
        agentId=agent_id,
        agents=agents,
        qaScore=Figure(
            agent=_ratio(float(own.score_sum or 0), own_scored, 1) if own else None,
            group=_ratio(sum(float(row.score_sum or 0) for row in rows), scored, 1),
        ),
        qaReviews=Figure(agent=own_scored, group=per_agent(scored)),
        passRate=Figure(
            agent=_ratio(int(own.passed or 0), own_scored) if own else None,
            group=_ratio(sum(int(row.passed or 0) for row in rows), scored),
        ),
        csat=Figure(agent=mine["csat"]["mean"], group=desk["csat"]["mean"]),
        firstResponseSeconds=Figure(
            agent=mine["firstResponse"]["meanSeconds"], group=desk["firstResponse"]["meanSeconds"]
        ),
        handleSeconds=Figure(agent=mine["handleTime"]["meanSeconds"], group=desk["handleTime"]["meanSeconds"]),
        fcrRate=Figure(agent=mine["fcrRate"], group=desk["fcrRate"]),
        volume=Figure(agent=mine["resolved"], group=per_agent(desk["resolved"])),
        escalations=Figure(agent=mine["escalations"]["count"], group=per_agent(desk["escalations"]["count"])),
        cannedReplyUses=Figure(agent=uses, group=per_agent(_all_reply_uses())),
    )


def _all_reply_uses() -> int:
    total = 0
    cursor: str | None = None
    while True:
        replies, cursor = reply_store.list_replies(group=None, category=None, language=None, limit=_PAGE, cursor=cursor)
        total += sum(reply.uses for reply in replies)
        if not cursor:
            return total
