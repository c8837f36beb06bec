"""KPI items (pattern 10): each ticket's facts, and the counters per desk day and dimension they add up to.

  a ticket's facts:            GetItem pk=KPIFACT#<ticket id>, sk=FACT (its `revision` guards every change);
                               BatchGetItem of many (seeding the local stack)
  a day's aggregates:          pk=KPI#<yyyy-mm-dd>, sk=all | <dimension>#<key>; BatchGetItem (totals of up to 100
                               days per call) or Query sk begins_with <dimension># (one day's rows)
  backlog changes of a month:  Query pk=KPIBACKLOG#<yyyy-mm> (sk <yyyy-mm-dd>)
  backlog changes by month:    Query pk=KPIBACKLOG (sk <yyyy-mm>): the running sum before any month in one call

Counters are top-level number attributes moved by `ADD`, so an aggregate needs no reading before it changes and a
counter never seen before starts at zero. A ticket's new facts and the differences they make to every aggregate
are written in one transaction, on condition that the facts are still at the revision read: a redelivered, replayed
or late change either finds nothing to move or loses the race and is computed again. Several tickets' facts may share
a transaction (`write_facts_together`), each Put on its own condition, each aggregate moved once by their sum.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from kefu.config import settings
from kefu.store.writes import CONDITION_FAILED, connection

#: DynamoDB's limit on the items of one transaction.
MAX_TRANSACTION_ITEMS = 100
_BATCH_GET = 100


class FactsChanged(Exception):
    """The ticket's facts moved on since they were read: compute them again (its arguments: the tickets whose facts
    moved, in a transaction of several, `write_facts_together`)."""


class TooManyChanges(Exception):
    """A change of facts that would move more aggregates than one transaction holds."""


@dataclass(frozen=True)
class StoredFacts:
    revision: int
    facts: dict[str, Any] | None
    #: The counters the stored facts added, per slot key (pk, sk): what a new version subtracts.
    slots: dict[tuple[str, str], dict[str, int]]


def day_key(day: date) -> str:
    return f"KPI#{day.isoformat()}"


def slot_sort_key(dimension: str, key: str) -> str:
    return "all" if dimension == "all" else f"{dimension}#{key}"


def backlog_day_key(day: date) -> tuple[str, str]:
    return f"KPIBACKLOG#{day.isoformat()[:7]}", day.isoformat()


def backlog_month_key(day: date) -> tuple[str, str]:
    return "KPIBACKLOG", day.isoformat()[:7]


def _client():
    return connection().client


def read_facts(ticket_id: str) -> StoredFacts:
    found = (
        _client()
        .get_item(
            TableName=settings().table_name,
            Key={"pk": {"S": f"KPIFACT#{ticket_id}"}, "sk": {"S": "FACT"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not found:
        return StoredFacts(0, None, {})
    return _stored(found)


def write_facts(
    ticket_id: str,
    read: StoredFacts,
    facts: dict[str, Any],
    slots: Mapping[tuple[str, str], Mapping[str, int]],
    moves: Mapping[tuple[str, str], Mapping[str, int]],
) -> None:
    """The ticket's new facts (and the counters they add, per slot) and every aggregate moved by `moves`, at once;
    FactsChanged when the stored facts are no longer at `read.revision`."""
    if len(moves) + 1 > MAX_TRANSACTION_ITEMS:
        raise TooManyChanges(f"ticket {ticket_id}: {len(moves)} aggregates would move in one change")
    write_facts_together([FactsWrite(ticket_id, read, facts, slots)], moves)


@dataclass(frozen=True)
class FactsWrite:
    """A ticket's new facts and the counters they add, to be stored if its facts are still at `read.revision`."""

    ticket_id: str
    read: StoredFacts
    facts: dict[str, Any]
    slots: Mapping[tuple[str, str], Mapping[str, int]]


