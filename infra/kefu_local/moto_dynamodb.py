"""moto's DynamoDB at the cost of what a request touches, with the same answers.

Two of its costs grow with the whole table, and are made to grow with what a request touches instead:

* A Query sorts every item of the table (`Table.all_items`), then keeps those of its partition and sorts them again.
  Here a Query of the table reads only its partition, and a Query of an index all items unsorted: each sorts its
  matches itself (by the range key; by the index's keys, then the table's, which are unique).
* A TransactWriteItems deep-copies the whole table, stream records included, once per item of the transaction, to
  restore it if the transaction is cancelled. Here it keeps copies of the items it writes (and the length of the
  table's stream) and puts them back instead; which also leaves alone what another request wrote meanwhile, which
  restoring a copy of the whole table would undo.

With a few thousand items (a campaign over 1,000 resolved tickets and what revisiting them writes), a transaction
drops from about a hundred milliseconds to one, and a Query of a partition from tens to one.

And two kinds of answer skip moto's generic serializer, which walks every attribute value against the service model:
a stream's GetRecords (on a busy local stack, whose pollers read every change of the domain table, about half of the
server's CPU) and the item operations (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
TransactGetItems: ~15% of an in-process test's time). Their results are DynamoDB's JSON already (attribute values as
`{type: value}`), so they are written as JSON directly, timestamps and bytes as the serializer writes them. Every
other answer, and every error, is moto's own.

`install()` patches the moto classes of this process (the local stack's server thread and `mock_aws` alike);
`uninstall()` undoes it. `install_answers()` patches the answers alone.
"""

from __future__ import annotations

import base64
import calendar
import copy
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_request = threading.local()
_originals: dict[str, Any] = {}
_answers: dict[str, Any] = {}
_lock = threading.Lock()


def install() -> None:
    """Every patch here: the costs that grow with the table, and the answers written directly."""
    install_answers()
    with _lock:
        if _originals:
            return
        _originals.update(
            query=Table.query,
            all_items=Table.all_items,
            transact_write_items=DynamoDBBackend.transact_write_items,
        )
        Table.query = _query
        Table.all_items = _all_items
        Table.__deepcopy__ = _deepcopy_table  # type: ignore[attr-defined]  # moto's Table has none of its own
        DynamoDBBackend.transact_write_items = _transact_write_items


def uninstall() -> None:
    uninstall_answers()
    with _lock:
        if not _originals:
            return
        Table.query = _originals.pop("query")
        Table.all_items = _originals.pop("all_items")
        del Table.__deepcopy__  # type: ignore[attr-defined]  # the one install() added
        DynamoDBBackend.transact_write_items = _originals.pop("transact_write_items")


def install_answers() -> None:
    """Only the answers written directly (GetRecords, the item operations): what the tests run their moto with."""
    with _lock:
        if _answers:
            return
        _answers.update(get_records=DynamoDBStreamsHandler.get_records)
        DynamoDBStreamsHandler.get_records = _get_records  # type: ignore[assignment]
        DynamoHandler.serialized = _serialized  # type: ignore[assignment]


def uninstall_answers() -> None:
    with _lock:
        if not _answers:
            return
        DynamoDBStreamsHandler.get_records = _answers.pop("get_records")
        del DynamoHandler.serialized  # the one install_answers() added; BaseResponse's again


# -- Query ---------------------------------------------------------------------------------------------------------


#: Where Table.query takes its index name among its positional arguments after `hash_key`.
_INDEX_NAME_ARG = 6


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    """moto's query, told what `all_items` needs to give it: one partition of the table, or everything unsorted."""
    index_name = kwargs["index_name"] if "index_name" in kwargs else (args[_INDEX_NAME_ARG:] or [None])[0]
    if index_name is None and hash_key is None:
        return _originals["query"](self, hash_key, *args, **kwargs)
    _request.scope = (self, None if index_name else hash_key)
    try:
        return _originals["query"](self, hash_key, *args, **kwargs)
    finally:
        _request.scope = None


