"""Agents' answers and acknowledgements out by e-mail, threaded so the customer's reply comes back to the ticket.

An agent's public reply on an e-mail ticket, and (when configured) the acknowledgement of a ticket opened by
e-mail, go to the customer through SES v2 with a Message-ID of kefu's own (`<TK-…-<entry id>@<mail domain>>`,
the same however often the entry is delivered), In-Reply-To and References of the ticket's mail thread, the
ticket token in the subject and a Reply-To (support+TK-…@domain) that brings the answer back. The
acknowledgement says it is automatic (Auto-Submitted: auto-replied), so auto-responders leave it alone.
A notice (`send_notice`: a revisit survey's invitation) is mail kefu starts itself about a ticket: threaded the
same way, marked Auto-Submitted: auto-generated, and sent at most once per (ticket, key) by the same claim.

Never twice: the stream delivers an entry at least once, so sending is idempotent on the entry (Powertools
idempotency), and a send is claimed in DynamoDB before SES is called and marked sent after. A send SES refuses
gives its claim back and fails, to be retried; a claim found still `sending` (an earlier attempt died between
claiming and marking) is not sent again — it is reported, since SES may have sent it.
"""

from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from pydantic import BaseModel, ConfigDict

from kefu import cjk
from kefu.clock import now
from kefu.config import settings
from kefu.email.config import MailSettings, mail_settings
from kefu.email.headers import POLICY, message_ids
from kefu.email.threading import reply_address, subject_with_token
from kefu.idempotency import idempotent
from kefu.model.tickets import Channel, EntryKind, Ticket, TimelineEntry, Visibility
from kefu.observability import logger
from kefu.store import customers as customer_store
from kefu.store import mail as mail_store
from kefu.tickets.reads import TicketReads, reads_for

REPLY, ACKNOWLEDGEMENT, NOTICE = "reply", "acknowledgement", "notice"
#: What an acknowledgement adds when a public article was offered when the ticket opened (kefu.tickets.knowledge),
#: in the article's language: the customer's own.
SELF_SERVICE_TEXTS = {
    "zh-Hans": "这篇文章也许能解答您的问题：《{title}》\n{snippet}\n"
    "如果它已解决您的问题，请在客户中心的工单 {ticket_id} 中点击“已解决”；否则无需操作，客服人员会尽快回复您。",
    "zh-Hant": "這篇文章也許能解答您的問題：《{title}》\n{snippet}\n"
    "如果它已解決您的問題，請在客戶中心的工單 {ticket_id} 中點選「已解決」；否則無需操作，客服人員會盡快回覆您。",
    "en": 'This may answer your question: "{title}"\n{snippet}\n'
    "If it did, mark ticket {ticket_id} solved in the customer portal; otherwise there is nothing to do, an agent "
    "will answer soon.",
}


class Delivery(BaseModel):
    """What became of one entry: sent (with the Message-ID it went out with), or not, and why."""

    model_config = ConfigDict(frozen=True)

    ticketId: str
    entryId: str
    sent: bool
    reason: str
    messageId: str | None = None
    sesMessageId: str | None = None


def written_entries(image: Mapping[str, Any]) -> list[TimelineEntry]:
    """The timeline entries a change to the tickets' data wrote in one item (a stream record's new image): its own
    and those packed behind it (an agent's first reply and the status change it made); none if it wrote none."""
    return mail_store.timeline_entries_of(image)


def mail_kind(entry: TimelineEntry) -> str | None:
    """Which mail an entry makes: an agent's public reply, the acknowledgement of a new ticket, or none."""
    if entry.kind is EntryKind.REPLY and entry.visibility is Visibility.PUBLIC:
        return REPLY
    if entry.kind is EntryKind.MESSAGE and entry.data.get("event") == "created":
        return ACKNOWLEDGEMENT
    return None


def deliver(entry: TimelineEntry, reads: TicketReads | None = None) -> Delivery:
    """Mail the entry to the ticket's customer if it is one to mail; the ticket and customer through `reads` (those
    of the entry's stream record), if given."""
    config = mail_settings()
    kind = mail_kind(entry)
    if kind is None:
        return _not_sent(entry, "not-a-mail")
    if kind == ACKNOWLEDGEMENT and not config.acknowledge:
        return _not_sent(entry, "acknowledgements-off")
    reads = reads_for(entry.ticketId, reads)
    found = _email_ticket(entry, reads)
    if isinstance(found, Delivery):
        return found
    ticket = found
    customer = reads.customer
    if customer is None or not customer.email:
        return _not_sent(entry, "no-customer-address")
    thread = mail_store.thread(ticket.id)
    mailbox = next((mail.mailbox for mail in thread if mail.mailbox), None) or config.support_address
    message_id = f"{ticket.id}-{entry.id}@{config.domain}"
    message = compose(
        ticket=ticket,
        kind=kind,
        body=entry.body or "",
        to=Address(display_name=customer.name or "", addr_spec=customer.email),
        mailbox=mailbox,
        message_id=message_id,
        thread=thread,
        config=config,
        offer=entry.data.get("selfServiceOffer") if kind == ACKNOWLEDGEMENT else None,
    )
    return _send_once(message, ticket=ticket, entry_id=entry.id, mailbox=mailbox, recipient=customer.email, reason=kind)


