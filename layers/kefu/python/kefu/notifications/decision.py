"""What to do with a notice, decided from the customer's record, the ticket's notices so far and the moment alone
(no I/O: kefu.notifications.service reads and acts).

In order:

1. an event already handled (a repeat of its stream record or its queue message) is dropped: one notice;
2. a customer who opted out (`contactPreferences.notifications` false) gets nothing, and the ticket's timeline says
   so (internal);
3. the channel is the customer's `notifyBy`, else e-mail when kefu knows an address they allow, else SMS when it
   knows a number they allow, else the app (`channel_for`);
4. a notice the ticket's own channel already carries is not sent twice: an agent's reply on an e-mail ticket went
   to the customer by e-mail (kefu.email.outbound), and every reply and status change of an app ticket reaches the
   app's contact system on the bus;
5. at most one notice per ticket per `min_interval`: a later one waits until the interval is over, and while one
   waits a newer one takes its place (coalescing: the customer hears the latest news once);
6. none in quiet hours (the customer's time zone, else the desk's): deferred to their end, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kefu.model.customer_records import Language, NotifyBy
from kefu.model.notifications import Notice, NoticeKind, NoticeState, Recipient
from kefu.model.tickets import Channel
from kefu.notifications.config import NotificationSettings
from kefu.revisits.config import QuietHours
from kefu.revisits.quiet import next_allowed_send
from kefu.routing.hant import PAIRS


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    OPTED_OUT = "opted-out"
    SKIP = "skip"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    channel: NotifyBy | None = None
    language: Language = Language.EN
    #: When a deferred notice is due.
    due: datetime | None = None


def channel_for(recipient: Recipient) -> NotifyBy:
    """The customer's channel for notices (see the module's docstring, step 3)."""
    preferences = recipient.preferences
    if preferences.notifyBy is NotifyBy.EMAIL and recipient.email:
        return NotifyBy.EMAIL
    if preferences.notifyBy is NotifyBy.SMS and recipient.phone:
        return NotifyBy.SMS
    if preferences.notifyBy is NotifyBy.APP:
        return NotifyBy.APP
    if recipient.email and preferences.email:
        return NotifyBy.EMAIL
    if recipient.phone and preferences.phone:
        return NotifyBy.SMS
    return NotifyBy.APP


# Characters written only in Traditional, and only in Simplified (OpenCC's single-character pairs).
_PAIRED = "".join(PAIRS)
_HANT = frozenset(_PAIRED[0::2]) - frozenset(_PAIRED[1::2])
_HANS = frozenset(_PAIRED[1::2]) - frozenset(_PAIRED[0::2])


def language_for(recipient: Recipient, ticket_text: str) -> Language:
    """The customer's preferred language; without one, the ticket's: Traditional Chinese when it has more
    Traditional-only than Simplified-only characters, Simplified for other Chinese, else English."""
    if recipient.language is not None:
        return recipient.language
    if not any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in ticket_text):
        return Language.EN
    traditional = sum(char in _HANT for char in ticket_text)
    simplified = sum(char in _HANS for char in ticket_text)
    return Language.ZH_HANT if traditional > simplified else Language.ZH_HANS


def quiet_hours_for(recipient: Recipient, config: NotificationSettings) -> QuietHours | None:
    """The stage's quiet hours, in the customer's own time zone when they gave one."""
    quiet = config.quiet_hours
    zone = recipient.preferences.timeZone
    if quiet is None or not zone:
        return quiet
    return quiet.model_copy(update={"timezone": zone})


def carried_by_ticket_channel(notice: Notice, ticket_channel: Channel, channel: NotifyBy) -> bool:
    """Whether the ticket's own channel already tells the customer this (step 4)."""
    if channel is NotifyBy.EMAIL and ticket_channel is Channel.EMAIL:
        return notice.kind is NoticeKind.REPLY
    return channel is NotifyBy.APP and ticket_channel is Channel.APP


def decide(
    notice: Notice,
    *,
    ticket_channel: Channel,
    ticket_text: str,
    recipient: Recipient | None,
    state: NoticeState,
    now: datetime,
    config: NotificationSettings,
    waking: bool = False,
) -> Decision:
    """The decision for `notice` (a new event's, or with `waking` the ticket's pending one, now due)."""
    if not waking and (
        state.has_handled(notice.eventId) or (state.pending and state.pending.eventId == notice.eventId)
    ):
        return Decision(Action.DUPLICATE, "already-handled")
    if not config.enabled:
        return Decision(Action.SKIP, "notifications-off")
    if recipient is None:
        return Decision(Action.SKIP, "no-customer-record")
    language = language_for(recipient, ticket_text)
    if not recipient.preferences.notifications:
        return Decision(Action.OPTED_OUT, "opted-out", language=language)
    channel = channel_for(recipient)
    if carried_by_ticket_channel(notice, ticket_channel, channel):
        return Decision(Action.SKIP, f"carried-by-the-{ticket_channel}-channel", channel=channel, language=language)
    if not waking and state.pending is not None and state.due is not None:
        return Decision(Action.DEFER, "coalesced", channel=channel, language=language, due=state.due)
    earliest = now
    if state.last_sent_at is not None and state.last_sent_at + config.min_interval > now:
        earliest = state.last_sent_at + config.min_interval
    due = next_allowed_send(earliest, quiet_hours_for(recipient, config))
    if due > now:
        reason = "rate-limited" if earliest > now else "quiet-hours"
        return Decision(Action.DEFER, reason, channel=channel, language=language, due=due)
    return Decision(Action.SEND, "due", channel=channel, language=language)
