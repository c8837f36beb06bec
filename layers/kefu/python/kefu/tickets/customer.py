"""Whose a new ticket is: the calling customer, or the one an agent names (by id, e-mail or phone), created with the
ticket when there is no record of them yet; a follow-up's is its earlier ticket's."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.clock import now
from kefu.errors import InvalidRequest
from kefu.identity import Caller
from kefu.ids import new_customer_id
from kefu.model.customers import Customer, CustomerSummary, Tier, normalize_email, normalize_phone
from kefu.model.tickets import NewTicket, Ticket
from kefu.store import customers as customer_store


@dataclass(frozen=True)
class Whose:
    """The customer a new ticket belongs to, and their record to create with it if there is none yet."""

    customer: CustomerSummary
    new: Customer | None


def customer_of(earlier: Ticket) -> CustomerSummary:
    """A follow-up's customer: the earlier ticket's, as their record says now (their tier may have changed)."""
    existing = customer_store.get(earlier.customerId)
    if existing is None:
        return CustomerSummary(id=earlier.customerId, tier=earlier.customerTier)
    return CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name)


def customer_for(caller: Caller, request: NewTicket) -> Whose:
    """The customer a new ticket belongs to, and the customer record to create with it if there is none yet."""
    if caller.is_customer:
        existing = customer_store.get(caller.sub)
        if existing:
            return Whose(CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None)
        return _new_customer(caller.sub, email=caller.email, phone=None, name=caller.name)
    ref = request.customer
    if ref is None:
        raise InvalidRequest("an agent opening a ticket names its customer (customer.id, .email or .phone)")
    if ref.id:
        existing = customer_store.get(ref.id)
        if existing is None:
            raise InvalidRequest(f"customer {ref.id} does not exist")
        return Whose(CustomerSummary(id=existing.id, tier=existing.tier, name=existing.name), None)
    email = normalize_email(ref.email) if ref.email else None
    phone = normalize_phone(ref.phone) if ref.phone else None
    for kind, value in (("email", email), ("phone", phone)):
        if value:
            found = customer_store.by_contact(kind, value)
            if found:
                return Whose(found, None)
    return _new_customer(new_customer_id(), email=email, phone=phone, name=ref.name)


def _new_customer(customer_id: str, *, email: str | None, phone: str | None, name: str | None) -> Whose:
    moment = now()
    customer = Customer(
        id=customer_id,
        name=name,
        email=normalize_email(email) if email else None,
        phone=phone,
        tier=Tier.STANDARD,
        createdAt=moment,
        updatedAt=moment,
    )
    return Whose(CustomerSummary(id=customer.id, tier=customer.tier, name=customer.name), customer)
