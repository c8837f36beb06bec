"""Customer notices from kefu's outbound events: read, decide (kefu.notifications.decision), act.

The notifications function takes from its queue every `kefu.ticket.replied` and `kefu.ticket.status-changed` event
on kefu's bus (the latter only matters when the ticket went to `pending` or `resolved`), and the wake-ups of
deferred notices (kefu.notifications.wakeups). For each:

    GetItem ticket, GetItem customer, GetItem the ticket's notice state      (3 reads)
    PutItem the notice state, under its version                             (1 write: the claim)
    then one of: SNS Publish | EventBridge PutEvents | Scheduler CreateSchedule (deferred): 5 calls in all;
    or SES through kefu.email.outbound's notice (the customer and the mail thread read, the send claimed, SendEmail,
    the send marked): 10 calls; a refused send adds a timeline note (a GetItem of the ticket, a TransactWriteItems)

The state write comes before the send and carries the event as handled: a second delivery of the event, or a
concurrent one (whose write fails on the version and is retried), finds it and sends nothing. A send that may
succeed on a retry (throttled) gives the claim back and fails the record; a refusal is final and noted on the
ticket's timeline, never retried.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from kefu.channels import events
from kefu.clock import now
from kefu.errors import TicketNotFound
from kefu.identity import Caller, Role
from kefu.model.customer_records import NotifyBy
from kefu.model.notifications import Notice, NoticeKind, NoticeState, Recipient
from kefu.model.tickets import EntryKind, Status, Ticket, Visibility
from kefu.notifications import wakeups
from kefu.notifications.config import notification_settings
from kefu.notifications.decision import Action, Decision, decide
from kefu.notifications.delivery import NO_TARGET, Delivered, NoticeNotSentYet, deliver
from kefu.observability import logger
from kefu.store import notices as notice_store
from kefu.store import tickets as ticket_store
from kefu.tickets.writes import Change, Draft, change

SYSTEM = Caller(sub="system:notifications", groups=frozenset({Role.AGENT.value}), system=True)
#: A wake-up this much before its notice's due time still sends it (clocks differ a little).
EARLY_WAKE = timedelta(seconds=1)
_STATUS_NOTICES = {Status.PENDING.value: NoticeKind.PENDING, Status.RESOLVED.value: NoticeKind.RESOLVED}


class Outcome(BaseModel):
    """What became of one event or wake-up."""

    model_config = ConfigDict(frozen=True)

    ticketId: str | None
    eventId: str | None
    action: str
    reason: str
    channel: NotifyBy | None = None
    due: datetime | None = None
    sent: bool = False


def notice_of(detail_type: str, detail: dict[str, Any]) -> Notice | None:
    """The notice an outbound event makes: an agent's reply, or a status change to pending or resolved; else None."""
    if detail_type == events.REPLIED:
        kind: NoticeKind | None = NoticeKind.REPLY
    elif detail_type == events.STATUS_CHANGED:
        kind = _STATUS_NOTICES.get(str((detail.get("status") or {}).get("to")))
    else:
        kind = None
    if kind is None:
        return None
    return Notice(
        eventId=str(detail["eventId"]),
        ticketId=str(detail["ticketId"]),
        kind=kind,
        at=datetime.fromisoformat(str(detail["at"])),
        text=detail.get("text") if kind is NoticeKind.REPLY else None,
    )


def handle(detail_type: str, detail: dict[str, Any]) -> Outcome:
    """An outbound event from the bus."""
    notice = notice_of(detail_type, detail)
    if notice is None:
        return Outcome(
            ticketId=detail.get("ticketId"), eventId=detail.get("eventId"), action="skip", reason="no-notice"
        )
    return _handle(notice, waking=False)


def wake(ticket_id: str) -> Outcome:
    """A wake-up: send the ticket's notice waiting now, if any (a newer wake-up may have sent it already)."""
    state = notice_store.state(ticket_id)
    if state.pending is None:
        return Outcome(ticketId=ticket_id, eventId=None, action="skip", reason="nothing-waiting")
    if state.due is not None and state.due - EARLY_WAKE > now():
        return Outcome(ticketId=ticket_id, eventId=state.pending.eventId, action="skip", reason="not-yet-due")
    return _handle(state.pending, waking=True, state=state)