def send_notice(ticket: Ticket, *, key: str, subject: str, texts: Mapping[str, str]) -> Delivery:
    """Mail to the ticket's customer that kefu sends on its own (a revisit survey's invitation), whatever channel
    the ticket came by: `texts` by language, the customer's own first, under `subject` with the ticket token.
    At most once per (ticket, `key`); not sent (`no-customer-address`) to a customer without an address."""
    config = mail_settings()
    customer = customer_store.get(ticket.customerId)
    if customer is None or not customer.email:
        return Delivery(ticketId=ticket.id, entryId=key, sent=False, reason="no-customer-address")
    thread = mail_store.thread(ticket.id)
    mailbox = next((mail.mailbox for mail in thread if mail.mailbox), None) or config.support_address
    message = compose(
        ticket=ticket,
        kind=NOTICE,
        body=acknowledgement_text(ticket, texts),
        to=Address(display_name=customer.name or "", addr_spec=customer.email),
        mailbox=mailbox,
        message_id=f"{ticket.id}-{key}@{config.domain}",
        thread=thread,
        config=config,
        subject=subject,
    )
    return _send_once(message, ticket=ticket, entry_id=key, mailbox=mailbox, recipient=customer.email, reason=NOTICE)


def _send_once(
    message: EmailMessage, *, ticket: Ticket, entry_id: str, mailbox: str, recipient: str, reason: str
) -> Delivery:
    """Claim the message's Message-ID, send it through SES, mark it sent (see the module's docstring)."""
    message_id = str(message["Message-ID"]).strip("<>")
    moment = now()
    earlier = mail_store.claim_send(
        message_id, ticket_id=ticket.id, customer_id=ticket.customerId, entry_id=entry_id, at=moment
    )
    if earlier is not None:
        if earlier.state == mail_store.SENT:
            return Delivery(
                ticketId=ticket.id, entryId=entry_id, sent=False, reason="already-sent", messageId=message_id
            )
        logger.error(
            "a send was claimed but never marked sent: SES may or may not have sent it; not sending it again",
            extra={"ticketId": ticket.id, "entryId": entry_id, "messageId": message_id},
        )
        return Delivery(ticketId=ticket.id, entryId=entry_id, sent=False, reason="send-uncertain", messageId=message_id)
    try:
        ses_id = _send(message, mailbox, recipient)
    except (ClientError, EndpointConnectionError, ConnectTimeoutError):
        # SES refused the mail, or was never reached: nothing went out, and a retry may send it. (A read timeout
        # keeps the claim: SES may have sent the mail before the answer was lost.)
        mail_store.release_send(message_id)
        raise
    mail_store.mark_sent(
        message_id,
        ses_message_id=ses_id,
        delivered_id=delivered_message_id(ses_id),
        ticket_id=ticket.id,
        customer_id=ticket.customerId,
        mailbox=mailbox,
        at=moment,
    )
    return Delivery(
        ticketId=ticket.id, entryId=entry_id, sent=True, reason=reason, messageId=message_id, sesMessageId=ses_id
    )


