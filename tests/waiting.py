"""Waiting for something another thread or process does (a stream, a state machine, a local stack).

The limit is a guard against a wait that never ends, not a speed check: generous enough that a loaded CI machine
never reaches it; how fast things arrive belongs to `make bench`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

HANG_S = 600


def wait_for(condition: Callable[[], T], what: str | Callable[[], str], *, poll_s: float = 0.2) -> T:
    """The first truthy value of `condition()`; the test fails naming `what` if it never comes."""
    give_up = time.monotonic() + HANG_S
    while not (found := condition()):
        if time.monotonic() > give_up:
            pytest.fail(f"never happened: {what() if callable(what) else what}")
        time.sleep(poll_s)
    return found
