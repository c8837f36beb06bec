"""Customers and their unique contact points (access pattern 8)."""

from __future__ import annotations

from typing import NamedTuple, TypedDict

from pynamodb.exceptions import DoesNotExist

from kefu.model.customers import Customer, CustomerSummary
from kefu.store.models import ContactItem, CustomerItem, KefuItem

CUSTOMER_SK = "CUSTOMER"
CONTACT_SK = "CONTACT"


def customer_key(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def contact_key(kind: str, value: str) -> str:
    return f"CONTACT#{kind}#{value}"


def fold_name(text: str) -> str:
    """A name as searched: case and runs of spaces do not matter (`Li  Wei` and `li wei` are one name)."""
    return " ".join(text.casefold().split())


class NameKeys(TypedDict):
    """The name-prefix index keys of a customer record (typed, so they can be passed to the item as keywords)."""

    gsi1pk: str | None
    gsi1sk: str | None


def name_keys(customer_id: str, name: str | None) -> NameKeys:
    """The name-prefix index keys of a customer record: a partition per first letter of the folded name."""
    folded = fold_name(name) if name else ""
    if not folded:
        return {"gsi1pk": None, "gsi1sk": None}
    return {"gsi1pk": f"CUSTNAME#{folded[0]}", "gsi1sk": f"{folded}#{customer_id}"}


def get(customer_id: str) -> Customer | None:
    """The customer, or the one a merged record was merged into (its tickets and contact points are there now)."""
    try:
        item = CustomerItem.get(customer_key(customer_id), CUSTOMER_SK)
        if item.merged_into:
            item = CustomerItem.get(customer_key(item.merged_into), CUSTOMER_SK)
    except DoesNotExist:
        return None
    return _customer(item)


def by_contact(kind: str, value: str) -> CustomerSummary | None:
    """The customer owning an e-mail address or phone number (one GetItem)."""
    try:
        item = ContactItem.get(contact_key(kind, value), CONTACT_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return owner_of(item)


def owner_of(item: object) -> CustomerSummary | None:
    """The customer a contact point item names (None when `item` is none: the point is nobody's), for callers that
    read contact points in a batch with their own lookups."""
    if not isinstance(item, ContactItem):
        return None
    values = item.attribute_values  # as kefu.store.agents._member_row reads them: what the descriptors read
    return CustomerSummary(id=values.get("customer_id"), tier=values.get("tier"), name=values.get("name"))


# A named tuple, not a frozen dataclass (as kefu.store.tickets.LoadChange: ~2 M instructions less at import).
class ContactClaims(NamedTuple):
    """The contact points a new record claims, when not all it holds (None: the record's own e-mail and phone)."""

    email: str | None = None
    phone: str | None = None


def new_items(customer: Customer, claims: ContactClaims | None = None) -> list[KefuItem]:
    """The items a new customer needs: its record and one claim per contact point it claims (`claims`, by default
    every one it holds).

    They go into the transaction that opens the customer's first ticket, each with a does-not-exist condition,
    so two writers can never give one address to two customers.
    """
    claimed = claims or ContactClaims(email=customer.email, phone=customer.phone)
    created = customer.createdAt
    items: list[KefuItem] = [
        CustomerItem(
            customer_key(customer.id),
            CUSTOMER_SK,
            customer_id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            tier=customer.tier.value,
            created_at=created,
            updated_at=created,
            **name_keys(customer.id, customer.name),
        )
    ]
    for kind, value in (("email", claimed.email), ("phone", claimed.phone)):
        if value:
            items.append(
                ContactItem(
                    contact_key(kind, value),
                    CONTACT_SK,
                    customer_id=customer.id,
                    tier=customer.tier.value,
                    name=customer.name,
                )
            )
    return items


def _customer(item: CustomerItem) -> Customer:
    # Read from the item's values by their Python names, as kefu.store.agents._member_row reads a member's: all
    # these attributes' descriptors do, at several times the cost (every ticket a customer opens reads them).
    values = item.attribute_values
    return Customer(
        id=values.get("customer_id"),
        name=values.get("name"),
        email=values.get("email"),
        phone=values.get("phone"),
        tier=values.get("tier"),
        createdAt=values.get("created_at"),
        updatedAt=values.get("updated_at"),
        lastRevisitedAt=values.get("last_revisited_at"),
    )