def write_facts_together(writes: Sequence[FactsWrite], moves: Mapping[tuple[str, str], Mapping[str, int]]) -> None:
    """Several tickets' new facts and every aggregate moved by the sum of their moves, `moves`, in one transaction
    (an aggregate moved by many tickets is written once); FactsChanged naming the tickets whose stored facts are no
    longer at the revision read (none of the transaction is written then)."""
    if len(writes) + len(moves) > MAX_TRANSACTION_ITEMS:
        raise TooManyChanges(f"{len(writes)} tickets' facts and {len(moves)} aggregates in one transaction")
    table = settings().table_name
    items: list[dict[str, Any]] = [{"Put": _conditional_put(table, write)} for write in writes]
    items.extend({"Update": _adding(table, key, counters)} for key, counters in sorted(moves.items()))
    try:
        _client().transact_write_items(TransactItems=items)
    except ClientError as err:
        reasons = err.response.get("CancellationReasons") or []
        # The reasons are the items' in order, the Puts first; none at all for an error that is not a cancellation.
        puts = zip(writes, reasons, strict=False)
        moved = [write.ticket_id for write, reason in puts if reason.get("Code") == CONDITION_FAILED]
        if moved:
            raise FactsChanged(*moved) from None
        raise


def _conditional_put(table: str, write: FactsWrite) -> dict[str, Any]:
    item = _fact_item(write.ticket_id, write.read, write.facts, write.slots)
    if write.read.facts is None:
        return {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "TableName": table,
        "Item": item,
        "ConditionExpression": "revision = :read",
        "ExpressionAttributeValues": {":read": {"N": str(write.read.revision)}},
    }


def read_facts_of(ticket_ids: Iterable[str]) -> dict[str, StoredFacts]:
    """Many tickets' stored facts, up to 100 per BatchGetItem (a ticket without any: revision 0, no facts)."""
    wanted = list(dict.fromkeys(ticket_ids))
    table = settings().table_name
    found = {ticket_id: StoredFacts(0, None, {}) for ticket_id in wanted}
    for start in range(0, len(wanted), _BATCH_GET):
        keys = [{"pk": {"S": f"KPIFACT#{t}"}, "sk": {"S": "FACT"}} for t in wanted[start : start + _BATCH_GET]]
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = _client().batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[item["pk"]["S"].removeprefix("KPIFACT#")] = _stored(item)
            request = answer.get("UnprocessedKeys") or {}
    return found


def _stored(item: Mapping[str, Any]) -> StoredFacts:
    return StoredFacts(int(item["revision"]["N"]), json.loads(item["facts"]["S"]), _slots_of(item["slots"]["S"]))


def _slots_json(slots: Mapping[tuple[str, str], Mapping[str, int]]) -> str:
    """The slots as stored: by aggregate partition (the day), each set of counters once with the sort keys that hold
    it (a ticket adds the same counters to every dimension row of a day: ~1.3 KB written out slot by slot, ~0.3 KB
    so, which keeps the facts item, written in a transaction at each change of the ticket, at 2 KB instead of 3)."""
    days: dict[str, dict[str, tuple[dict[str, int], list[str]]]] = {}
    for (pk, sk), counters in sorted(slots.items()):
        plain = dict(sorted(counters.items()))
        days.setdefault(pk, {}).setdefault(json.dumps(plain), (plain, []))[1].append(sk)
    grouped = {pk: [[counters, sks] for counters, sks in groups.values()] for pk, groups in days.items()}
    return json.dumps(grouped, separators=(",", ":"))


def _slots_of(text: str) -> dict[tuple[str, str], dict[str, int]]:
    """The slots of either stored form: grouped by day (`_slots_json`), or slot by slot as `<pk>\x1f<sk>` keys
    (facts written before)."""
    slots: dict[tuple[str, str], dict[str, int]] = {}
    for key, value in json.loads(text).items():
        if isinstance(value, dict):
            pk, sk = key.split("\x1f", 1)
            slots[(pk, sk)] = value
            continue
        for counters, sks in value:
            for sk in sks:
                slots[(key, sk)] = dict(counters)
    return slots


