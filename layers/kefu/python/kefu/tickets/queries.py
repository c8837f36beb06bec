"""Reading tickets: one ticket, the lists behind the queues and an agent's desk, and a ticket's timeline."""

from __future__ import annotations

from kefu.clock import now
from kefu.config import settings
from kefu.errors import BadRequest, Forbidden
from kefu.identity import Caller, Role
from kefu.ids import is_agent_id, is_group_id
from kefu.model.tickets import Page, Status, Ticket, TimelineEntry
from kefu.store import tickets as store
from kefu.tickets import policy


def get_ticket(caller: Caller, ticket_id: str) -> Ticket:
    ticket = store.get(ticket_id)
    policy.ensure_can_read(caller, ticket)
    return ticket


def list_tickets(
    caller: Caller,
    *,
    status: Status | None = None,
    group: str | None = None,
    assignee: str | None = None,
    owner: str | None = None,
    escalated: bool = False,
    at_risk: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Ticket]:
    size = page_size(limit)
    lists = {"group": group, "assignee": assignee, "owner": owner, "escalated": escalated, "atRisk": at_risk}
    chosen = [name for name, given in lists.items() if given]
    if caller.is_customer:
        if chosen:
            raise Forbidden("customers list their own tickets only")
        return store.by_customer(caller.sub, status=status, limit=size, cursor=cursor)
    if len(chosen) > 1:
        raise BadRequest(f"list by one of group, assignee, owner, escalated or atRisk, not {' and '.join(chosen)}")
    if escalated or at_risk:
        return _watched(caller, escalated=escalated, status=status, size=size, cursor=cursor)
    if owner:
        return _owned(caller, owner, status, size, cursor)
    if assignee or (not group and caller.role is Role.AGENT):
        return _assigned(caller, assignee, status, size, cursor)
    if group:
        if not is_group_id(group):
            raise BadRequest("group is a group id such as l1")
        _ensure_can_list_group(caller, group)
        return store.group_queue(group, status or Status.NEW, limit=size, cursor=cursor)
    return store.by_status(status or Status.OPEN, limit=size, cursor=cursor)


def _assigned(
    caller: Caller, assignee: str | None, status: Status | None, size: int, cursor: str | None
) -> Page[Ticket]:
    agent_id = caller.sub if assignee in (None, "me") else assignee
    if not is_agent_id(agent_id):
        raise BadRequest("assignee is `me` or an agent id")
    if agent_id != caller.sub and not caller.oversees_all:
        raise Forbidden("agents list their own tickets (assignee=me); supervisors may list anyone's")
    return store.assigned_to(agent_id, status or Status.OPEN, limit=size, cursor=cursor)


def _owned(caller: Caller, owner: str, status: Status | None, size: int, cursor: str | None) -> Page[Ticket]:
    """The tickets an agent owns (首问负责制: the first to take them), wherever they sit now and whoever holds them."""
    agent_id = caller.sub if owner == "me" else owner
    if not is_agent_id(agent_id):
        raise BadRequest("owner is `me` or an agent id")
    if agent_id != caller.sub and not caller.oversees_all:
        raise Forbidden("agents list the tickets they own (owner=me); supervisors may list anyone's")
    return store.owned_by(agent_id, status or Status.OPEN, limit=size, cursor=cursor)


def _watched(caller: Caller, *, escalated: bool, status: Status | None, size: int, cursor: str | None) -> Page[Ticket]:
    """The supervisors' lists across groups: escalated tickets, or tickets whose SLA comes due within the margin."""
    if not caller.oversees_all:
        raise Forbidden("the escalated and at-risk lists are for supervisors and admins")
    if status is not None:
        raise BadRequest("escalated and atRisk list active tickets of any status: leave status out")
    if escalated:
        return store.escalated(limit=size, cursor=cursor)
    from kefu.sla import sla_config

    return store.at_risk(now() + sla_config().at_risk_margin_duration, limit=size, cursor=cursor)


def _ensure_can_list_group(caller: Caller, group: str) -> None:
    """Under the `groups` access scope an agent lists only their own groups' queues. Another group's is refused
    (403) rather than answered empty: an empty page would tell the agent the queue is empty, which is false, and the
    groups themselves are no secret (`GET /groups` lists them). Their tickets there stay unread all the same."""
    if policy.scoped_to_groups(caller) and group not in policy.agent_groups(caller):
        raise Forbidden(f"this desk's agents list their own groups' queues; {group} is not one of yours")


def timeline(
    caller: Caller, ticket_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Page[TimelineEntry]:
    ticket = get_ticket(caller, ticket_id)
    return store.timeline(ticket.id, public_only=caller.is_customer, limit=page_size(limit), cursor=cursor)


def page_size(limit: int | None) -> int:
    config = settings()
    if limit is None:
        return config.default_page_size
    if not 1 <= limit <= config.max_page_size:
        raise BadRequest(f"limit must be between 1 and {config.max_page_size}")
    return limit
