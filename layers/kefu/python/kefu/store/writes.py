"""What the store modules share around writes: the connection transactions go through, telling a condition that
did not hold from any other failure, and putting items of several kinds in one call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from kefu.store.models import KefuItem

#: A transaction item's cancellation reason when its condition did not hold.
CONDITION_FAILED = "ConditionalCheckFailed"


def connection() -> Connection:
    # The models' own connection: one botocore client per process, whatever the item kind.
    return KefuItem._get_connection().connection


#: BatchWriteItem's limit of items a call.
BATCH_LIMIT = 25
#: How many times items DynamoDB left unprocessed (throttled) are sent again, and the first pause between, doubled
#: each time.
_UNPROCESSED_ATTEMPTS = 5
_UNPROCESSED_PAUSE = 0.05


class Unprocessed(Exception):
    """DynamoDB left items of a BatchWriteItem unprocessed through every attempt (throttled): the caller fails and is
    retried, as after any other failed write."""


def put_all(items: Sequence[KefuItem]) -> None:
    """Put items of any kinds, whole and without conditions, in one BatchWriteItem (up to 25): for items that need no
    transaction together (each put stands alone, and putting it again writes the same item). A put costs a write
    unit a started KB, where a transaction's costs two."""
    if len(items) > BATCH_LIMIT:
        raise ValueError(f"at most {BATCH_LIMIT} items a call, not {len(items)}")
    if not items:
        return
    table = items[0].Meta.table_name
    request = {table: [{"PutRequest": {"Item": item.serialize()}} for item in items]}
    pause = _UNPROCESSED_PAUSE
    for attempt in range(_UNPROCESSED_ATTEMPTS):
        request = connection().client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        if not request:
            return
        if attempt + 1 < _UNPROCESSED_ATTEMPTS:
            time.sleep(pause)
            pause *= 2
    raise Unprocessed(f"{sum(len(puts) for puts in request.values())} item(s) left unprocessed")


def condition_failed(err: PynamoDBException) -> bool:
    """A single put, update or delete refused by its condition."""
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancellation_codes(err: TransactWriteError) -> list[str | None]:
    """Why a transaction was cancelled, item by item in the order of the request (None: that item was not the cause).
    That is not the order the items were added in: see `in_request_order`."""
    return [getattr(reason, "code", None) if reason else None for reason in (err.cancellation_reasons or [])]


_Note = TypeVar("_Note")

#: How pynamodb's TransactWrite orders a transaction's items in its request, whatever order they were added in: its
#: condition checks, then its deletes, its puts (`save`), its updates.
REQUEST_ORDER = ("condition_check", "delete", "save", "update")


def in_request_order(added: Sequence[tuple[str, _Note]]) -> list[_Note]:
    """Whatever was noted for each item of a transaction, given as (pynamodb's method for it, the note) in the order
    the items were added, in the order of the request: the order of its cancellation reasons."""
    return [note for kind in REQUEST_ORDER for method, note in added if method == kind]


#: A transaction item's cancellation reason when another transaction was writing the same item at the same moment.
TRANSACTION_CONFLICT = "TransactionConflict"
