"""A ticket's customer notices (kefu.notifications): one item per ticket, written under its version, so two
deliveries of one event, or an event and a wake-up, never both send; and the customer record's reachability.

    GetItem  pk=NOTICES#<ticket id>, sk=STATE       the state (none yet: an empty one)
    PutItem  the same, conditional on the version   every decision that changes it
    GetItem  pk=CUST#<id>, sk=CUSTOMER              who the notice is for and how to reach them
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from kefu.model.customer_records import ContactPreferences, Language
from kefu.model.notifications import Notice, NoticeState, Recipient
from kefu.store.customers import CUSTOMER_SK, customer_key
from kefu.store.failures import VersionConflict
from kefu.store.models import CustomerItem
from kefu.store.notice_models import NoticeStateItem
from kefu.store.writes import condition_failed

STATE_SK = "STATE"
#: Events remembered per ticket: a stream record or queue message comes again within hours, not after this many
#: later events of the same ticket (an e-mail notice is also claimed by its Message-ID, kefu.email.outbound).
HANDLED_KEPT = 20


def _key(ticket_id: str) -> str:
    return f"NOTICES#{ticket_id}"


def state(ticket_id: str) -> NoticeState:
    try:
        item = NoticeStateItem.get(_key(ticket_id), STATE_SK, consistent_read=True)
    except DoesNotExist:
        return NoticeState()
    pending = Notice.model_validate(item.pending) if item.pending else None
    return NoticeState(
        last_sent_at=item.last_sent_at,
        pending=pending,
        due=item.due,
        handled=tuple(str(event) for event in item.handled or []),
        version=item.version,
    )


def save(ticket_id: str, new: NoticeState) -> NoticeState:
    """Write `new` if the stored state is still at `new.version` (None: none stored); VersionConflict if another
    delivery wrote first (the record is retried, and then sees what that one did)."""
    item = NoticeStateItem(
        _key(ticket_id),
        STATE_SK,
        last_sent_at=new.last_sent_at,
        pending=new.pending.model_dump(mode="json") if new.pending else None,
        due=new.due,
        handled=list(new.handled[-HANDLED_KEPT:]),
    )
    if new.version is not None:  # none: a first write, conditional on no item (pynamodb's version check)
        item.version = new.version
    try:
        item.save()
    except PutError as err:
        if condition_failed(err):
            raise VersionConflict(f"the notices of ticket {ticket_id} changed meanwhile") from None
        raise
    return NoticeState(
        last_sent_at=new.last_sent_at,
        pending=new.pending,
        due=new.due,
        handled=tuple(str(event) for event in item.handled),
        version=item.version,
    )


def recipient(customer_id: str) -> Recipient | None:
    try:
        item = CustomerItem.get(customer_key(customer_id), CUSTOMER_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return Recipient(
        customer_id=customer_id,
        name=item.name,
        email=item.email,
        phone=item.phone,
        language=Language(item.preferred_language) if item.preferred_language else None,
        preferences=ContactPreferences.model_validate(item.contact_preferences or {}),
    )
