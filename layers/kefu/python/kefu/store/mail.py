"""E-mail in DynamoDB: Message-IDs → tickets (pattern 5), each ticket's mail thread, what became of every received
mail, per-sender hourly counts, and the record of each mail sent (written before sending, so none goes out twice).

Its annotations are evaluated (no `from __future__ import annotations`), as in kefu.email.model: its NamedTuples' field
types given as text would each be compiled into a `typing.ForwardRef` at import.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from kefu.clock import iso
from kefu.model.customers import CustomerSummary
from kefu.model.tickets import Channel, EntryKind, TimelineEntry
from kefu.store.customers import CONTACT_SK, contact_key, owner_of
from kefu.store.group_keys import GROUP_SK, group_key
from kefu.store.mail_models import BurstItem, MailRecordItem, MailThreadItem, MessageIdItem
from kefu.store.models import KefuItem
from kefu.store.tickets import TIMELINE_PREFIX, packed_entries, ticket_key, timeline_entry_id
from kefu.store.writes import condition_failed, put_all

OUT_SK = "OUT"
RECORD_SK = "MAIL"
BURST_SK = "BURST"
THREAD_PREFIX = "MAIL#"
IN, OUT = "in", "out"
SENDING, SENT = "sending", "sent"
#: Hourly counters outlive their hour by a day (DynamoDB's TTL deletes within days, never early).
_BURST_KEPT = timedelta(hours=25)
#: A thread's References are its Message-IDs; a thread longer than this keeps its first and latest ones.
MAX_THREAD = 100


# This module's records are named tuples, not frozen dataclasses: a dataclass compiles its methods from source when
# this module is imported, ~3 M instructions each on the cold start of every function that reads mail, a named tuple
# ~0.7 M (callgrind).
class MessageRef(NamedTuple):
    """A Message-ID kefu received or sent, and the ticket it belongs to."""

    message_id: str
    ticket_id: str
    customer_id: str
    direction: str
    sender: str | None = None  # received mail only
    state: str | None = None  # sent mail only: sending | sent
    entry_id: str | None = None


class ThreadMail(NamedTuple):
    message_id: str
    direction: str
    mailbox: str | None
    at: datetime


class MailRecord(NamedTuple):
    """What became of one received mail (kept whatever the outcome: the raw MIME stays in S3 under `raw_key`)."""

    ses_message_id: str
    outcome: str
    reason: str
    raw_key: str
    received_at: datetime
    detail: str | None = None
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    ticket_id: str | None = None
    threaded_by: str | None = None
    defects: tuple[str, ...] = ()


class AlreadyRecorded(Exception):
    """The item's key was already taken (a mail or a send recorded before)."""


# --- Message-IDs -------------------------------------------------------------------------------------------


def message_key(message_id: str) -> str:
    """The partition of a Message-ID; one longer than DynamoDB takes in a key is stored by its digest."""
    if len(message_id.encode()) > 1000:
        message_id = "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    return f"MSGID#{message_id}"


def _sender_sk(sender: str) -> str:
    return f"IN#{sender[:900]}"


def refs(message_id: str) -> list[MessageRef]:
    """Every ticket a Message-ID is known for (received from any sender, or sent): one Query."""
    return [_ref(message_id, item) for item in MessageIdItem.query(message_key(message_id), consistent_read=True)]


def received(message_id: str, sender: str) -> MessageRef | None:
    """The ticket a mail with this Message-ID from this sender went to, if it came before (one GetItem)."""
    try:
        item = MessageIdItem.get(message_key(message_id), _sender_sk(sender), consistent_read=True)
    except DoesNotExist:
        return None
    return _ref(message_id, item)


class Known(NamedTuple):
    """What kefu knows already of a new mail, read in one BatchGetItem (consistent) before it is ticketed: its
    record (taken before, its idempotency record expired since?), its Message-ID from this sender (sent again
    under another SES id?) and the sender's customer by e-mail (`customers.by_contact`)."""

    record: MailRecord | None
    seen: MessageRef | None
    customer: CustomerSummary | None
    #: Whether the group asked about (the one its mailbox is named after) is stored, if one was asked about.
    group_stored: bool = False


def known(ses_message_id: str, message_id: str | None, sender: str, *, group_id: str | None = None) -> Known:
    """One call where these were up to four GetItems: without a Message-ID, no Message-ID; without `group_id`, no
    group (an admin may add a group named after a mailbox, support@… → group `support`)."""
    record = (_record_key(ses_message_id), RECORD_SK)
    contact = (contact_key("email", sender), CONTACT_SK)
    message = (message_key(message_id), _sender_sk(sender)) if message_id else None
    group = (group_key(group_id), GROUP_SK) if group_id else None
    keys = [key for key in (record, message, contact, group) if key is not None]
    # The group's kind is defined by the batch read of any kind (kefu.store.models.define_every_kind); imported here,
    # not with this module: outbound mail, which reads no group, would define two kinds more on its cold start.
    from kefu.store.group_models import GroupItem

    found = {(item.pk, item.sk): item for item in KefuItem.batch_get(keys, consistent_read=True)}
    taken, seen, owner = found.get(record), found.get(message) if message else None, found.get(contact)
    return Known(
        record=_mail_record(taken) if isinstance(taken, MailRecordItem) else None,
        seen=_ref(message_id, seen) if message_id and isinstance(seen, MessageIdItem) else None,
        customer=owner_of(owner),
        group_stored=group is not None and isinstance(found.get(group), GroupItem),
    )


