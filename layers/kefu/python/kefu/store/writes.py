"""What the store modules share around conditional writes: the connection transactions go through, and telling a
condition that did not hold from any other failure."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from kefu.store.models import KefuItem

#: A transaction item's cancellation reason when its condition did not hold.
CONDITION_FAILED = "ConditionalCheckFailed"


def connection() -> Connection:
    # The models' own connection: one botocore client per process, whatever the item kind.
    return KefuItem._get_connection().connection


def condition_failed(err: PynamoDBException) -> bool:
    """A single put, update or delete refused by its condition."""
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancellation_codes(err: TransactWriteError) -> list[str | None]:
    """Why a transaction was cancelled, item by item in the order written (None: that item was not the cause)."""
    return [getattr(reason, "code", None) if reason else None for reason in (err.cancellation_reasons or [])]


#: A transaction item's cancellation reason when another transaction was writing the same item at the same moment.
TRANSACTION_CONFLICT = "TransactionConflict"
