"""Customer records: staff find, read and change them; a customer reads and changes their own.

Agents (any staff role) search by contact point or name prefix, read a profile with its ticket figures and survey
answers, list the customer's tickets and change name, tier, tags and note under the record's version. A customer
sees and changes only their own record (`/me`): name, preferred language, contact preferences.
"""

from __future__ import annotations

import re
from typing import Any

from kefu.clock import now
from kefu.config import settings
from kefu.customers import audit, contact, linking
from kefu.errors import BadRequest, Forbidden, InvalidRequest, StaleVersion
from kefu.identity import Caller, Role
from kefu.model.audit import AuditAction, AuditEntry
from kefu.model.customer_records import (
    CustomerPatch,
    CustomerProfile,
    CustomerSummary,
    OwnProfile,
    OwnProfilePatch,
)
from kefu.model.tickets import Page
from kefu.store import customer_records as records
from kefu.store import customers as customer_store
from kefu.store.customer_records import CustomerNotFound

#: A customer id: one kefu drew (`CU-…`) or a Cognito sub; anything else names nobody.
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9][\w\-.@:+]{0,127}$")


def known_id(customer_id: str) -> str:
    if not _CUSTOMER_ID.match(customer_id):
        raise CustomerNotFound(customer_id[:64])
    return customer_id


def require_known(customer_id: str) -> None:
    """CustomerNotFound unless the id names a customer record."""
    if records.summary(known_id(customer_id)) is None:
        raise CustomerNotFound(customer_id)


def page_size(limit: int | None) -> int:
    config = settings()
    if limit is None:
        return config.default_page_size
    if not 1 <= limit <= config.max_page_size:
        raise BadRequest(f"limit must be between 1 and {config.max_page_size}")
    return limit


def search(
    caller: Caller,
    *,
    email: str | None = None,
    phone: str | None = None,
    q: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[CustomerSummary]:
    """Exactly one of: the customer owning an e-mail address or a phone number, or customers by name prefix."""
    caller.require_staff()
    given = [name for name, value in (("email", email), ("phone", phone), ("q", q)) if value is not None]
    if len(given) != 1:
        raise BadRequest("search by exactly one of email, phone or q")
    size = page_size(limit)
    if q is not None:
        if not customer_store.fold_name(q):
            raise BadRequest("q is the start of a name: at least one letter")
        return records.by_name_prefix(q, limit=size, cursor=cursor)
    if cursor is not None:
        raise BadRequest("a contact point names one customer: there is no next page")
    if email is not None:
        kind, value = "email", contact.email_address(email)
    else:
        assert phone is not None  # exactly one of email, phone and q was given (checked above), and q was not
        kind, value = "phone", contact.phone_number(phone)
    owner = customer_store.by_contact(kind, value)
    return Page[CustomerSummary](items=[found] if owner and (found := _owner(owner.id)) else [], nextCursor=None)


def _owner(customer_id: str) -> CustomerSummary | None:
    """The record a contact point names: its survivor while a merge moves the point, none once erasure began (the
    point goes with the rest of the record)."""
    try:
        return records.summary(customer_id)
    except records.CustomerMerged as merged:
        return records.summary(merged.survivor_id)
    except records.CustomerErased:
        return None


def profile(caller: Caller, customer_id: str) -> CustomerProfile:
    caller.require_staff()
    found = records.profile(known_id(customer_id))
    if found is None:
        raise CustomerNotFound(customer_id)
    stats = records.ticket_stats(customer_id)
    audit.record(caller, customer_id, AuditAction.READ)
    return found.model_copy(update={"ticketCount": stats.count, "lastContactAt": stats.last_opened_at})


def update(caller: Caller, customer_id: str, patch: CustomerPatch, *, if_match: int | None) -> CustomerProfile:
    """Change name, tier, tags or note; `if_match` is the version read (None: whatever is current)."""
    caller.require_staff()
    changes = patch.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidRequest("nothing to change: give name, tier, tags or note")
    if "tier" in changes and changes["tier"] is None:
        raise InvalidRequest("a customer always has a tier: give one of standard, high_value, vip")
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    entry = audit.note(caller, AuditAction.CHANGED, list(changes))
    return records.change(known_id(customer_id), changes, expected_version=if_match, at=now(), audit=entry)


def audit_of_customer(caller: Caller, customer_id: str, *, limit: int | None, cursor: str | None) -> Page[AuditEntry]:
    """Who read or changed the record, oldest first (admins); an erased or merged record's trail stays readable."""
    caller.require(Role.ADMIN)
    return audit.of_customer(caller, known_id(customer_id), limit=page_size(limit), cursor=cursor)


def audit_of_actor(caller: Caller, actor_id: str, *, limit: int | None, cursor: str | None) -> Page[AuditEntry]:
    """Which records a person (or a system) read or changed, oldest first (admins)."""
    caller.require(Role.ADMIN)
    if not _CUSTOMER_ID.match(actor_id):
        raise InvalidRequest("actor is the id (the token's sub) of the person or system whose trail to read")
    return audit.of_actor(caller, actor_id, limit=page_size(limit), cursor=cursor)


def me(caller: Caller) -> OwnProfile:
    """The caller's own record; before their first ticket, what their token says (version 0)."""
    _require_customer(caller)
    caller = linking.resolved(caller)
    try:
        found = records.profile(caller.sub)
    except records.CustomerMerged as merged:
        # A login this process linked before its record was merged (linking.SETTLED_FOR): the survivor is theirs.
        found = records.profile(merged.survivor_id)
    if found is None:
        return OwnProfile(id=caller.sub, name=caller.name, email=caller.email, version=0)
    return _own(caller, found)


def update_me(caller: Caller, patch: OwnProfilePatch, *, if_match: int | None) -> OwnProfile:
    _require_customer(caller)
    caller = linking.resolved(caller)
    changes: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)
    if not changes:
        raise InvalidRequest("nothing to change: give name, preferredLanguage or contactPreferences")
    try:
        return _own(caller, records.change(caller.sub, changes, expected_version=if_match, at=now()))
    except records.CustomerMerged as merged:
        # As for `me`: a login this process linked before the merge; the survivor is the record to change.
        return _own(caller, records.change(merged.survivor_id, changes, expected_version=if_match, at=now()))
    except CustomerNotFound:
        # Before their first ticket a customer has no record: their first change makes it (version 0 read).
        if if_match not in (None, 0):
            raise StaleVersion(f"your record is at version 0, not {if_match}; read it again") from None
        return _own(caller, records.create(caller.sub, changes, at=now()))


def _require_customer(caller: Caller) -> None:
    if not caller.is_customer:
        raise Forbidden("/me is a customer's own record; staff read customers under /customers")


def _own(caller: Caller, found: CustomerProfile) -> OwnProfile:
    return OwnProfile(
        id=found.id,
        name=found.name,
        email=found.email or caller.email,
        phone=found.phone,
        preferredLanguage=found.preferredLanguage,
        contactPreferences=found.contactPreferences,
        version=found.version,
    )