def received_item(message_id: str, sender: str, ticket_id: str, customer_id: str, at: datetime) -> MessageIdItem:
    return MessageIdItem(
        message_key(message_id),
        _sender_sk(sender),
        ticket_id=ticket_id,
        customer_id=customer_id,
        direction=IN,
        at=at,
    )


def _ref(message_id: str, item: MessageIdItem) -> MessageRef:
    sender = item.sk.removeprefix("IN#") if item.sk.startswith("IN#") else None
    return MessageRef(
        message_id=message_id,
        ticket_id=item.ticket_id,
        customer_id=item.customer_id,
        direction=item.direction,
        sender=sender,
        state=item.state,
        entry_id=item.entry_id,
    )


# --- a ticket's mail thread --------------------------------------------------------------------------------


def thread_item(
    ticket_id: str, message_id: str, *, direction: str, mailbox: str | None, at: datetime
) -> MailThreadItem:
    # The digest keeps two mails of one millisecond apart, and the same mail at the same key when written again.
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
    return MailThreadItem(
        ticket_key(ticket_id),
        f"{THREAD_PREFIX}{iso(at)}#{digest}",
        ticket_id=ticket_id,
        message_id=message_id,
        direction=direction,
        mailbox=mailbox,
        at=at,
    )


def thread(ticket_id: str) -> list[ThreadMail]:
    """The ticket's mails, oldest first: its first and its latest MAX_THREAD - 1 (a thread rarely has more)."""
    pk = ticket_key(ticket_id)
    first = list(MailThreadItem.query(pk, MailThreadItem.sk.startswith(THREAD_PREFIX), limit=1, consistent_read=True))
    latest = list(
        MailThreadItem.query(
            pk,
            MailThreadItem.sk.startswith(THREAD_PREFIX),
            scan_index_forward=False,
            limit=MAX_THREAD - 1,
            page_size=MAX_THREAD - 1,
            consistent_read=True,
        )
    )
    items = list(reversed(latest))
    if first and (not items or items[0].sk != first[0].sk):
        items.insert(0, first[0])
    return [ThreadMail(item.message_id, item.direction, item.mailbox, item.at) for item in items]


# --- received mail -----------------------------------------------------------------------------------------


def _record_key(ses_message_id: str) -> str:
    return f"MAIL#{ses_message_id}"


def record_item(record: MailRecord) -> MailRecordItem:
    return MailRecordItem(
        _record_key(record.ses_message_id),
        RECORD_SK,
        ses_message_id=record.ses_message_id,
        outcome=record.outcome,
        reason=record.reason,
        detail=record.detail or None,
        sender=record.sender,
        subject=record.subject,
        message_id=record.message_id,
        ticket_id=record.ticket_id,
        threaded_by=record.threaded_by,
        raw_key=record.raw_key,
        received_at=record.received_at,
        defects=list(record.defects),
    )


def keep(record: MailRecord) -> None:
    """Record a mail that opened nothing (ignored, quarantined, a duplicate); the first record of a mail stays."""
    try:
        record_item(record).save(condition=MailRecordItem.pk.does_not_exist())
    except PutError as err:
        if condition_failed(err):
            raise AlreadyRecorded(record.ses_message_id) from err
        raise


