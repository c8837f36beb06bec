"""Taking a contact off the intake queue: it opens a ticket, or is added to the ticket its thread became (or, that
one closed or resolved too long ago to reopen, opens a follow-up of it).

Delivery is at least once, so taking is idempotent on (channel, externalId): a redelivered contact is answered
with the first outcome, and a different contact under a key already taken is refused (IntakeKeyReused), never
silently replayed.
"""

from __future__ import annotations

from functools import cache

from kefu.errors import Conflict, InvalidRequest
from kefu.idempotency import idempotent
from kefu.identity import Caller, Role
from kefu.intake.model import IntakeMessage, IntakeOutcome
from kefu.model.ticket_requests import NewTicket
from kefu.model.tickets import Channel
from kefu.store import threads as thread_store
from kefu.tickets import service as tickets
from kefu.tickets.customer import contact_points

#: The content that must match when a (channel, externalId) comes again; `channel` and `externalId` are the key.
CONTENT = "[customer, subject, body, category, priority, occurredAt, metadata]"


class IntakeKeyReused(InvalidRequest):
    """A (channel, externalId) already taken came again with different content."""


class IntakeInProgress(Conflict):
    """The same contact is being taken by another invocation right now; it is retried later."""


def system_caller(channel: Channel) -> Caller:
    """Who the timeline says wrote a relayed contact: the channel's intake, acting with an agent's rights (it opens
    tickets for customers as an agent taking a call would), never confused with a person (`system:` is no
    Cognito sub)."""
    return Caller(
        sub=f"system:intake:{channel.value}",
        groups=frozenset({Role.AGENT.value}),
        name=f"{channel} intake",
        system=True,
    )


def take(message: IntakeMessage) -> IntakeOutcome:
    """Open a ticket for the contact, or add it to the ticket its thread already became.

    When that ticket can no longer take it (closed, or resolved longer ago than the reopen window), the contact
    opens a follow-up of it, and the thread goes on with the follow-up: the thread's lookup is moved to the new
    ticket in its transaction, on condition that it still points at the old one, so two contacts arriving at once
    never open two follow-ups.
    """
    caller = system_caller(message.channel)
    channel, thread = message.channel.value, message.thread_id
    points = contact_points(message.customer)
    for _ in range(3):
        follow_up_of = None
        # The thread's ticket and the customer's contact points in one read (the owners are unused when the thread
        # has its ticket: a read unit or two more, a call fewer when it has none).
        ticket_id, owners = thread_store.ticket_and_owners(channel, thread, points)
        if ticket_id is not None:
            try:
                tickets.relay_customer_message(caller, ticket_id, message.body, origin=message.origin())
                return _outcome(message, ticket_id, opened=False)
            except tickets.NotReopenable as err:
                follow_up_of = err.ticket
        try:
            ticket = tickets.open_ticket(
                caller,
                ticket_request(message),
                lookups=lambda t: [thread_store.new_item(channel, thread, t.id, t.createdAt)],
                origin=message.origin(),
                follow_up_of=follow_up_of,
                contact_owners=None if follow_up_of else owners,
            )
        except Conflict:
            continue  # another contact of the thread opened its ticket (or follow-up) meanwhile: add this one to it
        return _outcome(message, ticket.id, opened=True, follow_up_of=ticket.followUpOf)
    raise Conflict(f"the ticket of {channel} thread {thread} could not be opened; try again")


def ticket_request(message: IntakeMessage) -> NewTicket:
    """The request that opens the contact's ticket.

    Not validated again: the message's fields were validated with the types NewTicket gives them (the same trimmed
    texts and lengths, CustomerRef and enums; tests/unit/test_intake_request.py holds them the same), and validating
    would build NewTicket's schema in intake's cold start for nothing (~5 M instructions).

    `attachments` and `tags` are given their defaults here, and the fields set named as they would be without them:
    `model_construct` calls a default factory through pydantic's check of whether it takes the validated data, an
    `inspect.signature` of it each time (~40 k instructions each, in every message's work)."""
    return NewTicket.model_construct(
        {"subject", "description", "category", "channel", "customer", "priority"},
        subject=message.subject,
        description=message.body,
        category=message.category,
        channel=message.channel,
        customer=message.customer,
        priority=message.priority,
        attachments=[],
        tags=[],
    )


def _outcome(message: IntakeMessage, ticket_id: str, *, opened: bool, follow_up_of: str | None = None) -> IntakeOutcome:
    return IntakeOutcome(
        ticketId=ticket_id,
        opened=opened,
        followUpOf=follow_up_of,
        channel=message.channel,
        externalId=message.externalId,
    )


@cache
def _idempotent_take():
    """`take` behind Powertools idempotency, keyed by (channel, externalId)."""

    # The message goes in, and its outcome comes out, as models: Powertools keys and hashes the message's JSON dump
    # and stores the outcome's. Neither is validated again from its dump when a contact is first taken; a repeat's
    # outcome is validated back from its record.
    def take_once(contact: IntakeMessage) -> IntakeOutcome:
        return take(contact)

    return idempotent(take_once, data="contact", key="[channel, externalId]", payload=CONTENT, result=IntakeOutcome)


def idempotency_config():
    """Register the Lambda context on this (remaining time guards records left in progress by a timeout)."""
    return _idempotent_take()[0]


def take_once(message: IntakeMessage) -> IntakeOutcome:
    """`take`, at most once per (channel, externalId)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    _, take_idempotently = _idempotent_take()
    try:
        return take_idempotently(contact=message)
    except IdempotencyValidationError as err:
        raise IntakeKeyReused(
            f"{message.channel.value} contact {message.externalId} was already taken with different content"
        ) from err
    except IdempotencyAlreadyInProgressError as err:
        raise IntakeInProgress(f"{message.channel.value} contact {message.externalId} is being taken") from err
