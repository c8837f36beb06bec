"""Which resolved tickets a campaign revisits: pure rules, no I/O.

A reason is `<rule>: <detail>`; the rule (before the colon) is stable, so a campaign report can count by it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu.model.tickets import REVISIT_TAG, Category, Status, Ticket
from kefu.revisits.config import Campaign

_DONE = (Status.RESOLVED, Status.CLOSED)


def window(campaign: Campaign, now: datetime) -> tuple[datetime, datetime]:
    """The resolution times the campaign selects from, both ends included: `max` days ago to `min` days ago."""
    days = campaign.select.resolved_days_ago
    return now - timedelta(days=days.max), now - timedelta(days=days.min)


def is_eligible(
    ticket: Ticket, customer_last_revisited_at: datetime | None, campaign: Campaign, now: datetime
) -> tuple[bool, str]:
    """Whether the campaign revisits this ticket's customer about it now; when not, the reason."""
    select = campaign.select
    resolved_at = ticket.sla.resolvedAt
    if ticket.status not in _DONE:
        return False, f"status: the ticket is {ticket.status.value}, not resolved or closed"
    if resolved_at is None:
        return False, "status: the ticket has no resolution time"
    if REVISIT_TAG in ticket.tags:
        return False, "revisit_task: the ticket is a revisit task itself"
    start, end = window(campaign, now)
    if not start <= resolved_at <= end:
        age = (now - resolved_at) / timedelta(days=1)
        days = select.resolved_days_ago
        return False, f"age: resolved {age:.1f} days ago, outside {days.min}-{days.max} days"
    if select.categories and ticket.category not in select.categories:
        category = ticket.category.value if ticket.category else "none"
        return False, f"category: {category} is not one of {_names(select.categories)}"
    if select.tiers and ticket.customerTier not in select.tiers:
        return False, f"tier: {ticket.customerTier.value} is not one of {_names(select.tiers)}"
    is_complaint = ticket.category is Category.COMPLAINT
    if select.complaint is not None and is_complaint != select.complaint:
        return False, "complaint: the campaign revisits " + ("complaints only" if select.complaint else "no complaints")
    if select.channels and ticket.channel not in select.channels:
        return False, f"channel: {ticket.channel.value} is not one of {_names(select.channels)}"
    if customer_last_revisited_at is not None:
        cycle = campaign.cycle_days.of(ticket.customerTier)
        if now - customer_last_revisited_at < cycle:
            return False, (
                f"cycle: revisited on {customer_last_revisited_at.date().isoformat()}, within the "
                f"{cycle.days}-day cycle of {ticket.customerTier.value} customers"
            )
    return True, ""


def _names(values) -> str:
    return ", ".join(value.value for value in values)
