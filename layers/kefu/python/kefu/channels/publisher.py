"""Publishing the outbound events: each public reply, status change and survey request once on kefu's bus.

The outbound dispatcher (functions/email_outbound) hands every timeline entry its stream filters let through to
`publish_once`. An entry that makes an event (kefu.channels.events) is put on the bus; the bus's rule for the
ticket's channel sends it to that channel's queue. A ticket whose channel needs a target (every channel but e-mail
and web) and has none configured still has its event on the bus, where nothing takes it: the answer is recorded
on the ticket as it is, and the failed delivery is reported on the timeline (an internal note, `delivery-failed`)
and counted (metric ChannelDeliveryFailed, alarmed).

Never twice: the stream delivers an entry at least once, so publishing is idempotent on the entry (Powertools
idempotency); should a record come again after that record expired, the event carries the same `eventId`, by which
the consumer drops it. A PutEvents that fails fails the record, to be retried.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from kefu.channels import events
from kefu.channels.config import channel_targets, event_bus, needs_target
from kefu.clock import now
from kefu.config import settings
from kefu.idempotency import idempotent
from kefu.model.tickets import Channel, EntryKind, Ticket, TimelineEntry, Visibility
from kefu.observability import logger, metrics
from kefu.store import tickets as ticket_store
from kefu.tickets.reads import TicketReads, reads_for

if TYPE_CHECKING:
    from kefu.identity import Caller

NO_TARGET = "no-target"


class PublishFailed(Exception):
    """EventBridge did not take the event (throttled, or failed internally): the record is retried."""


class Publication(BaseModel):
    """What became of one entry: published as which event, or not and why; whether its channel got it."""

    model_config = ConfigDict(frozen=True)

    ticketId: str
    entryId: str
    published: bool
    reason: str
    detailType: str | None = None
    eventId: str | None = None
    delivered: bool = False


def publish(entry: TimelineEntry, reads: TicketReads | None = None) -> Publication:
    """Put the entry's event on the bus, if it makes one; the ticket and customer through `reads` (those of the
    entry's stream record), if given."""
    kind = events.detail_type(entry)
    if kind is None:
        return Publication(ticketId=entry.ticketId, entryId=entry.id, published=False, reason="not-an-event")
    reads = reads_for(entry.ticketId, reads)
    ticket = reads.ticket
    if ticket is None:
        return Publication(ticketId=entry.ticketId, entryId=entry.id, published=False, reason="no-ticket")
    built = events.build(entry, ticket, reads.customer, external_thread(ticket))
    assert built is not None, "an entry with a detail type makes an event"
    kind, detail = built
    put_event(events.as_entry(kind, detail, event_bus()))
    published = Publication(
        ticketId=ticket.id, entryId=entry.id, published=True, reason=kind, detailType=kind, eventId=detail["eventId"]
    )
    if needs_target(ticket.channel) and ticket.channel not in channel_targets():
        report_undelivered(ticket, kind, detail["eventId"])
        return published
    return published.model_copy(update={"delivered": needs_target(ticket.channel)})


def external_thread(ticket: Ticket) -> str | None:
    """The contact system's own conversation the ticket is (recorded on its opening entry by the intake); None for
    a ticket that came by e-mail or the web, which have none."""
    if not needs_target(ticket.channel):
        return None
    opening = ticket_store.timeline(ticket.id, public_only=False, limit=1, cursor=None).items
    if not opening:
        return None
    thread = opening[0].data.get("threadId") or opening[0].data.get("externalId")
    return str(thread) if thread else None


def report_undelivered(ticket: Ticket, kind: str, event_id: str, channel: Channel | None = None) -> None:
    """An event for a channel with no target: logged, counted (ChannelDeliveryFailed, alarmed) and noted on the
    ticket's timeline (internal), since it reached no one. Also kefu.notifications' app notices."""
    name = (channel or ticket.channel).value
    logger.error(
        "no target is configured for the ticket's channel: the event was put on the bus but reaches no one",
        extra={"ticketId": ticket.id, "channel": name, "eventId": event_id, "detailType": kind},
    )
    metrics.add_metric(name="ChannelDeliveryFailed", unit="Count", value=1)
    # Imported when needed: the ticket service brings routing and assignment, which the dispatcher's cold start
    # (every record of the stream it is shown) has no use for otherwise.
    from kefu.tickets.writes import Change, Draft, change

    data = {"event": "delivery-failed", "reason": NO_TARGET, "channel": name, "eventId": event_id, "of": kind}
    body = (
        f"Not delivered to the customer: the {name} channel has no target configured (channels in the "
        f"deployment configuration), so {kind} {event_id} reached no contact system."
    )

    def decide(current: Ticket) -> Change:
        draft = Draft(EntryKind.NOTE, Visibility.INTERNAL, body=body, data=data)
        return Change(current.model_copy(update={"updatedAt": now()}), [draft])

    change(system_caller(), ticket.id, decide)


@cache
def system_caller() -> Caller:
    """Who the channels' notes are written by on the timeline. Made with the first note: kefu.identity (its roles,
    the caller's dataclass) cost the dispatcher's cold start ~7 M instructions (callgrind), for a note it rarely
    writes."""
    from kefu.identity import Caller, Role

    return Caller(sub="system:channels", groups=frozenset({Role.AGENT.value}), system=True)


@cache
def _events_client() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("events", settings().region)


def put_event(entry: dict[str, Any]) -> None:
    """Put one event on the bus; PublishFailed if EventBridge refused it (to be retried)."""
    response = _events_client().put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        failed = response["Entries"][0]
        raise PublishFailed(f"EventBridge refused the event: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}")


# --- at most once per timeline entry -----------------------------------------------------------------------


@cache
def _idempotent_publish():
    def publish_entry_once(entry: dict, reads: TicketReads | None = None) -> dict:
        return publish(TimelineEntry.model_validate(entry), reads).model_dump(mode="json")

    return idempotent(publish_entry_once, data="entry", key="[ticketId, id]", payload="[kind, visibility, body]")


def idempotency_config():
    """Register the Lambda context on this (remaining time guards records left in progress by a timeout)."""
    return _idempotent_publish()[0]


def publish_once(entry: TimelineEntry, reads: TicketReads | None = None) -> Publication:
    """`publish`, at most once per timeline entry; `reads` those of the entry's stream record, shared with its other
    entries (kefu.tickets.reads)."""
    _, publish_idempotently = _idempotent_publish()
    return Publication.model_validate(publish_idempotently(entry=entry.model_dump(mode="json"), reads=reads))
