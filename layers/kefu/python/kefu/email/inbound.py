"""Received mail into tickets (docs/architecture.md, "Inbound e-mail").

SES has stored the raw MIME in S3 before any code runs. Each stored mail is read, parsed and screened; what may
not become a ticket (auto-replies, bounces, kefu's own mail, a sender's burst, failed SES verdicts, unreadable
bytes) is kept with its reason and never answered. The rest threads into the customer's ticket — by In-Reply-To,
the References chain, the ticket token in the subject, or the reply address, and only within the sender's own
tickets — or opens one. A reply to a ticket resolved within the reopen window reopens it; after the window, or
once closed, it opens a follow-up ticket linked to the old one. A mail to the complaints address (the deployment's
`mail.complaints`) opens a complaint whatever it says; a reply it threads into joins that ticket as it is.

Delivery is at least once. A mail is taken once per SES message id (Powertools idempotency, and its record
written in the ticket's transaction) and once per Message-ID and sender (the Message-ID lookup, written in the
same transaction): a mail delivered again, or sent again under another SES id, never makes a second ticket.
"""

import re
from datetime import timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from kefu.clock import now
from kefu.config import settings
from kefu.deployment import configured_groups
from kefu.email import raw as raw_mail
from kefu.email.config import MailSettings, attachments_bucket, mail_settings
from kefu.email.model import InboundMail, Outcome, Screening
from kefu.email.parsing import parse
from kefu.email.screening import screen
from kefu.email.threading import normalize_subject, thread_signals
from kefu.errors import Conflict, TicketNotFound
from kefu.idempotency import idempotent
from kefu.identity import Caller, Role
from kefu.ids import is_group_id
from kefu.model.customers import CustomerSummary, normalize_email
from kefu.model.text import has_utf8_form
from kefu.model.ticket_requests import CustomerRef, NewTicket
from kefu.model.tickets import Attachment, Category, Channel, Status, Ticket
from kefu.store import mail as mail_store
from kefu.store import tickets as ticket_store
from kefu.store.failures import WriteRefused
from kefu.store.models import KefuItem
from kefu.tickets import service as tickets

#: Besides accept / ignore / quarantine: a mail kefu already took (the same Message-ID from the same sender).
DUPLICATE = "duplicate"
#: What the timeline records as the way a reply found its ticket.
IN_REPLY_TO, REFERENCES, SUBJECT_TOKEN, REPLY_ADDRESS = "in-reply-to", "references", "subject-token", "reply-address"
#: Message-IDs of one mail looked up at most (a References header can list a whole mailing-list history).
MAX_LOOKUPS = 20
#: A mail's files stored at most (NewTicket's limit); the rest are listed as omitted and stay in the raw mail.
MAX_ATTACHMENTS = 20
MAX_SUBJECT, MAX_TEXT = 300, 100_000
#: How many of a customer's latest tickets are looked through for an open follow-up of a closed one.
FOLLOW_UPS_SEEN = 25

SYSTEM = Caller(sub="system:email", groups=frozenset({Role.AGENT.value}), name="e-mail", system=True)


