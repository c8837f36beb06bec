"""App logins and the customer record each is: one item per token sub, written once and never changed."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from kefu.store.models import LoginItem
from kefu.store.writes import condition_failed

LOGIN_SK = "LOGIN"


def login_key(sub: str) -> str:
    return f"LOGIN#{sub}"


class LoginIndex(TypedDict):
    gsi1pk: str
    gsi1sk: str


def login_index(sub: str, customer_id: str) -> LoginIndex:
    """The keys that list a customer's logins (gsi1 LOGINS#<customer>): a merge moves them, an erasure deletes them."""
    return {"gsi1pk": f"LOGINS#{customer_id}", "gsi1sk": sub}


def logins_of(customer_id: str) -> list[str]:
    """The subs of the logins that are this customer's record: the one keyed by its own id (a record made for a
    token's sub) and those its index lists. Keys only: what the index projects does not matter."""
    subs = {sub for sub in [customer_id] if customer_of(sub) == customer_id}
    table = LoginItem._get_connection()
    start = None
    while True:
        page = table.query(
            f"LOGINS#{customer_id}", index_name="gsi1", attributes_to_get=["gsi1sk"], exclusive_start_key=start
        )
        subs.update(item["gsi1sk"]["S"] for item in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(subs)


def move(sub: str, from_customer: str, to_customer: str) -> None:
    """The login is now `to_customer`'s (a merge), unless it was another customer's all along."""
    item = LoginItem(login_key(sub), LOGIN_SK)
    try:
        item.update(
            [LoginItem.customer_id.set(to_customer), LoginItem.gsi1pk.set(f"LOGINS#{to_customer}")],
            condition=(LoginItem.customer_id == from_customer) | (LoginItem.customer_id == to_customer),
        )
    except UpdateError as err:
        if not condition_failed(err):
            raise


def forget(sub: str, customer_id: str) -> None:
    """Delete the login if it is this customer's (an erasure): its next request decides afresh."""
    try:
        LoginItem(login_key(sub), LOGIN_SK).delete(condition=LoginItem.customer_id == customer_id)
    except DeleteError as err:
        if not condition_failed(err):
            raise


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
    item = LoginItem(
        login_key(sub),
        LOGIN_SK,
        customer_id=customer_id,
        linked_by=linked_by,
        created_at=at,
        **login_index(sub, customer_id),
    )
    try:
        item.save(condition=LoginItem.pk.does_not_exist())
    except PutError as err:
        if not condition_failed(err):
            raise
        # Read back what the first writer decided (gone only if erased meanwhile: then this decision stands).
        return customer_of(sub) or customer_id
    return customer_id
