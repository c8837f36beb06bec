"""Whose a new ticket is: the calling customer, or the one an agent names (by id, e-mail or phone), created with the
ticket when there is no record of them yet; a follow-up's is its earlier ticket's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from kefu.clock import now
from kefu.customers import contact
from kefu.customers.linking import verified_contacts
from kefu.errors import InvalidRequest
from kefu.identity import Caller
from kefu.ids import new_customer_id
from kefu.model.customers import Customer, CustomerSummary, Tier
from kefu.model.ticket_requests import CustomerRef, NewTicket
from kefu.model.tickets import Ticket
from kefu.store import customers as customer_store
from kefu.store.customers import ContactClaims

#: Owners of contact points, as read a moment ago: (kind, value as kept) -> the customer, or None for nobody.
ContactOwners = Mapping[tuple[str, str], CustomerSummary | None]


class Whose(NamedTuple):
    """The customer a new ticket belongs to, and their record to create with it if there is none yet."""

    customer: CustomerSummary
    new: Customer | None
    #: The contact points the new record claims (no claim: the record holds them, another record owns them).
    claims: ContactClaims | None = None


def customer_of(earlier: Ticket) -> CustomerSummary:
    """A follow-up's customer: the earlier ticket's, as their record says now (their tier may have changed)."""
    existing = customer_store.get(earlier.customerId)
    if existing is None:
        return CustomerSummary(id=earlier.customerId, tier=earlier.customerTier)
    return CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name)


def customer_for(
    caller: Caller,
    request: NewTicket,
    *,
    contested: bool = False,
    known: ContactOwners | None = None,
) -> Whose:
    """The customer a new ticket belongs to, and the customer record to create with it if there is none yet.

    A customer caller is resolved already (kefu.customers.linking): `caller.sub` is their record's id. Their new
    record claims only contact points the identity provider verified and nobody else owns: a claim another record
    holds would refuse the whole ticket on every try, and an unverified one must never take an address away. Linking
    found them free a moment ago; `contested` (a claim was refused meanwhile) reads who owns them now.

    `known`: owners of contact points as whoever opens the ticket read them a moment ago (inbound mail, with the
    mail's own lookups): not read again, unless `contested` (a claim refused since says one of them changed).
    """
    read = {} if contested else known

    if caller.is_customer:
        existing = customer_store.get(caller.sub)
        if existing:
            return Whose(CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None)
        claims = {
            kind: value
            for kind, value in verified_contacts(caller)
            if not contested or (owner := customer_store.by_contact(kind, value)) is None or owner.id == caller.sub
        }
        email = contact_email(caller.email) if caller.email else None
        return _new_customer(
            caller.sub,
            email=email,
            phone=claims.get("phone"),
            name=caller.name,
            claims=(claims.get("email"), claims.get("phone")),
        )
    ref = request.customer
    if ref is None:
        raise InvalidRequest("an agent opening a ticket names its customer (customer.id, .email or .phone)")
    if ref.id:
        existing = customer_store.get(ref.id)
        if existing is None:
            raise InvalidRequest(f"customer {ref.id} does not exist")
        return Whose(CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None)
    email = contact.email_address(ref.email) if ref.email else None
    phone = contact.phone_number(ref.phone) if ref.phone else None
    if email:
        found = _owner_of("email", email, read)
        if found:
            return Whose(found, None)
    if phone:
        found = _owner_of("phone", phone, read) or _by_legacy_phone(ref.phone or "", phone)
        if found:
            return Whose(found, None)
    return _new_customer(new_customer_id(), email=email, phone=phone, name=ref.name, claims=(email, phone))


def _owner_of(kind: str, value: str, read: ContactOwners | None) -> CustomerSummary | None:
    """Whose a contact point is: as `read` says when it was read a moment ago, else read now."""
    if read is not None and (kind, value) in read:
        return read[kind, value]
    return customer_store.by_contact(kind, value)


def contact_points(ref: CustomerRef) -> list[tuple[str, str]]:
    """The contact points `customer_for` looks a ticket's customer up by, as kept (a value that is not one is left
    out: `customer_for` refuses it), for a caller that reads their owners beforehand along with its own lookups."""
    if ref.id:
        return []
    points = []
    for kind, raw, normal in (("email", ref.email, contact.email_address), ("phone", ref.phone, contact.phone_number)):
        if raw:
            try:
                points.append((kind, normal(raw)))
            except InvalidRequest:
                continue
    return points


def contact_email(raw: str) -> str | None:
    """A token's e-mail address as kefu keeps it, or None when it is not one (the record just does not hold it)."""
    try:
        return contact.email_address(raw)
    except InvalidRequest:
        return None


def _by_legacy_phone(raw: str, e164: str) -> CustomerSummary | None:
    """A phone number's owner under the key older releases wrote: a number given without its country code was
    kept as its bare digits (`13800138000`), not in E.164. Such claims stay readable, so the customer behind one is
    found, not created a second time; new claims are written in E.164 only."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+") or not digits or digits == e164:
        return None
    return customer_store.by_contact("phone", digits)


def _new_customer(
    customer_id: str,
    *,
    email: str | None,
    phone: str | None,
    name: str | None,
    claims: tuple[str | None, str | None],
) -> Whose:
    moment = now()
    customer = Customer(
        id=customer_id,
        name=name,
        email=email,
        phone=phone,
        tier=Tier.STANDARD,
        createdAt=moment,
        updatedAt=moment,
    )
    claimed_email, claimed_phone = claims
    return Whose(
        CustomerSummary(id=customer.id, tier=customer.tier, name=customer.name),
        customer,
        claims=ContactClaims(email=claimed_email, phone=claimed_phone),
    )