def _handle(notice: Notice, *, waking: bool, state: NoticeState | None = None) -> Outcome:
    try:
        ticket = ticket_store.get(notice.ticketId)
    except TicketNotFound:
        return Outcome(ticketId=notice.ticketId, eventId=notice.eventId, action="skip", reason="no-ticket")
    recipient = notice_store.recipient(ticket.customerId)
    state = state if state is not None else notice_store.state(ticket.id)
    moment = now()
    decision = decide(
        notice,
        ticket_channel=ticket.channel,
        ticket_text=f"{ticket.subject}\n{ticket.description}",
        recipient=recipient,
        state=state,
        now=moment,
        config=notification_settings(),
        waking=waking,
    )
    outcome = Outcome(
        ticketId=ticket.id,
        eventId=notice.eventId,
        action=decision.action.value,
        reason=decision.reason,
        channel=decision.channel,
        due=decision.due,
    )
    if decision.action is Action.DUPLICATE:
        if state.pending is not None and state.pending.eventId == notice.eventId and state.due is not None:
            wakeups.schedule_wake(ticket.id, state.due)  # the first delivery may have died before scheduling it
        return outcome
    if decision.action is Action.SKIP:
        if waking:
            notice_store.save(ticket.id, _settled(state, notice))
        return outcome
    if decision.action is Action.DEFER:
        _defer(ticket.id, notice, state, decision)
        return outcome
    assert recipient is not None, "only a customer with a record is notified or opted out"
    if decision.action is Action.OPTED_OUT:
        notice_store.save(ticket.id, _settled(state, notice))
        _note(ticket, notice, "notice-opted-out", f"Not notified ({notice.kind}): the customer opted out of notices.")
        return outcome
    return _send(ticket, notice, recipient, state, decision, moment, outcome)


def _send(
    ticket: Ticket,
    notice: Notice,
    recipient: Recipient,
    state: NoticeState,
    decision: Decision,
    moment: datetime,
    outcome: Outcome,
) -> Outcome:
    assert decision.channel is not None
    claimed = notice_store.save(ticket.id, replace(_settled(state, notice), last_sent_at=moment))
    try:
        delivered = deliver(decision.channel, notice, ticket, recipient, decision.language)
    except NoticeNotSentYet:
        # Nothing went out: the state goes back to what it was (the notice waiting, if it was) for the retry.
        notice_store.save(ticket.id, replace(state, version=claimed.version))
        raise
    if not delivered.sent and delivered.reason != NO_TARGET:  # a missing target is noted by the channel's report
        _note(
            ticket,
            notice,
            "notice-failed",
            f"Notice not delivered ({notice.kind} by {decision.channel}): {delivered.reason}. Not retried.",
            channel=decision.channel.value,
            reason=delivered.reason,
        )
    logger.info(
        "customer notice",
        extra={"ticketId": ticket.id, "eventId": notice.eventId, "channel": decision.channel, **delivered.model_dump()},
    )
    return outcome.model_copy(update={"sent": delivered.sent, "reason": _reason(delivered)})


def _reason(delivered: Delivered) -> str:
    return "sent" if delivered.sent else delivered.reason


def _defer(ticket_id: str, notice: Notice, state: NoticeState, decision: Decision) -> None:
    """The notice waits (replacing the one waiting: coalesced) and is woken at its due time."""
    assert decision.due is not None
    waiting = state.pending
    coalesced = waiting is not None and waiting.eventId != notice.eventId
    handled = state.handled + ((waiting.eventId,) if waiting is not None and coalesced else ())
    notice_store.save(ticket_id, replace(state, pending=notice, due=decision.due, handled=handled))
    if not coalesced or decision.due != state.due:  # a notice coalesced into a waiting one keeps its wake-up
        wakeups.schedule_wake(ticket_id, decision.due)


def _settled(state: NoticeState, notice: Notice) -> NoticeState:
    """The state once `notice` is dealt with: handled, and no longer waiting if it was."""
    waiting = state.pending is not None and state.pending.eventId == notice.eventId
    return replace(
        state,
        pending=None if waiting else state.pending,
        due=None if waiting else state.due,
        handled=(*state.handled, notice.eventId),
    )


def _note(ticket: Ticket, notice: Notice, event: str, body: str, **data: str) -> None:
    """An internal note on the ticket's timeline: agents see what the customer was (not) told."""
    recorded = {"event": event, "notice": notice.kind.value, "eventId": notice.eventId, **data}

    def decide_note(current: Ticket) -> Change:
        draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, body=body, data=recorded)
        return Change(current.model_copy(update={"updatedAt": now()}), [draft])

    change(SYSTEM, ticket.id, decide_note)
