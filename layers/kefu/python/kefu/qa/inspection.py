"""Automatic inspection of every resolved ticket (kefu.qa.checks), kept per ticket for reviewers and for sampling.

`inspect(ticket_id)` is what the QA function calls for each resolved or closed ticket written (functions/qa_checks,
fed by the table's Kinesis data stream): it reads the ticket and its timeline, runs the checks, and keeps the findings
when they changed. A record delivered twice finds the same findings and writes nothing; a late record (an older
version than the one checked) is refused by the store's condition and changes nothing.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from kefu import clock
from kefu.model.tickets import Category, Status, Ticket
from kefu.qa.checks import Finding, check, survey_answers
from kefu.qa.config import qa_settings
from kefu.qa.months import desk_month
from kefu.routing import routing_config
from kefu.store import qa_findings as store
from kefu.store import tickets as ticket_store
from kefu.store.writes import condition_failed

_DONE = frozenset({Status.RESOLVED, Status.CLOSED})


def agent_of(ticket: Ticket) -> str | None:
    """Whose work the ticket is: its owner (first-contact ownership), else its assignee (as the KPIs count it)."""
    return ticket.ownerId or ticket.assigneeId


def inspect(ticket_id: str) -> list[Finding] | None:
    """The ticket's findings, kept; None when the ticket is not resolved or closed (nothing is checked)."""
    ticket = ticket_store.get(ticket_id)
    if ticket.status not in _DONE:
        return None
    entries = list(ticket_store.whole_timeline(ticket_id, public_only=False))
    answers = survey_answers(entries)
    findings = check(ticket, entries, answers, qa_settings(), routing_config())
    plain = [finding.model_dump(mode="json") for finding in findings]
    stored = store.read(ticket_id)
    resolved = ticket.sla.resolvedAt or ticket.updatedAt
    month = desk_month(resolved)
    lowest = min((answer.csat for answer in answers), default=None)
    agent = agent_of(ticket)
    complaint = ticket.category is Category.COMPLAINT
    if stored is not None and (
        stored.findings == plain
        and stored.month == month
        and stored.agent_id == agent
        and stored.lowest_csat == lowest
        and bool(stored.complaint) == complaint
    ):
        return findings
    try:
        store.put(
            ticket_id,
            agent_id=agent,
            month=month,
            complaint=complaint,
            lowest_csat=lowest,
            findings=plain,
            ticket_version=ticket.version,
            at=clock.now(),
        )
    except PutError as err:
        if not condition_failed(err):
            raise
    return findings


def findings_of(ticket_id: str) -> list[Finding]:
    stored = store.read(ticket_id)
    return [Finding.model_validate(found) for found in (stored.findings if stored else [])]
