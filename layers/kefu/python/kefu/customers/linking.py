"""Which customer record an app user is: their own (keyed by their token's sub), or the existing record their
verified e-mail address or phone number belongs to (an agent opened a ticket for them, or they mailed in first).

Decided at the login's first request and written once (kefu.store.logins): from then on the login is that record,
its tickets and history included (a merge moves it to the survivor, an erasure deletes it). An unverified claim
never links: anyone can type any address into a sign-up form. See docs/architecture.md ("Customers").
"""

from __future__ import annotations

import time
from dataclasses import replace

from kefu.clock import now
from kefu.customers import contact
from kefu.errors import InvalidRequest
from kefu.identity import Caller

#: Login → (customer id, when read), as read or written. A login item changes only when its record is merged into
#: another (or erased), so what this process saw stays true for a while: a warm function reads it again after this
#: many seconds, not on every request.
SETTLED_FOR = 300.0
_settled: dict[str, tuple[str, float]] = {}


def forget() -> None:
    """Drop what this process remembers (a table emptied under it, as between tests)."""
    _settled.clear()


def resolved(caller: Caller) -> Caller:
    """The caller as the customer record they are: `sub` that record's id, the token's sub kept as `login`.

    Staff, and a caller already resolved, are returned as they are.
    """
    if not caller.is_customer or caller.login is not None:
        return caller
    customer_id = customer_id_of(caller)
    if customer_id == caller.sub:
        return caller
    return replace(caller, sub=customer_id, login=caller.sub)


def customer_id_of(caller: Caller) -> str:
    """The customer id of a customer caller's login, decided and recorded at its first request."""
    known = _settled.get(caller.sub)
    if known is not None and time.monotonic() - known[1] < SETTLED_FOR:
        return known[0]
    # The stores are imported with a customer's first request: every API request resolves its caller here, and staff
    # (returned as they are by `resolved`) never need them.
    from kefu.store import logins

    customer_id = logins.customer_of(caller.sub)
    if customer_id is None:
        customer_id, how = _decide(caller)
        customer_id = logins.settle(caller.sub, customer_id, linked_by=how, at=now())
    _settled[caller.sub] = (customer_id, time.monotonic())
    return customer_id


def verified_contacts(caller: Caller) -> list[tuple[str, str]]:
    """The caller's verified contact points as kefu keeps them (kind, value); a claim that does not parse is none."""
    points: list[tuple[str, str]] = []
    for kind, raw, verified, normal in (
        ("email", caller.email, caller.email_verified, contact.email_address),
        ("phone", caller.phone, caller.phone_verified, contact.phone_number),
    ):
        if raw and verified:
            try:
                points.append((kind, normal(raw)))
            except InvalidRequest:
                continue  # the identity provider's idea of a valid address is not kefu's: it cannot link then
    return points


def _decide(caller: Caller) -> tuple[str, str]:
    """The record a new login is, and how: the first verified contact point's owner, else a record of their own."""
    from kefu.store import customers as customer_store

    for kind, value in verified_contacts(caller):
        owner = customer_store.by_contact(kind, value)
        if owner is not None:
            if owner.id != caller.sub and customer_store.get(caller.sub) is not None:
                # A login with a record of its own from before logins were recorded keeps it: linking it now
                # would hide its tickets from it.
                return caller.sub, "own"
            return owner.id, kind
    return caller.sub, "own"
