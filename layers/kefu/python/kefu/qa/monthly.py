"""The monthly sampling run (the `qa-sampling` state machine's task, functions/qa): the month's resolved tickets,
their findings, every active agent, the sample (kefu.qa.sampling), a pending review for each ticket picked and a
coverage row for each agent ("no tickets" for an agent without any), then the run's record.

A run is idempotent: a month already sampled answers its recorded report and writes nothing; a run cut short and
started again draws the same sample (seeded by the month) and finds the reviews it made (their ids are fixed).

Cost for a month of 300,000 resolved tickets and 200 agents: one Query page per 100 tickets resolved (3,000 reads
of the resolution index), one BatchGetItem per 100 tickets' findings (3,000), a Query per group for the agents, and
per agent 1 UpdateItem plus one transaction per review made (1,000 at 5 an agent). Monthly, off the request path.
"""

from __future__ import annotations

from typing import Any

from kefu import clock
from kefu.agents.groups import all_groups
from kefu.model.tickets import REVISIT_TAG, Category, Ticket
from kefu.qa.config import qa_settings
from kefu.qa.inspection import agent_of
from kefu.qa.months import month_bounds
from kefu.qa.reviews import create_sampled
from kefu.qa.sampling import Candidate, sample, seed_of
from kefu.store import agents as agent_store
from kefu.store import qa_coverage as coverage_store
from kefu.store import qa_findings
from kefu.store.revisits import resolved_between

_PAGE = 100


def active_agents() -> list[str]:
    """Every agent who belongs to a support group (one Query per group)."""
    agents: set[str] = set()
    for group in all_groups():
        agents.update(member.agentId for member in agent_store.group_members(group.id))
    return sorted(agents)


def resolved_in(month: str) -> list[Ticket]:
    """The tickets whose resolution fell in the desk month (revisit calls left out: they are not agents' work)."""
    start, end = month_bounds(month)
    tickets: list[Ticket] = []
    cursor: str | None = None
    while True:
        page = resolved_between(start, end, limit=_PAGE, cursor=cursor)
        tickets.extend(t for t in page.items if REVISIT_TAG not in t.tags and agent_of(t) is not None)
        if not page.nextCursor:
            return tickets
        cursor = page.nextCursor


def run(month: str, *, agents: list[str] | None = None) -> dict[str, Any]:
    """Sample the month (once): the run's report."""
    month_bounds(month)
    done = coverage_store.sampling_run(month)
    if done is not None:
        return {**done.report, "repeated": True}
    settings = qa_settings()
    tickets = {ticket.id: ticket for ticket in resolved_in(month)}
    findings = qa_findings.read_many(tickets)
    low_csat = settings.checks.low_csat
    candidates = []
    for ticket in tickets.values():
        stored = findings.get(ticket.id)
        lowest = stored.lowest_csat if stored is not None else None
        candidates.append(
            Candidate(
                ticket_id=ticket.id,
                agent_id=agent_of(ticket) or "",
                complaint=ticket.category is Category.COMPLAINT,
                low_csat=lowest is not None and lowest <= low_csat,
                findings=len(stored.findings) if stored is not None else 0,
            )
        )
    plan = sample(
        month,
        active_agents() if agents is None else agents,
        candidates,
        per_agent=settings.sampling.per_agent,
        max_per_agent=settings.sampling.max_per_agent,
    )
    now = clock.now()
    made = 0
    for agent_sample in plan:
        coverage_store.set_resolved(month, agent_sample.agent_id, agent_sample.resolved)
        if agent_sample.no_tickets:
            coverage_store.mark_no_tickets(month, agent_sample.agent_id)
        for pick in agent_sample.picks:
            made += create_sampled(tickets[pick.ticket_id], agent_sample.agent_id, pick.reason, now)
    seed = seed_of(month)
    report: dict[str, Any] = {
        "month": month,
        "seed": seed,
        "agents": len(plan),
        "agentsWithoutTickets": sum(agent_sample.no_tickets for agent_sample in plan),
        "resolved": len(tickets),
        "sampled": sum(len(agent_sample.picks) for agent_sample in plan),
        "reviewsMade": made,
        "rubricVersion": settings.rubric.version,
        "finishedAt": clock.iso(now),
    }
    coverage_store.record_run(month, seed, settings.sampling.per_agent, report, now)
    return {**report, "repeated": False}