def write_facts_in_bulk(
    written: Mapping[str, tuple[StoredFacts, dict[str, Any], Mapping[tuple[str, str], Mapping[str, int]]]],
    moves: Mapping[tuple[str, str], Mapping[str, int]],
) -> None:
    """Many tickets' new facts (BatchWriteItem, 25 a call) and the summed moves of the aggregates (one UpdateItem
    each), without conditions: for a writer that knows nobody else refreshes meanwhile (kefu.kpis.service.
    refresh_many, seeding the local stack before its stream readers start)."""
    table = settings().table_name
    puts = [
        {"PutRequest": {"Item": _fact_item(ticket_id, read, facts, slots)}}
        for ticket_id, (read, facts, slots) in written.items()
    ]
    for start in range(0, len(puts), 25):
        request: dict[str, Any] = {table: puts[start : start + 25]}
        while request:
            request = _client().batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    for key, counters in sorted(moves.items()):
        moved = {name: value for name, value in counters.items() if value}
        if moved:
            _client().update_item(**_adding(table, key, moved))


def _fact_item(
    ticket_id: str, read: StoredFacts, facts: dict[str, Any], slots: Mapping[tuple[str, str], Mapping[str, int]]
) -> dict[str, Any]:
    return {
        "pk": {"S": f"KPIFACT#{ticket_id}"},
        "sk": {"S": "FACT"},
        "kind": {"S": "kpi_fact"},
        "revision": {"N": str(read.revision + 1)},
        "facts": {"S": json.dumps(facts, sort_keys=True, separators=(",", ":"))},
        "slots": {"S": _slots_json(slots)},
    }


def _adding(table: str, key: tuple[str, str], counters: Mapping[str, int]) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(sorted(counters))}
    values = {f":c{i}": {"N": str(counters[name])} for i, name in enumerate(sorted(counters))}
    names["#k"] = "kind"
    values[":kind"] = {"S": "kpi"}
    adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
    return {
        "TableName": table,
        "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
        "UpdateExpression": f"SET #k = :kind ADD {adds}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _counters(item: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in item.items() if "N" in value}


def day_items(keys: Iterable[tuple[date, str]]) -> dict[tuple[date, str], dict[str, int]]:
    """Aggregates by (day, sort key), up to 100 per BatchGetItem; an aggregate never written is absent."""
    wanted = list(dict.fromkeys(keys))
    found: dict[tuple[date, str], dict[str, int]] = {}
    table = settings().table_name
    for start in range(0, len(wanted), _BATCH_GET):
        request: dict[str, Any] = {
            table: {
                "Keys": [
                    {"pk": {"S": day_key(day)}, "sk": {"S": sk}} for day, sk in wanted[start : start + _BATCH_GET]
                ],
                "ConsistentRead": True,
            }
        }
        while request:
            answer = _client().batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                day = date.fromisoformat(item["pk"]["S"].removeprefix("KPI#"))
                found[(day, item["sk"]["S"])] = _counters(item)
            request = answer.get("UnprocessedKeys") or {}
    return found


def day_rows(day: date, dimension: str) -> dict[str, dict[str, int]]:
    """One day's aggregates of one dimension, by key (one Query, more only past 1 MB)."""
    return {
        item["sk"]["S"].split("#", 1)[1]: _counters(item) for item in _query(day_key(day), begins_with=f"{dimension}#")
    }


def backlog_by_month() -> dict[str, dict[str, int]]:
    return {item["sk"]["S"]: _counters(item) for item in _query("KPIBACKLOG")}


def backlog_of_month(month: str) -> dict[date, dict[str, int]]:
    return {date.fromisoformat(item["sk"]["S"]): _counters(item) for item in _query(f"KPIBACKLOG#{month}")}


def _query(pk: str, *, begins_with: str | None = None) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if begins_with else ""),
        "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": begins_with}} if begins_with else {})},
        "ConsistentRead": True,
    }
    while True:
        answer = _client().query(**request)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