class StoredMail(BaseModel):
    """A raw mail as SES stored it: `<bucket>/<prefix><SES message id>`."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str

    @property
    def ses_message_id(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class MailOutcome(BaseModel):
    """What became of one received mail."""

    model_config = ConfigDict(frozen=True)

    sesMessageId: str
    outcome: str  # accept | ignore | quarantine | duplicate
    reason: str
    ticketId: str | None = None
    opened: bool = False
    threadedBy: str | None = None
    detail: str = ""
    #: Nothing usable could be read out of the bytes (no sender, or the parser gave up): reported for a person.
    unreadable: bool = False


def receive(stored: StoredMail) -> MailOutcome:
    """Take one stored mail: ticket it, add it to its ticket, or keep it with the reason it was not.

    A mail taken before (its idempotency record has expired since) gets its first outcome again. Whether it was is
    read late, to save a call: with the Message-ID and the sender in one BatchGetItem for a mail to ticket, and by
    the record's conditional write for a mail kept; only a mail whose raw object is gone reads its record first.
    """
    ses_id = stored.ses_message_id
    try:
        content = raw_mail.read(stored.bucket, stored.key)
    except raw_mail.RawMailGone:
        earlier = mail_store.record_of(ses_id)
        if earlier is not None:
            return _outcome_of(earlier)
        raise
    moment = now()
    config = mail_settings()
    mail, screening = _read(content, config)
    unreadable = mail is None or mail.sender is None
    if unreadable and screening.outcome is Outcome.ACCEPT:
        screening = Screening(Outcome.QUARANTINE, "unparseable", "no sender could be read out of the mail")
    record = mail_store.MailRecord(
        ses_message_id=ses_id,
        outcome=screening.outcome.value,
        reason=screening.reason,
        detail=screening.detail,
        raw_key=stored.key,
        received_at=moment,
        sender=mail.sender.address if mail and mail.sender else None,
        subject=mail.subject[:MAX_SUBJECT] if mail else None,
        message_id=mail.message_id if mail else None,
        defects=tuple(mail.defects) if mail else (),
    )
    if unreadable or screening.outcome is not Outcome.ACCEPT:
        return _keep(record, unreadable=unreadable)
    assert mail is not None and mail.sender is not None
    sender = normalize_email(mail.sender.address)
    mailbox = config.mailbox_for(_addresses(mail))
    named_after = _group_named_after(mailbox)
    # A deployed group is in the configuration; a stored one (an admin's) is read with the rest.
    unsure = named_after if named_after is not None and named_after not in configured_groups() else None
    known = mail_store.known(ses_id, mail.message_id, sender, group_id=unsure)
    if known.record is not None:
        return _outcome_of(known.record)
    if known.seen is not None:
        return _keep(_as_duplicate(record, known.seen.ticket_id))
    if mail_store.count_mail_from(sender, moment) > config.burst_per_hour:
        detail = f"more than {config.burst_per_hour} mails from {sender} this hour"
        return _keep(_replace(record, outcome=Outcome.IGNORE.value, reason="burst", detail=detail))
    group = named_after if named_after in configured_groups() or known.group_stored else None
    return _ticket(mail, sender, known.customer, record, config, mailbox, group)


def _read(content: bytes, config: MailSettings) -> tuple[InboundMail | None, Screening]:
    """Parse and screen. The parser never raises by contract; if it ever does, the mail is kept as unparseable
    rather than retried until it blocks the queue."""
    try:
        mail = parse(content)
    except Exception as err:  # any failure to read the bytes is a property of the mail, kept with it
        return None, Screening(Outcome.QUARANTINE, "unparseable", f"{type(err).__name__}: {err}"[:500])
    return mail, screen(mail, own_addresses=config.own_addresses(), own_domain=config.domain)


def _ticket(
    mail: InboundMail,
    sender: str,
    customer: CustomerSummary | None,
    record: mail_store.MailRecord,
    config: MailSettings,
    mailbox: str,
    group: str | None,
) -> MailOutcome:
    """`mailbox`: the desk's address the mail was sent to; `group`: the group that mailbox is named after
    (complaints@… → complaints), if there is one."""
    found = _thread(mail, customer.id, config) if customer else None
    attachments = _store_attachments(mail, record.ses_message_id, config)
    addresses = _addresses(mail)
    origin: dict[str, Any] = {"channel": Channel.EMAIL.value, "sesMessageId": record.ses_message_id, "from": sender}
    if config.to_complaints(addresses):
        # Written to the complaints address: a complaint whatever the words say, so the complaint policy (the
        # 48-hour loop) applies; routing keeps a category its caller gives.
        origin["complaintsAddress"] = config.complaints
    if mail.message_id:
        origin["messageId"] = mail.message_id

    def opened(**how: Any) -> MailOutcome:
        """The mail's new ticket (`_open`), with the origin as it stands at that round."""
        return _open(mail, sender, record, attachments, mailbox, origin, group=group, **how)

    for _ in range(3):
        try:
            if found is None:
                return opened(follow_up_of=None, threaded_by=None, owner=customer)
            ticket_id, threaded_by = found
            ticket = ticket_store.get(ticket_id)
            if _too_late_to_reopen(ticket):
                follow_up = _open_follow_up_of(ticket)
                if follow_up is None:
                    return opened(follow_up_of=ticket, threaded_by=threaded_by)
                # The conversation already went on in a follow-up: this mail belongs there too.
                origin = {**origin, "threadOf": ticket.id}
                ticket = follow_up
            return _reply(ticket, mail, record, attachments, mailbox, origin, threaded_by)
        except (WriteRefused, Conflict):
            # Another delivery of this mail took its keys meanwhile, or the ticket was closed or resolved long ago
            # meanwhile (then the next round opens its follow-up).
            earlier = _taken(record)
            if earlier is not None:
                return earlier
    raise Conflict(f"mail {record.ses_message_id} could not be added to a ticket; it will be retried")