def compose(
    *,
    ticket: Ticket,
    kind: str,
    body: str,
    to: Address,
    mailbox: str,
    message_id: str,
    thread: list[mail_store.ThreadMail],
    config: MailSettings,
    subject: str | None = None,
    offer: Mapping[str, Any] | None = None,
) -> EmailMessage:
    """The MIME message: kefu's Message-ID, the thread's In-Reply-To and References, the token in the subject and a
    Reply-To that threads the answer back. `subject` replaces the ticket's (a notice's own); `offer` is the article
    an acknowledgement offers (self-service)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(display_name=config.from_name, addr_spec=mailbox)
    message["To"] = to
    message["Reply-To"] = reply_address(mailbox, ticket.id)
    answered = [mail for mail in thread if mail.direction == mail_store.IN]
    if subject is None:
        subject = f"Re: {ticket.subject}" if answered else ticket.subject
    message["Subject"] = subject_with_token(subject, ticket.id)
    message["Date"] = format_datetime(now())
    message["Message-ID"] = message_ids([message_id])
    # Marks kefu's own mail: should it ever come back (a forwarding rule, a misconfigured alias), screening
    # ignores it as a loop instead of ticketing it.
    message["X-Kefu-Ticket"] = ticket.id
    if thread:
        # An acknowledgement answers the mail that opened the ticket; an agent answers the customer's latest.
        replied = (answered[0] if kind == ACKNOWLEDGEMENT else answered[-1]) if answered else thread[-1]
        for name, ids in (("In-Reply-To", [replied.message_id]), ("References", [mail.message_id for mail in thread])):
            if value := message_ids(ids):
                message[name] = value
    if kind == ACKNOWLEDGEMENT:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"  # Exchange/Outlook: no out-of-office answers to this
        body = acknowledgement_text(ticket, config.acknowledgement)
        if offer:
            body += "\n\n" + self_service_text(ticket, offer)
    if kind == NOTICE:
        # Kefu's own initiative, not an answer to anything (RFC 3834): auto-responders must not answer it either.
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(body)
    return message


def acknowledgement_text(ticket: Ticket, texts: Mapping[str, str]) -> str:
    """The configured acknowledgement in every language given, the customer's own first (Chinese when the ticket
    is written in Chinese)."""
    languages = list(texts)
    chinese = cjk.contains(ticket.subject) or cjk.contains(ticket.description)
    languages.sort(key=lambda language: 0 if language.startswith("zh") == chinese else 1)
    return "\n\n".join(
        texts[language].replace("{ticket_id}", ticket.id).replace("{subject}", ticket.subject) for language in languages
    )


def self_service_text(ticket: Ticket, offer: Mapping[str, Any]) -> str:
    """The offered article in the acknowledgement: its title and first words, and how to say it answered them."""
    text = SELF_SERVICE_TEXTS.get(str(offer.get("language")), SELF_SERVICE_TEXTS["en"])
    return text.format(
        title=str(offer.get("title") or ""), snippet=str(offer.get("snippet") or ""), ticket_id=ticket.id
    ).replace("\n\n", "\n")


def delivered_message_id(ses_message_id: str) -> str:
    """The Message-ID SES gives a mail it sends (it replaces the one kefu sets): what the customer's client quotes
    when answering."""
    region = settings().region
    host = "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
    return f"{ses_message_id}@{host}"


@cache
def _sesv2() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("sesv2", settings().region)


def _send(message: EmailMessage, mailbox: str, recipient: str) -> str:
    response = _sesv2().send_email(
        FromEmailAddress=mailbox,
        Destination={"ToAddresses": [recipient]},
        Content={"Raw": {"Data": message.as_bytes()}},
    )
    return response["MessageId"]


def _not_sent(entry: TimelineEntry, reason: str, message_id: str | None = None) -> Delivery:
    return Delivery(ticketId=entry.ticketId, entryId=entry.id, sent=False, reason=reason, messageId=message_id)


# --- at most once per timeline entry -----------------------------------------------------------------------


@cache
def _idempotent_deliver():
    def deliver_once(entry: dict, reads: TicketReads | None = None) -> dict:
        return deliver(TimelineEntry.model_validate(entry), reads).model_dump(mode="json")

    return idempotent(deliver_once, data="entry", key="[ticketId, id]", payload="[kind, visibility, body]")


def idempotency_config():
    """Register the Lambda context on this (remaining time guards records left in progress by a timeout)."""
    return _idempotent_deliver()[0]


def deliver_once(entry: TimelineEntry, reads: TicketReads | None = None) -> Delivery:
    """`deliver`, at most once per timeline entry; `reads` those of the entry's stream record, shared with its other
    entries (kefu.tickets.reads). An entry that can never be mailed (not a mail; its ticket gone or not come by
    e-mail: an agent's reply on a web ticket) is answered before the idempotency record is claimed: the answer is the
    same however often the entry comes, and its record would be two writes for nothing."""
    if mail_kind(entry) is None:
        return _not_sent(entry, "not-a-mail")
    reads = reads_for(entry.ticketId, reads)
    ticket = _email_ticket(entry, reads)
    if isinstance(ticket, Delivery):
        return ticket
    _, deliver_idempotently = _idempotent_deliver()
    return Delivery.model_validate(deliver_idempotently(entry=entry.model_dump(mode="json"), reads=reads))


def _email_ticket(entry: TimelineEntry, reads: TicketReads) -> Ticket | Delivery:
    """The ticket the entry would be mailed on, or the answer that it never can be: the ticket is gone, or did not
    come by e-mail."""
    ticket = reads.ticket
    if ticket is None:
        return _not_sent(entry, "no-ticket")
    if ticket.channel is not Channel.EMAIL:
        return _not_sent(entry, "not-an-email-ticket")
    return ticket