def record_of(ses_message_id: str) -> MailRecord | None:
    try:
        item = MailRecordItem.get(_record_key(ses_message_id), RECORD_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return _mail_record(item)


def _mail_record(item: MailRecordItem) -> MailRecord:
    return MailRecord(
        ses_message_id=item.ses_message_id,
        outcome=item.outcome,
        reason=item.reason,
        raw_key=item.raw_key,
        received_at=item.received_at,
        detail=item.detail,
        sender=item.sender,
        subject=item.subject,
        message_id=item.message_id,
        ticket_id=item.ticket_id,
        threaded_by=item.threaded_by,
        # pynamodb types a ListAttribute(of=UnicodeAttribute) as a list of attributes; what it holds is str.
        defects=tuple(item.defects or ()),  # type: ignore[arg-type]
    )


def count_mail_from(sender: str, moment: datetime) -> int:
    """Count one more mail from `sender` in the hour of `moment`; returns the hour's count, this one included."""
    hour = moment.strftime("%Y%m%d%H")
    item = BurstItem(f"BURST#{sender[:900]}#{hour}", BURST_SK)
    expires = int((moment + _BURST_KEPT).timestamp())
    item.update(actions=[BurstItem.mails.add(1), BurstItem.expires_at.set(expires)])
    return int(item.mails)


# --- sent mail ---------------------------------------------------------------------------------------------


def claim_send(message_id: str, *, ticket_id: str, customer_id: str, entry_id: str, at: datetime) -> MessageRef | None:
    """Claim sending the mail `message_id`: None when claimed now, else the earlier claim (sending or sent)."""
    item = MessageIdItem(
        message_key(message_id),
        OUT_SK,
        ticket_id=ticket_id,
        customer_id=customer_id,
        direction=OUT,
        at=at,
        state=SENDING,
        entry_id=entry_id,
    )
    try:
        item.save(condition=MessageIdItem.pk.does_not_exist())
    except PutError as err:
        if not condition_failed(err):
            raise
        earlier = MessageIdItem.get(message_key(message_id), OUT_SK, consistent_read=True)
        return _ref(message_id, earlier)
    return None


def release_send(message_id: str) -> None:
    """Give a claim back when SES refused the mail (it was not sent): a later attempt may send it."""
    item = MessageIdItem(message_key(message_id), OUT_SK)
    try:
        item.delete(condition=MessageIdItem.state == SENDING)
    except DeleteError as err:
        if not condition_failed(err):  # a claim already marked sent stays
            raise


def mark_sent(
    message_id: str,
    *,
    ses_message_id: str,
    delivered_id: str,
    ticket_id: str,
    customer_id: str,
    mailbox: str,
    at: datetime,
) -> None:
    """The mail went out: it joins the ticket's thread under the Message-ID SES gave it (the one its recipients'
    replies quote), that id finds the ticket too, and then its claim becomes the sent record.

    Not one transaction (each of its items would cost twice): the two puts stand alone and may be written again,
    and the claim is marked last, so a claim marked sent has its thread entry. Should the puts or the mark fail, the
    claim stays `sending`: a retry does not send the mail again (`send-uncertain`), as when a transaction failed."""
    puts: list[KefuItem] = [thread_item(ticket_id, delivered_id, direction=OUT, mailbox=mailbox, at=at)]
    if delivered_id != message_id:
        puts.append(
            MessageIdItem(
                message_key(delivered_id),
                OUT_SK,
                ticket_id=ticket_id,
                customer_id=customer_id,
                direction=OUT,
                at=at,
                state=SENT,
                ses_message_id=ses_message_id,
            )
        )
    put_all(puts)
    claim = MessageIdItem(message_key(message_id), OUT_SK)
    claim.update(
        actions=[MessageIdItem.state.set(SENT), MessageIdItem.ses_message_id.set(ses_message_id)],
        condition=MessageIdItem.pk.exists(),
    )


# --- the stream records that may become mail ----------------------------------------------------------------


def timeline_entries_of(image: Mapping[str, Any]) -> list[TimelineEntry]:
    """The timeline entries a stream record's NewImage holds (its values already deserialized): the item's own, then
    those packed behind it (kefu.store.tickets._packs); none when the item is no timeline entry of a kind kefu
    knows."""
    kinds = {kind.value for kind in EntryKind}
    if image.get("kind") != "timeline" or image.get("entryKind") not in kinds:
        return []
    first = TimelineEntry(
        id=str(image["sk"]).removeprefix(TIMELINE_PREFIX),
        ticketId=image["ticketId"],
        kind=image["entryKind"],
        visibility=image["visibility"],
        authorId=image.get("authorId"),
        authorRole=image.get("authorRole"),
        body=image.get("body"),
        data=json.loads(image.get("data") or "{}"),
        attachments=json.loads(image.get("attachments") or "[]"),
        createdAt=image["createdAt"],
    )
    return packed_entries(first, json.loads(image.get("packed") or "null"))


#: Every ticket's opening entry: the version that creates the ticket writes it first.
OPENING_ENTRY_SK = f"{TIMELINE_PREFIX}{timeline_entry_id(1, 0)}"


def outbound_stream_filters(*, acknowledgements: bool) -> list[dict]:
    """Lambda event filter patterns over the table's stream: new public replies, and (when tickets opened by
    e-mail are acknowledged) the opening messages of new e-mail tickets (their entry carries the ticket's channel:
    a web, app or chat ticket's opening never invokes the sender). Everything else never invokes the sender."""
    replies = {
        "eventName": ["INSERT"],
        "dynamodb": {
            "NewImage": {
                "kind": {"S": ["timeline"]},
                "entryKind": {"S": ["reply"]},
                "visibility": {"S": ["public"]},
            }
        },
    }
    openings = {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"sk": {"S": [OPENING_ENTRY_SK]}},
            "NewImage": {
                "kind": {"S": ["timeline"]},
                "entryKind": {"S": ["message"]},
                "channel": {"S": [Channel.EMAIL.value]},
            },
        },
    }
    return [replies, openings] if acknowledgements else [replies]
