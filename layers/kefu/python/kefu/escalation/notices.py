"""Who a ladder step tells, and their notice by e-mail.

The people come from the deployment's `sla.notices` (validated at synth, infra/config/<stage>.yaml): each group's
supervisors, each agent's manager, the head of service. A person is an agent id, mailed at the address of their
roster record (`PUT /agents/{agentId}`), or an e-mail address. Who is told, per step:

- warn_owner: the ticket's owner (else its assignee);
- notify_supervisor: the supervisors of the group the ticket is in (after any move of the same milestone);
- notify_manager: the owner's manager;
- notify_head: the head of service.

The workspace side of a notice is the supervisors' escalated list (`GET /tickets?escalated=true`, kefu.store.views),
where every ticket whose level a step raised stays until it is resolved, and the step's timeline entry, which names
the people told. Mail goes through SES from the desk's support address, once per step and person: the step is
written (once, its milestone recorded) before anything is sent, so a retried task never mails again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import NamedTuple

from kefu.config import settings
from kefu.model.tickets import Ticket
from kefu.sla import Action, EscalationStep
from kefu.sla.config import Notices


class Notice(NamedTuple):
    """One person told of one step: their id or address as configured, and the address mailed (None: unknown)."""

    # A named tuple, as Taken and Escalation (kefu.escalation.service says why).

    person: str
    address: str | None


def people_for(step: EscalationStep, ticket: Ticket, notices: Notices) -> list[str]:
    """The people `step` tells about `ticket` (as it is once the step's milestone moved it), in configured order."""
    if step.action is Action.WARN_OWNER:
        whom = ticket.ownerId or ticket.assigneeId
        return [whom] if whom else []
    if step.action is Action.NOTIFY_SUPERVISOR:
        return list(notices.supervisors.get(ticket.groupId or "", []))
    if step.action is Action.NOTIFY_MANAGER:
        manager = notices.managers.get(ticket.ownerId or "")
        return [manager] if manager else []
    if step.action is Action.NOTIFY_HEAD:
        return list(notices.head_of_service)
    return []


def addressed(people: Iterable[str]) -> list[Notice]:
    """Each person with the address their notice goes to: theirs if configured as one, else their roster record's
    (one read per agent; None for an agent without an address or no longer on the roster)."""
    from kefu.store import agents as agent_store

    found: list[Notice] = []
    for person in dict.fromkeys(people):
        if "@" in person:
            found.append(Notice(person, person))
            continue
        agent = agent_store.get_agent(person)
        found.append(Notice(person, agent.email if agent is not None else None))
    return found


def mail(ticket: Ticket, said: str, recipients: Sequence[Notice]) -> list[str]:
    """Mail the step's notice to each recipient with an address; the failures, described (nothing raised here)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from kefu.email.config import mail_settings

    sender = mail_settings().support_address
    subject = f"[kefu] {ticket.id} escalated: {ticket.subject}"[:200]
    body = "\n".join(
        [
            said,
            "",
            f"Ticket {ticket.id}: {ticket.subject}",
            f"Status {ticket.status.value}, priority {ticket.priority.value}, group {ticket.groupId or '-'}, "
            f"owner {ticket.ownerId or '-'}, assignee {ticket.assigneeId or '-'}, "
            f"escalation level {ticket.escalationLevel}.",
        ]
    )
    failed: list[str] = []
    for notice in recipients:
        if notice.address is None:
            continue
        try:
            _sesv2().send_email(
                FromEmailAddress=f"kefu escalations <{sender}>",
                Destination={"ToAddresses": [notice.address]},
                Content={
                    "Simple": {
                        "Subject": {"Data": subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                    }
                },
            )
        except (ClientError, BotoCoreError) as err:
            failed.append(f"{notice.person}: {err}")
    return failed


@cache
def _sesv2():
    from kefu.store.clients import shared_client

    return shared_client("sesv2", settings().region)