def _thread(mail: InboundMail, customer_id: str, config: MailSettings) -> tuple[str, str] | None:
    """The sender's ticket this mail answers, and which signal said so; a signal naming another customer's ticket
    is not followed (a guessed token or a forwarded thread must not put mail on a stranger's ticket)."""
    signals = thread_signals(mail, domain=config.domain)
    replied_to = set(mail.in_reply_to)
    for message_id in signals.message_ids[:MAX_LOOKUPS]:
        for ref in mail_store.refs(message_id):
            if ref.customer_id == customer_id:
                return ref.ticket_id, IN_REPLY_TO if message_id in replied_to else REFERENCES
    for token, signal in ((signals.subject_token, SUBJECT_TOKEN), (signals.address_token, REPLY_ADDRESS)):
        if not token:
            continue
        try:
            ticket = ticket_store.get(token)
        except TicketNotFound:
            continue
        if ticket.customerId == customer_id:
            return ticket.id, signal
    return None


def _too_late_to_reopen(ticket: Ticket) -> bool:
    if ticket.status is Status.CLOSED:
        return True
    if ticket.status is not Status.RESOLVED:
        return False
    resolved_at = ticket.sla.resolvedAt or ticket.updatedAt
    return now() - resolved_at > timedelta(days=settings().reopen_window_days)


def _open_follow_up_of(ticket: Ticket) -> Ticket | None:
    """The follow-up of `ticket` that is still open to replies, among its customer's latest tickets (one Query)."""
    latest = ticket_store.by_customer(ticket.customerId, status=None, limit=FOLLOW_UPS_SEEN, cursor=None)
    for candidate in latest.items:
        if candidate.followUpOf == ticket.id and not _too_late_to_reopen(candidate):
            return candidate
    return None


def _open(
    mail: InboundMail,
    sender: str,
    record: mail_store.MailRecord,
    attachments: list[Attachment],
    mailbox: str,
    origin: dict[str, Any],
    *,
    follow_up_of: Ticket | None,
    threaded_by: str | None,
    owner: CustomerSummary | None = None,
    group: str | None = None,
) -> MailOutcome:
    """A new ticket for the mail; a follow-up's belongs to the earlier ticket's customer. `owner`: whose the sender's
    address is as `receive` read it (None: nobody's yet), so opening does not read it a second time; `group`: the
    group its mailbox is named after, if there is one (routing's choice otherwise)."""
    request = ticket_request(
        mail, sender, attachments, complaint="complaintsAddress" in origin, follow_up_of=follow_up_of
    )
    data = dict(origin)
    if follow_up_of is not None:
        data.update({"threadedBy": threaded_by, "followUpOf": follow_up_of.id})
    accepted: list[mail_store.MailRecord] = []

    def lookups(ticket: Ticket) -> list[KefuItem]:
        done = _replace(record, ticket_id=ticket.id, threaded_by=threaded_by)
        accepted[:] = [done]
        return _lookup_items(ticket, mail, done, mailbox)

    ticket = tickets.open_ticket(
        SYSTEM,
        request,
        lookups=lookups,
        origin=data,
        follow_up_of=follow_up_of,
        group=group,
        contact_owners=None if follow_up_of else {("email", sender): owner},
    )
    return _outcome_of(accepted[0], opened=True, ticket_id=ticket.id)


def ticket_request(
    mail: InboundMail, sender: str, attachments: list[Attachment], *, complaint: bool, follow_up_of: Ticket | None
) -> NewTicket:
    """The request that opens the mail's ticket (a follow-up's: for the earlier ticket's customer).

    Made without validating it: each value is one NewTicket's validation keeps as it is (the subject clipped to 300
    characters and the description to 100,000, both stripped and never empty; the customer a validated CustomerRef;
    the attachments validated Attachments), and validating built NewTicket's schema in inbound mail's cold start for
    nothing (~4.5 M instructions). tests/unit/test_email_request.py holds it to what validating makes.
    """
    subject = _clip(normalize_subject(mail.subject) or mail.subject.strip(), MAX_SUBJECT) or "(no subject)"
    name = mail.sender.name[:200] if mail.sender and mail.sender.name else None
    customer = CustomerRef(id=follow_up_of.customerId) if follow_up_of else _customer_ref(sender, name)
    # A new conversation is described by the whole mail; a follow-up by what was written this time (the old
    # conversation is on the linked ticket).
    text = (mail.reply_text or mail.text) if follow_up_of else mail.text
    # NewTicket's limit of 20 files counts those a ticket keeps (at most MAX_ATTACHMENTS are stored); files left
    # out are listed too (name, size and why, no content), so the ticket carries the whole list.
    return NewTicket.model_construct(
        subject=subject,
        description=_text(text, attachments),
        category=Category.COMPLAINT if complaint else None,
        channel=Channel.EMAIL,
        customer=customer,
        attachments=attachments,
    )


