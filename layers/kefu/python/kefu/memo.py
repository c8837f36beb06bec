"""A bounded memo kept on an object that does not change (a calendar, a search index): what it works out per key,
remembered beside it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(kept: dict[K, V], key: K, limit: int, make: Callable[[K], V]) -> V:
    """`kept[key]`, made by `make(key)` the first time. `kept` holds at most `limit` entries: when full it is emptied
    at once (a warm function's keys are a few recent ones, so an LRU's bookkeeping on every hit would cost more than
    working the odd one out again). `make` never returns None."""
    found = kept.get(key)
    if found is None:
        if len(kept) >= limit:
            kept.clear()
        found = kept[key] = make(key)
    return found
