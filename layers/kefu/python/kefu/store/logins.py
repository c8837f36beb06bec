"""App logins and the customer record each is: one item per token sub, written once and never changed."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError

from kefu.store.models import LoginItem
from kefu.store.writes import condition_failed

LOGIN_SK = "LOGIN"


def login_key(sub: str) -> str:
    return f"LOGIN#{sub}"


def customer_of(sub: str) -> str | None:
    """The customer id the login is, or None before its first decision (one consistent GetItem)."""
    try:
        item = LoginItem.get(login_key(sub), LOGIN_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return item.customer_id


def settle(sub: str, customer_id: str, *, linked_by: str, at: datetime) -> str:
    """Record that the login is `customer_id`, unless a concurrent first request recorded it first: the customer id
    that holds either way (the first writer's), so two racing first requests can never link one login twice."""
    item = LoginItem(login_key(sub), LOGIN_SK, customer_id=customer_id, linked_by=linked_by, created_at=at)
    try:
        item.save(condition=LoginItem.pk.does_not_exist())
    except PutError as err:
        if not condition_failed(err):
            raise
        # Read back what the first writer decided (gone only if erased meanwhile: then this decision stands).
        return customer_of(sub) or customer_id
    return customer_id
