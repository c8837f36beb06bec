"""The items an index query found, read in full by key.

The table's GSIs hold keys and `kind` only (kefu.store.models.INDEXED_ATTRIBUTES): an item's index entries are then
written only when it enters or leaves an index or its index key changes, never at the other writes of the item (a
reply, an SLA tick), and each such write is one unit whatever the item's size. A list pays for it on the read side:
after its Query, one BatchGetItem a page (up to 100 keys a call; pynamodb pages and retries unprocessed keys), each
item half a unit (eventually consistent, as the index itself is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, TypeVar

from pynamodb.indexes import GlobalSecondaryIndex

from kefu.store import cursor as cursors
from kefu.store.models import KefuItem

Item = TypeVar("Item", bound=KefuItem)


def read_in_full(found: Iterable[Item]) -> list[Item]:
    """The full items of `found` (index entries: keys and kind), in `found`'s order. An item deleted between the
    Query and the read is left out, as it would be from a Query made a moment later."""
    keys = [(item.pk, item.sk) for item in found]
    if not keys:
        return []
    # KefuItem: the discriminator picks each item's class, whatever model asked.
    by_key = {(item.pk, item.sk): item for item in KefuItem.batch_get(keys)}
    return [by_key[key] for key in keys if key in by_key]  # type: ignore[misc]


def read_matching(
    found: Iterable[Item], keep: Callable[[Item], bool], *, limit: int, key_names: Iterable[str]
) -> tuple[list[Item], dict[str, dict[str, str]] | None]:
    """Up to `limit` full items of an index query that `keep` keeps, and the key to start the next page at: what a
    filter on the Query would give, for an attribute the index does not hold. `found` is the Query without a limit
    (its `page_size` the page's), read `limit` entries at a time, each batch read in full by key."""
    entries = iter(found)
    kept: list[Item] = []
    while batch := list(islice(entries, limit)):
        for item in read_in_full(batch):
            if keep(item):
                kept.append(item)
                if len(kept) == limit:
                    return kept, {name: {"S": getattr(item, name)} for name in key_names}
    return kept, None


def prefix_page(
    model: type[Item],
    index: GlobalSecondaryIndex[Any],
    partition_name: str,
    partition: str,
    prefix: str,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Item], str | None]:
    """A page of the items whose entries in `index` (its partition key `partition_name`, `gsi1pk`...) are in
    `partition` with a sort key starting with `prefix` (every entry for ""), read in full, and the cursor of the
    next page. `cursor` is refused (kefu.store.cursor) unless this listing issued it: its keys, its partition and
    its prefix. `model` names the sort key's attribute (a kind's own copy of the index keeps its Query to its kind)."""
    sort_name = partition_name[:-2] + "sk"
    start = cursors.decode(
        cursor,
        key_names={"pk", "sk", partition_name, sort_name},
        partition=(partition_name, partition),
        sort=(sort_name, prefix),
    )
    result = index.query(
        partition,
        getattr(model, sort_name).startswith(prefix) if prefix else None,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    return read_in_full(result), cursors.encode(result.last_evaluated_key)