def _customer_ref(sender: str, name: str | None) -> CustomerRef:
    """`CustomerRef(email=sender, name=name)`, made without validating when validating would keep both as they are:
    an ASCII address of 3 to 254 characters with one "@" between two non-empty parts and no space (CustomerRef's
    pattern; Python's spaces include the pattern's), and no name or one of at most 200 characters without a lone
    surrogate. Validating built CustomerRef's schema on inbound mail's first mail (~4.8 M instructions, callgrind);
    other values are validated as before (and refused as before). tests/unit/test_email_request.py holds it."""
    local, _, domain = sender.partition("@")
    plain_address = sender.isascii() and 3 <= len(sender) <= 254 and bool(local and domain) and "@" not in domain
    if plain_address and not any(char.isspace() for char in sender) and (name is None or _plain_name(name)):
        return CustomerRef.model_construct(email=sender, name=name)
    return CustomerRef(email=sender, name=name)


def _plain_name(name: str) -> bool:
    return len(name) <= 200 and has_utf8_form(name)  # CustomerRef refuses a lone surrogate


def _reply(
    ticket: Ticket,
    mail: InboundMail,
    record: mail_store.MailRecord,
    attachments: list[Attachment],
    mailbox: str,
    origin: dict[str, Any],
    threaded_by: str,
) -> MailOutcome:
    done = _replace(record, ticket_id=ticket.id, threaded_by=threaded_by)
    tickets.relay_customer_message(
        SYSTEM,
        ticket.id,
        _text(mail.reply_text or mail.text, attachments),
        origin={**origin, "threadedBy": threaded_by},
        attachments=attachments,
        lookups=lambda current: _lookup_items(current, mail, done, mailbox),
    )
    return _outcome_of(done)


def _lookup_items(ticket: Ticket, mail: InboundMail, record: mail_store.MailRecord, mailbox: str) -> list[KefuItem]:
    """Written with the ticket's change, each only if new: the mail's record (once per SES id), its Message-ID
    from this sender (once per Message-ID and sender) and its place in the ticket's mail thread."""
    assert mail.sender is not None
    sender = normalize_email(mail.sender.address)
    items: list[KefuItem] = [mail_store.record_item(record)]
    if mail.message_id:
        moment = record.received_at
        items.append(mail_store.received_item(mail.message_id, sender, ticket.id, ticket.customerId, moment))
        items.append(
            mail_store.thread_item(ticket.id, mail.message_id, direction=mail_store.IN, mailbox=mailbox, at=moment)
        )
    return items


def _taken(record: mail_store.MailRecord) -> MailOutcome | None:
    """The outcome of this mail if another delivery took it meanwhile (by SES id, or by Message-ID and sender)."""
    earlier = mail_store.record_of(record.ses_message_id)
    if earlier is not None:
        return _outcome_of(earlier)
    if record.message_id and record.sender:
        seen = mail_store.received(record.message_id, normalize_email(record.sender))
        if seen is not None:
            return _keep(_as_duplicate(record, seen.ticket_id))
    return None


def _addresses(mail: InboundMail) -> tuple[str, ...]:
    return tuple(a.address for a in (*mail.to, *mail.cc))


def _group_named_after(mailbox: str) -> str | None:
    """The group a mailbox would open its tickets in (complaints@… → complaints), if its name can be a group's;
    whether that group exists is asked of the configuration, then of the table."""
    local = mailbox.split("@", 1)[0].lower()
    return local if is_group_id(local) else None


# --- attachments -------------------------------------------------------------------------------------------


