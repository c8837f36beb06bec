"""Mail that bounced after SES took it: SES publishes the bounce (and a complaint) of every mail kefu sends to the
account's default EventBridge bus (the mail domain's configuration set), whose rule puts it on the notifications
queue. The ticket is the one the mail names in its `X-Kefu-Ticket` header (SES hands the original headers back);
the bounce is noted on its timeline (internal), once per SES feedback id, and nothing is sent again: a bounce is
final for that mail (no retry storm). Mail kefu did not send about a ticket is logged and left."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kefu.clock import now
from kefu.errors import TicketNotFound
from kefu.identity import Caller, Role
from kefu.model.tickets import EntryKind, Ticket, Visibility
from kefu.observability import logger
from kefu.store import notices as notice_store
from kefu.store import tickets as ticket_store
from kefu.tickets.writes import Change, Draft, change

SYSTEM = Caller(sub="system:notifications", groups=frozenset({Role.AGENT.value}), system=True)
BOUNCED = "Email Bounced"
COMPLAINED = "Email Complaint Received"
DETAIL_TYPES = (BOUNCED, COMPLAINED)
TICKET_HEADER = "x-kefu-ticket"


def ticket_of(mail: dict[str, Any]) -> str | None:
    """The ticket a sent mail was about, from the headers SES reports."""
    for header in mail.get("headers") or []:
        if str(header.get("name", "")).lower() == TICKET_HEADER and header.get("value"):
            return str(header["value"]).strip()
    return None


def record(detail_type: str, detail: dict[str, Any]) -> tuple[str | None, str]:
    """Note the bounce or complaint on its ticket's timeline, once; (ticket id, what was done)."""
    mail = detail.get("mail") or {}
    ticket_id = ticket_of(mail)
    if ticket_id is None:
        logger.warning("a bounce of mail about no ticket", extra={"sesMessageId": mail.get("messageId")})
        return None, "no-ticket-header"
    feedback = detail.get("bounce") if detail_type == BOUNCED else detail.get("complaint")
    feedback = feedback or {}
    key = f"ses:{feedback.get('feedbackId') or mail.get('messageId')}"
    state = notice_store.state(ticket_id)
    if state.has_handled(key):
        return ticket_id, "already-recorded"
    try:
        ticket = ticket_store.get(ticket_id)
    except TicketNotFound:
        return ticket_id, "no-ticket"
    notice_store.save(ticket_id, replace(state, handled=(*state.handled, key)))
    _note(ticket, detail_type, feedback, mail)
    return ticket_id, "recorded"


def _note(ticket: Ticket, detail_type: str, feedback: dict[str, Any], mail: dict[str, Any]) -> None:
    subject = (mail.get("commonHeaders") or {}).get("subject") or ""
    data: dict[str, Any]
    if detail_type == BOUNCED:
        recipients = [r.get("emailAddress") for r in feedback.get("bouncedRecipients") or []]
        bounced = feedback.get("bouncedRecipients") or []
        diagnostic = "; ".join(str(r.get("diagnosticCode") or r.get("status") or "") for r in bounced)
        kind = f"{feedback.get('bounceType', 'Undetermined')}/{feedback.get('bounceSubType', 'General')}"
        body = (
            f"Mail to {', '.join(map(str, recipients))} bounced ({kind}: {diagnostic}): “{subject}” did not reach the "
            "customer. Not retried."
        )
        data = {"event": "mail-bounced", "bounceType": kind, "recipients": recipients}
    else:
        recipients = [r.get("emailAddress") for r in feedback.get("complainedRecipients") or []]
        body = f"{', '.join(map(str, recipients))} marked “{subject}” as spam."
        data = {"event": "mail-complaint", "recipients": recipients}
    data["sesMessageId"] = mail.get("messageId")

    def decide(current: Ticket) -> Change:
        draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, body=body, data=data)
        return Change(current.model_copy(update={"updatedAt": now()}), [draft])

    change(SYSTEM, ticket.id, decide)
