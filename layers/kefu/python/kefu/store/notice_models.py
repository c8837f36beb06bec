"""The table's kinds of customer notices and text messages (kefu.store.notices, kefu.store.texts). Apart from
kefu.store.models, which says why."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute, VersionAttribute

from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.models import KefuItem


class NoticeStateItem(KefuItem, discriminator="notice_state"):
    """A ticket's customer notices: pk=NOTICES#<ticket id>, sk=STATE. When one last went out, the one waiting for
    its time (JSON, with when it is due), and the events already handled (the last few, newest last)."""

    last_sent_at = UtcDateTimeAttribute(attr_name="lastSentAt", null=True)
    pending = CompactJSONAttribute(null=True)
    due = UtcDateTimeAttribute(null=True)
    handled = ListAttribute(of=UnicodeAttribute, default=list)
    version = VersionAttribute()


class TextSendItem(KefuItem, discriminator="text_send"):
    """A text message kefu sends at most once: pk=SMS#<ticket id>#<key>, sk=OUT; claimed (sending) before SNS is
    called, then sent (with SNS's message id) or failed (with why: final, never retried)."""

    ticket_id = UnicodeAttribute(attr_name="ticketId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    state = UnicodeAttribute()
    at = UtcDateTimeAttribute()
    sns_message_id = UnicodeAttribute(attr_name="snsMessageId", null=True)
    reason = UnicodeAttribute(null=True)
