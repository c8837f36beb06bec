"""A function's cyclic garbage collector kept off until its first invocation ends (the API, escalation, outbound mail).

Every function turns the collector off while its init imports (the objects made then live as long as the
container, and the collector walked them again and again for nothing). Where the first invocation makes much more of
the same kind (botocore clients, each with its service model and endpoint rule set; the pydantic models it builds on
first use), the collector stays off through it too: `collector_on_after_first_invocation` wraps the handler, and
when its first invocation ends (returned or raised) what init and it allocated is frozen out of the collector's
generations for good, and the collector is back on. The price, as in the API: cyclic garbage of the first invocation,
if any, is never collected.

Like kefu.observability and kefu.batches it serves the functions, not the domain: no domain package imports it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")


def collector_on_after_first_invocation(handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """`handler`, whose first invocation ends by freezing what the process allocated so far and turning the cyclic
    collector on (the handler module turned it off before its imports and leaves it off at the end of its init)."""
    first = True

    @functools.wraps(handler)
    def invoked(event: Any, context: Any) -> R:
        nonlocal first
        try:
            return handler(event, context)
        finally:
            if first:
                first = False
                gc.freeze()
                gc.enable()

    return invoked
