"""Customer records as staff and the customer use them (access patterns 2 and 8, and the name-prefix index).

A profile is one Query of the customer's partition (`CUST#<id>`: the record, sk CUSTOMER, and its survey results,
sk SURVEY#…) and one keys-only Query of its tickets (gsi1, `CUST#<id>`) for the count and the last contact.
A change is written under the record's version; a change of name or tier also rewrites the customer's contact
points, which carry both so that opening a ticket by e-mail or phone reads one item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kefu.clock import iso
from kefu.errors import Conflict, Gone, Moved, NotFound, StaleVersion
from kefu.model.audit import AuditNote
from kefu.model.customer_records import ContactPoint, ContactPreferences, CustomerProfile, CustomerSummary
from kefu.model.customers import Tier
from kefu.model.surveys import SurveyResult
from kefu.model.tickets import Page
from kefu.store import audit as audit_store
from kefu.store import cursor as cursors
from kefu.store.customers import (
    CONTACT_SK,
    CUSTOMER_SK,
    contact_key,
    customer_key,
    fold_name,
    name_keys,
)
from kefu.store.full_items import read_in_full
from kefu.store.models import ContactItem, CustomerItem, KefuItem
from kefu.store.survey_models import CustomerSurveyItem
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, condition_failed, connection, in_request_order

#: Survey answers shown on a profile (a customer is revisited at most once per cycle, so this is years of them).
SURVEYS_SHOWN = 20


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str):
        super().__init__(f"customer {customer_id} does not exist")
        self.customer_id = customer_id


class CustomerMerged(Moved):
    """The record was merged into another (its survivor), which holds its tickets, contact points and history."""

    def __init__(self, customer_id: str, survivor_id: str):
        super().__init__(
            f"customer {customer_id} was merged into customer {survivor_id}",
            location=f"/customers/{survivor_id}",
            mergedInto=survivor_id,
        )
        self.customer_id = customer_id
        self.survivor_id = survivor_id


class CustomerErased(Gone):
    """The record's personal data was erased (or is being erased): only the fact that it existed is left."""

    def __init__(self, customer_id: str, status: str, requested_at: datetime | None, erased_at: datetime | None):
        state = "was erased" if status == "erased" else "is being erased"
        erasure = {"status": status, "requestedAt": iso(requested_at) if requested_at else None}
        erasure["erasedAt"] = iso(erased_at) if erased_at else None
        super().__init__(f"customer {customer_id} {state} at an admin's request", erasure=erasure)
        self.customer_id = customer_id
        self.status = status


def guard(item: CustomerItem) -> CustomerItem:
    """The record, if it is one a customer route may use: CustomerMerged or CustomerErased otherwise."""
    if item.merged_into:
        raise CustomerMerged(item.customer_id, item.merged_into)
    if item.erasure:
        raise CustomerErased(item.customer_id, item.erasure, item.erasure_requested_at, item.erased_at)
    return item


@dataclass(frozen=True)
class TicketStats:
    count: int
    last_opened_at: datetime | None


#: Profile field → the record's attribute, for what a change may set.
_ATTRIBUTES = {
    "name": "name",
    "tier": "tier",
    "tags": "tags",
    "note": "note",
    "preferredLanguage": "preferred_language",
    "contactPreferences": "contact_preferences",
    "externalId": "external_id",
    "crmUpdatedAt": "crm_updated_at",
}


def profile(customer_id: str) -> CustomerProfile | None:
    """The record with its newest survey results (one Query), or None. Ticket figures come from ticket_stats."""
    record: CustomerItem | None = None
    surveys: list[CustomerSurveyItem] = []
    for item in KefuItem.query(customer_key(customer_id), scan_index_forward=False, consistent_read=True):
        if isinstance(item, CustomerItem):
            record = item
        elif isinstance(item, CustomerSurveyItem):
            surveys.append(item)
    if record is None:
        return None
    return _profile(guard(record), surveys[:SURVEYS_SHOWN])


def ticket_stats(customer_id: str) -> TicketStats:
    """How many tickets the customer has and when the newest was opened: one keys-only Query, newest first."""
    table = KefuItem._get_connection()
    count, newest, start = 0, None, None
    while True:
        page = table.query(
            f"CUST#{customer_id}",
            index_name="gsi1",
            attributes_to_get=["gsi1sk"],
            scan_index_forward=False,
            exclusive_start_key=start,
        )
        items = page.get("Items", [])
        if newest is None and items:
            newest = items[0]["gsi1sk"]["S"].split("#", 1)[0]
        count += len(items)
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return TicketStats(count=count, last_opened_at=datetime.fromisoformat(newest) if newest else None)


