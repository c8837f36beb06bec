"""The table's e-mail kinds (kefu.store.mail): Message-IDs, a ticket's mail thread, what became of each
received mail, a sender's mails per hour. Apart from kefu.store.models, which says why."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from kefu.store.attributes import UtcDateTimeAttribute
from kefu.store.models import KefuItem


class MessageIdItem(KefuItem, discriminator="msgid"):
    """An e-mail Message-ID → its ticket (pattern 5): pk=MSGID#<message-id>; sk=IN#<sender> for a received mail
    (a Message-ID names one mail only together with its sender), OUT for a mail kefu sent."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    direction = UnicodeAttribute()  # in | out
    at = UtcDateTimeAttribute()
    #: Sent mail only: sending (claimed, SES not yet known to have it) | sent; and what SES called it.
    state = UnicodeAttribute(null=True)
    entry_id = UnicodeAttribute(attr_name="entryId", null=True)
    ses_message_id = UnicodeAttribute(attr_name="sesMessageId", null=True)


class MailThreadItem(KefuItem, discriminator="mailthread"):
    """One mail of a ticket's conversation, in order: pk=TICKET#<id>, sk=MAIL#<at>#<n> (References come from it)."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    message_id = UnicodeAttribute(attr_name="messageId")
    direction = UnicodeAttribute()
    #: Which of kefu's addresses the conversation runs through (answers go out from it).
    mailbox = UnicodeAttribute(null=True)
    at = UtcDateTimeAttribute()


class MailRecordItem(KefuItem, discriminator="mail"):
    """What became of one received mail: pk=MAIL#<SES message id>, sk=MAIL. Kept whatever the outcome."""

    ses_message_id = UnicodeAttribute(attr_name="sesMessageId")
    outcome = UnicodeAttribute()  # accept | ignore | quarantine | duplicate
    reason = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(attr_name="messageId", null=True)
    ticket_id = UnicodeAttribute(attr_name="ticketId", null=True)
    threaded_by = UnicodeAttribute(attr_name="threadedBy", null=True)
    raw_key = UnicodeAttribute(attr_name="rawKey")
    received_at = UtcDateTimeAttribute(attr_name="receivedAt")
    defects = ListAttribute(of=UnicodeAttribute, default=list)


class BurstItem(KefuItem, discriminator="burst"):
    """Mails from one sender in one hour: pk=BURST#<sender>#<yyyymmddhh>, sk=BURST, counted with an atomic ADD and
    gone after `expiresAt` (the table's TTL attribute, epoch seconds)."""

    # Stored as `count`; named otherwise here, since a model's `count` is pynamodb's query count.
    mails = NumberAttribute(attr_name="count", default=0)
    expires_at = NumberAttribute(attr_name="expiresAt")
