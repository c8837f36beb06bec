"""Write and read units of what kefu does, from the items as moto holds them before and after each write and the
domain table's GSIs as the synthesized template declares them (keys, projection).

DynamoDB's on-demand rules, as applied here:

- a write costs one unit per started KB of the larger of the item before and after it; in a transaction, twice;
  a ConditionCheck in a transaction costs as a write of the item it reads;
- each GSI: an item is in it when both its key attributes are present (a sparse index holds only those). A write
  that puts the item in the index, or takes it out, costs one index write; one that changes its index key costs two
  (the old entry deleted, the new one put); one that changes a projected attribute costs one; nothing otherwise. An
  index write costs one unit per started KB of the projected item (ALL: the item; KEYS_ONLY: the table's and the
  index's keys; INCLUDE: those and the attributes named);
- a read costs one unit per started 4 KB read (a Query: of the items it returns together), half of it when
  eventually consistent, twice in a transaction.

Counted through the one DynamoDB client kefu's store uses (kefu.store.models.dynamodb_client), on its botocore
events, so every write of the store and of Powertools idempotency is seen.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT, REGION = "123456789012", "us-east-1"
KB = 1024
_KEY_NAMES = ("pk", "sk")


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    #: ALL, KEYS_ONLY or INCLUDE
    projection: str
    included: tuple[str, ...] = ()


def template_indexes(template: dict[str, Any], table_logical_prefix: str = "Table") -> list[Index]:
    """The GSIs of the domain table (the AWS::DynamoDB::Table or GlobalTable with a `pk` hash key and GSIs)."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") not in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            continue
        properties = resource["Properties"]
        hashes = [k["AttributeName"] for k in properties.get("KeySchema", []) if k["KeyType"] == "HASH"]
        if hashes != ["pk"] or not properties.get("GlobalSecondaryIndexes"):
            continue
        return [
            Index(
                gsi["IndexName"],
                tuple(k["AttributeName"] for k in gsi["KeySchema"]),
                gsi["Projection"]["ProjectionType"],
                tuple(gsi["Projection"].get("NonKeyAttributes", ())),
            )
            for gsi in properties["GlobalSecondaryIndexes"]
        ]
    raise LookupError("no domain table with GSIs in the template")


def stateful_indexes(cdk_out: Path) -> list[Index]:
    """The domain table's GSIs from the synthesized templates in `cdk_out` (whichever stack holds the table)."""
    for path in sorted(cdk_out.glob("*.template.json")):
        try:
            return template_indexes(json.loads(path.read_text()))
        except LookupError:
            continue
    raise LookupError(f"no template in {cdk_out} declares the domain table")


@dataclass(frozen=True)
class Snapshot:
    """An item as moto holds it: each attribute's size (name and value) and value (to compare)."""

    sizes: dict[str, int]
    values: dict[str, str]

    @property
    def size(self) -> int:
        return sum(self.sizes.values())


def _snapshot(item: Any) -> Snapshot:
    if item is None:
        return Snapshot({}, {})
    return Snapshot(_sizes(item), {name: repr(value.value) for name, value in item.attrs.items()})


def _sizes(item: Any) -> dict[str, int]:
    """Attribute name -> its size in bytes (name and value), as DynamoDB counts item size."""
    if item is None:
        return {}
    return {name: len(name.encode()) + value.size() for name, value in item.attrs.items()}


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit)) if size else 0


@dataclass
class Units:
    """Units counted, by (table or table/index, "write" | "read")."""

    counted: Counter = field(default_factory=Counter)

    @property
    def writes(self) -> float:
        return sum(v for (_, kind), v in self.counted.items() if kind == "write")

    @property
    def reads(self) -> float:
        return sum(v for (_, kind), v in self.counted.items() if kind == "read")

    def of(self, where: str, kind: str = "write") -> float:
        return sum(v for (name, k), v in self.counted.items() if k == kind and name.split("/")[0] == where)

    def on_indexes(self, table: str) -> float:
        return sum(v for (name, k), v in self.counted.items() if k == "write" and name.startswith(f"{table}/"))