def summary(customer_id: str) -> CustomerSummary | None:
    try:
        item = CustomerItem.get(customer_key(customer_id), CUSTOMER_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return _summary(guard(item))


def by_name_prefix(prefix: str, *, limit: int, cursor: str | None) -> Page[CustomerSummary]:
    """Customers whose name starts with `prefix` (case and spacing ignored), by name: one Query of the index."""
    folded = fold_name(prefix)
    partition = f"CUSTNAME#{folded[0]}"
    start = cursors.decode(cursor, key_names={"pk", "sk", "gsi1pk", "gsi1sk"}, partition=("gsi1pk", partition))
    result = CustomerItem.by_customer.query(
        partition,
        CustomerItem.gsi1sk.startswith(folded),
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    items = [_summary(item) for item in read_in_full(result)]
    return Page[CustomerSummary](items=items, nextCursor=cursors.encode(result.last_evaluated_key))


def change(
    customer_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
    at: datetime,
    crm_newer_than: bool = False,
    audit: AuditNote | None = None,
) -> CustomerProfile:
    """Apply `changes` (profile field → value, None removes) to the record, under its version.

    `expected_version` None writes over whatever version is current (a retry re-reads); otherwise a record changed
    since that version is StaleVersion. `crm_newer_than` writes only if the record's `crmUpdatedAt` is older than
    the change's (a CRM message delivered late does not undo a newer one): else the record is returned unchanged.
    `audit` is written in the change's transaction: a change is never made without its entry, nor recorded undone.
    """
    for _ in range(3):
        try:
            item = CustomerItem.get(customer_key(customer_id), CUSTOMER_SK, consistent_read=True)
        except DoesNotExist as err:
            raise CustomerNotFound(customer_id) from err
        guard(item)
        if expected_version is not None and item.version != expected_version:
            raise StaleVersion(f"customer {customer_id} changed since version {expected_version}; read it again")
        if crm_newer_than and item.crm_updated_at and item.crm_updated_at >= changes["crmUpdatedAt"]:
            return _profile(item, [])
        also: list[KefuItem] = [audit_store.item_of(customer_id, audit, at)] if audit else []
        try:
            _write(item, changes, at, also)
        except TransactWriteError as err:
            codes = cancellation_codes(err)
            # Where the record's update sits in the request: `_write` updates it first, then puts `also`.
            record = in_request_order([("update", "record"), *[("save", "entry")] * len(also)]).index("record")
            if codes[record : record + 1] == [CONDITION_FAILED]:
                if expected_version is not None:
                    raise StaleVersion(f"customer {customer_id} changed meanwhile; read it again") from err
                continue
            if CONDITION_FAILED in codes:
                raise Conflict(f"a contact point of customer {customer_id} moved to another customer") from err
            raise
        for field, value in changes.items():
            setattr(item, _ATTRIBUTES[field], value)
        item.updated_at = at
        return _profile(item, [])
    raise Conflict(f"customer {customer_id} kept changing; try again")


def _write(item: CustomerItem, changes: dict[str, Any], at: datetime, also: list[KefuItem]) -> None:
    actions: list[Action] = [CustomerItem.updated_at.set(at)]
    settings = {_ATTRIBUTES[field]: value for field, value in changes.items()}
    if "name" in changes:
        settings.update(name_keys(item.customer_id, changes["name"]))
    actions += [_set(getattr(CustomerItem, name), value) for name, value in settings.items()]
    with TransactWrite(connection=connection()) as transaction:
        transaction.update(item, actions, condition=CustomerItem.pk.exists())
        for extra in also:
            transaction.save(extra)
        if "name" in changes or "tier" in changes:
            carried = [
                _set(ContactItem.name, changes.get("name", item.name)),
                ContactItem.tier.set(changes.get("tier", item.tier)),
            ]
            for point in _contact_points(item):
                transaction.update(
                    ContactItem(contact_key(point.kind, point.value), CONTACT_SK),
                    carried,
                    condition=ContactItem.customer_id == item.customer_id,
                )


def _set(attribute: Any, value: Any) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def _contact_points(item: CustomerItem) -> list[ContactPoint]:
    points = []
    if item.email:
        points.append(ContactPoint(kind="email", value=item.email))
    if item.phone:
        points.append(ContactPoint(kind="phone", value=item.phone))
    points += [ContactPoint(**point) for point in item.other_contacts or []]
    return points


def _summary(item: CustomerItem) -> CustomerSummary:
    return CustomerSummary(
        id=item.customer_id,
        name=item.name,
        email=item.email,
        phone=item.phone,
        tier=Tier(item.tier),
        tags=list(item.tags or []),
    )


def _profile(item: CustomerItem, surveys: list[CustomerSurveyItem]) -> CustomerProfile:
    return CustomerProfile(
        **_summary(item).model_dump(),
        note=item.note,
        contactPoints=_contact_points(item),
        preferredLanguage=item.preferred_language,
        contactPreferences=ContactPreferences(**(item.contact_preferences or {})),
        externalId=item.external_id,
        surveys=[_survey(s) for s in surveys],
        createdAt=item.created_at,
        updatedAt=item.updated_at,
        version=item.version or 0,
    )


def _survey(item: CustomerSurveyItem) -> SurveyResult:
    return SurveyResult(
        surveyId=item.survey_id,
        ticketId=item.ticket_id,
        channel=item.channel,
        csat=int(item.csat),
        nps=int(item.nps) if item.nps is not None else None,
        comment=item.comment,
        answeredAt=item.answered_at,
    )


def create(customer_id: str, changes: dict[str, Any], *, at: datetime) -> CustomerProfile:
    """A record made by its customer before any ticket (PATCH /me): no contact point is claimed by it (claiming
    is identity linking's, at ticket opening). StaleVersion when one was made meanwhile."""
    settings = {_ATTRIBUTES[field]: value for field, value in changes.items() if value is not None}
    item = CustomerItem(
        customer_key(customer_id),
        CUSTOMER_SK,
        customer_id=customer_id,
        tier=Tier.STANDARD.value,
        created_at=at,
        updated_at=at,
        **settings,
        **name_keys(customer_id, settings.get("name")),
    )
    try:
        item.save(condition=CustomerItem.pk.does_not_exist())
    except PutError as err:
        if condition_failed(err):
            raise StaleVersion(f"customer {customer_id} was created meanwhile; read it again") from err
        raise
    return _profile(item, [])


def claim(items: list[KefuItem]) -> bool:
    """Write a new customer's record and contact points (kefu.store.customers.new_items), each only if new: False
    when one of them exists already (another writer claimed the contact point first), nothing written then."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            for item in items:
                transaction.save(item, condition=type(item).pk.does_not_exist())
    except TransactWriteError as err:
        if CONDITION_FAILED in cancellation_codes(err):
            return False
        raise
    return True