def _store_attachments(mail: InboundMail, ses_id: str, config: MailSettings) -> list[Attachment]:
    """Each file to the attachment bucket under `mail/<SES id>/<n>/<name>`, unless it is over the per-file limit
    or would take the mail over the total limit: then it is listed with the reason and no key."""
    listed: list[Attachment] = []
    stored_bytes = 0
    bucket = attachments_bucket() if mail.attachments else ""
    for number, part in enumerate(mail.attachments, start=1):
        name = _file_name(part.filename, number)
        content_type = part.content_type if 3 <= len(part.content_type) <= 127 else "application/octet-stream"
        omitted = None
        if number > MAX_ATTACHMENTS:
            omitted = f"past the limit of {MAX_ATTACHMENTS} files for one mail; it is kept in the raw mail"
        elif part.size > config.max_attachment_bytes:
            omitted = f"larger than the per-file limit of {config.max_attachment_bytes} bytes"
        elif stored_bytes + part.size > config.max_total_attachment_bytes:
            omitted = f"over the limit of {config.max_total_attachment_bytes} bytes for one mail's files"
        key = None
        if omitted is None:
            key = f"mail/{ses_id}/{number}/{name}"
            raw_mail.store(bucket, key, part.content, content_type)
            stored_bytes += part.size
        listed.append(
            Attachment(
                name=name,
                contentType=content_type,
                size=part.size,
                key=key,
                omitted=omitted,
                inline=True if part.inline else None,
            )
        )
    return listed


#: What a stored file's name may not hold; compiled by the first mail with files (re's own cache keeps it).
_UNSAFE = r"[\x00-\x1f\x7f/\\]+"


def _file_name(name: str, number: int) -> str:
    cleaned = re.sub(_UNSAFE, "_", name).strip(" .")
    return cleaned[-200:] or f"attachment-{number}"


# --- small helpers -----------------------------------------------------------------------------------------


def _text(text: str, attachments: list[Attachment]) -> str:
    body = text.strip()
    if not body:
        return "(no text; see the attachments)" if attachments else "(no text)"
    if len(body) > MAX_TEXT:
        return body[: MAX_TEXT - 40].rstrip() + "\n[… cut; the whole mail is kept]"
    return body


def _clip(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _replace(record: mail_store.MailRecord, **changes: Any) -> mail_store.MailRecord:
    return record._replace(**changes)


def _as_duplicate(record: mail_store.MailRecord, ticket_id: str) -> mail_store.MailRecord:
    detail = f"Message-ID {record.message_id} from {record.sender} was taken before"
    return _replace(record, outcome=DUPLICATE, reason="same-message-id", detail=detail, ticket_id=ticket_id)


def _keep(record: mail_store.MailRecord, *, unreadable: bool = False) -> MailOutcome:
    """Record a mail that opened nothing; if it was recorded before, its first outcome stands (and an unreadable
    mail is reported for a person only the first time)."""
    try:
        mail_store.keep(record)
    except mail_store.AlreadyRecorded:
        earlier = mail_store.record_of(record.ses_message_id)
        if earlier is not None:
            return _outcome_of(earlier)
    return _outcome_of(record).model_copy(update={"unreadable": unreadable})


def _outcome_of(record: mail_store.MailRecord, *, opened: bool = False, ticket_id: str | None = None) -> MailOutcome:
    return MailOutcome(
        sesMessageId=record.ses_message_id,
        outcome=record.outcome,
        reason=record.reason,
        ticketId=ticket_id or record.ticket_id,
        opened=opened,
        threadedBy=record.threaded_by,
        detail=record.detail or "",
    )


# --- at most once per SES message id -----------------------------------------------------------------------


@cache
def _idempotent_receive():
    # The outcome comes out as the model: Powertools stores its JSON dump, and validates one back only to answer a
    # repeat from its record.
    def receive_once(mail: dict) -> MailOutcome:
        return receive(StoredMail.model_validate(mail))

    return idempotent(receive_once, data="mail", key="sesMessageId", payload="[bucket, key]", result=MailOutcome)


def idempotency_config():
    """Register the Lambda context on this (remaining time guards records left in progress by a timeout)."""
    return _idempotent_receive()[0]


def receive_once(stored: StoredMail) -> MailOutcome:
    """`receive`, at most once per SES message id (the stored object's name)."""
    _, receive_idempotently = _idempotent_receive()
    payload = {"sesMessageId": stored.ses_message_id, "bucket": stored.bucket, "key": stored.key}
    return receive_idempotently(mail=payload)