class CapacityMeter:
    """Counts the units of every DynamoDB call on a client while attached (`with meter.attached(client): ...`)."""

    def __init__(self, table: str, indexes: list[Index]) -> None:
        self.table, self.indexes = table, indexes
        self.units = Units()
        self._before: list[tuple[str, dict[str, Any], str, int, Snapshot]] = []
        self._params: dict[str, Any] = {}

    # --- moto's items -------------------------------------------------------------------------------------------

    def _item(self, table: str, key: dict[str, Any]) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        try:
            return dynamodb_backends[ACCOUNT][REGION].get_item(table, key)
        except Exception:  # the table or item is not there: nothing before
            return None

    def _writes_of(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, int]]:
        """(table, key, kind, multiplier) for each item the call writes (kind: put, update, delete, check)."""
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                key = body.get("Key") or {k: body["Item"][k] for k in body["Item"] if k in self._key_names(body)}
                found.append((body["TableName"], key, kind, 2))
            return found
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            body = params
            key = body.get("Key") or {k: body["Item"][k] for k in body["Item"] if k in self._key_names(body)}
            return [(body["TableName"], key, operation, 1)]
        if operation == "BatchWriteItem":
            found = []
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    ((kind, body),) = request.items()
                    key = body.get("Key") or {k: body["Item"][k] for k in body["Item"] if k in ("pk", "sk", "id")}
                    found.append((table, key, kind, 1))
            return found
        return []

    def _key_names(self, body: dict[str, Any]) -> tuple[str, ...]:
        return _KEY_NAMES if body["TableName"] == self.table else ("id",)

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._params = params
        self._before = [
            (table, key, kind, times, _snapshot(self._item(table, key)))
            for table, key, kind, times in self._writes_of(model.name, params)
        ]

    def after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        params = self._params
        for table, key, kind, times, old in self._before:
            new = _snapshot(self._item(table, key))
            size = max(old.size, new.size)
            self.units.counted[(table, "write")] += _units(size, KB) * times
            if table == self.table and kind != "ConditionCheck":
                self._index_writes(table, old, new)
        self._before = []
        self._reads(model.name, params, parsed)

    def _index_writes(self, table: str, old: Snapshot, new: Snapshot) -> None:
        for index in self.indexes:
            was = all(name in old.sizes for name in index.keys)
            now = all(name in new.sizes for name in index.keys)
            units = _units(sum(self._projected(index, (new if now else old).sizes).values()), KB)
            where = (f"{table}/{index.name}", "write")
            if was and now:
                if any(old.values.get(name) != new.values.get(name) for name in index.keys):
                    self.units.counted[where] += 2 * units
                elif any(old.values.get(name) != new.values.get(name) for name in self._projected(index, new.sizes)):
                    self.units.counted[where] += units
            elif was or now:
                self.units.counted[where] += units

    def _projected(self, index: Index, sizes: dict[str, int]) -> dict[str, int]:
        if index.projection == "ALL":
            return sizes
        names = set(_KEY_NAMES) | set(index.keys) | (set(index.included) if index.projection == "INCLUDE" else set())
        return {name: size for name, size in sizes.items() if name in names}

    def _reads(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        table = params.get("TableName")
        eventual = 0.5 if not params.get("ConsistentRead") else 1.0
        if operation == "GetItem" and table:
            size = sum(_sizes(self._item(table, params["Key"])).values())
            self.units.counted[(table, "read")] += max(_units(size, 4 * KB), 1) * eventual
        elif operation == "Query" and table:
            where = f"{table}/{params['IndexName']}" if params.get("IndexName") else table
            size = sum(self._wire_size(item) for item in parsed.get("Items", []))
            self.units.counted[(where, "read")] += max(_units(size, 4 * KB), 1) * eventual
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                body = entry["Get"]
                size = sum(_sizes(self._item(body["TableName"], body["Key"])).values())
                self.units.counted[(body["TableName"], "read")] += max(_units(size, 4 * KB), 1) * 2
        elif operation == "BatchGetItem":
            for name, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    size = sum(_sizes(self._item(name, key)).values())
                    self.units.counted[(name, "read")] += max(_units(size, 4 * KB), 1) * eventual

    @staticmethod
    def _wire_size(item: dict[str, Any]) -> int:
        from moto.dynamodb.models.dynamo_type import DynamoType

        return sum(len(name.encode()) + DynamoType(value).size() for name, value in item.items())

    def attached(self, client: Any) -> _Attached:
        return _Attached(self, client)


class _Attached:
    def __init__(self, meter: CapacityMeter, client: Any) -> None:
        self.meter, self.client = meter, client

    def __enter__(self) -> CapacityMeter:
        self.client.meta.events.register(
            "before-parameter-build.dynamodb", self.meter.before, unique_id="capacity-before"
        )
        self.client.meta.events.register("after-call.dynamodb", self.meter.after, unique_id="capacity-after")
        return self.meter

    def __exit__(self, *_: Any) -> None:
        self.client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="capacity-before")
        self.client.meta.events.unregister("after-call.dynamodb", unique_id="capacity-after")