def _all_items(self: Table) -> list[Item]:
    scope = getattr(_request, "scope", None)
    if scope is None or scope[0] is not self:
        return _originals["all_items"](self)
    hash_key = scope[1]
    # The moto server answers on many threads and a write may add a partition meanwhile: iterate over copies
    # (iterating the live dicts raised "dictionary changed size during iteration", a 500 the client retried).
    if hash_key is None:  # an index query
        return [item for items in list(self.items.values()) for item in _partition(self, items)]
    partition = self.items.get(hash_key)
    return _partition(self, partition) if partition is not None else []


def _partition(table: Table, items: Any) -> list[Item]:
    return list(items.copy().values()) if table.range_key_attr else [items]


# -- TransactWriteItems --------------------------------------------------------------------------------------------


@dataclass
class _Saved:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    saved = [entry for entry in (_save(self, item) for item in transact_items) if entry is not None]
    streams = {id(s.table): (s.table, len(s.table.stream_shard.items)) for s in saved if s.table.stream_shard}
    _request.in_transaction = True
    try:
        _originals["transact_write_items"](self, transact_items)
    except Exception:
        for entry in saved:
            _restore(entry)
        for table, length in streams.values():
            del table.stream_shard.items[length:]  # type: ignore[union-attr]
        raise
    finally:
        _request.in_transaction = False


def _save(backend: DynamoDBBackend, transact_item: dict[str, Any]) -> _Saved | None:
    """A copy of the item one operation of the transaction writes (None for a condition check or a malformed
    operation, which moto refuses itself)."""
    try:
        ((kind, operation),) = transact_item.items()
        if kind == "ConditionCheck":
            return None
        table = backend.get_table(operation["TableName"])
        attributes = operation["Item"] if kind == "Put" else operation["Key"]
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    except Exception:
        return None
    current = table.get_item(hash_key, range_key)
    return _Saved(table, hash_key, range_key, copy.deepcopy(current))


def _restore(saved: _Saved) -> None:
    items = saved.table.items
    if saved.range_key is None:
        if saved.item is None:
            items.pop(saved.hash_key, None)
        else:
            # Without a range key moto keeps an Item per hash key, though it annotates the partitions' dicts.
            items[saved.hash_key] = saved.item  # type: ignore[assignment]
        return
    partition = items[saved.hash_key]
    if saved.item is None:
        partition.pop(saved.range_key, None)
    else:
        partition[saved.range_key] = saved.item


def _deepcopy_table(self: Table, memo: dict[int, Any]) -> Table:
    """Within a transaction, moto's "copy" of the table is the table itself (the transaction saved its items);
    anywhere else (a backup, a restore) a copy as deep as Python's own."""
    if getattr(_request, "in_transaction", False):
        return self
    duplicate: Table = Table.__new__(Table)  # type: ignore[assignment]  # moto's __new__ is typed as its base's
    memo[id(self)] = duplicate
    for name, value in self.__dict__.items():
        setattr(duplicate, name, copy.deepcopy(value, memo))
    return duplicate


# -- GetRecords ----------------------------------------------------------------------------------------------------


def _get_records(self: DynamoDBStreamsHandler) -> str:
    """moto's GetRecords (the same backend call and limit), its answer written as JSON directly."""
    limit = self._get_param("Limit")
    result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    return json.dumps(result, default=_wire)


def _wire(value: Any) -> float | int | str:
    """What JSON has no type for, as moto's serializer writes it: a stream record's ApproximateCreationDateTime (a
    naive UTC datetime) in epoch seconds to the millisecond; binary values (moto keeps them as bytes) in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} in a DynamoDB answer")
    seconds = calendar.timegm(value.timetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


# -- the item operations' answers ----------------------------------------------------------------------------------

#: Whose results hold only items, keys, counts and consumed capacity: DynamoDB's JSON as moto keeps it.
_ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
)
_CONTENT_TYPE = "application/x-amz-json-1.0"


def _serialized(self: DynamoHandler, action_result: Any) -> tuple[int, dict[str, Any], str | bytes]:
    if type(action_result) is DynamoResult and self._get_action() in _ITEM_OPERATIONS:
        # What the serializer leaves out, an absent member, is left out here too (the result's own None).
        answer = cast(dict[str, Any], action_result.result)  # a DynamoResult holds its operation's dict
        result = {key: value for key, value in answer.items() if value is not None}
        return 200, {"Content-Type": _CONTENT_TYPE, **self.response_headers}, json.dumps(result, default=_wire)
    return super(DynamoHandler, self).serialized(action_result)
