"""Hold kefu's clock in a test: every kefu module that imported `now` from kefu.clock answers the given moment."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

import pytest

from kefu import clock

#: The modules that stamp tickets and their timelines (the KPI consumer keeps its own, real, clock).
TICKET_WRITERS = ("kefu.tickets.", "kefu.kpis.work")


def hold_clock(
    monkeypatch: pytest.MonkeyPatch, read: Callable[[], datetime], within: tuple[str, ...] = ("kefu.",)
) -> None:
    """Patch `now` in every loaded module under `within` that took it from kefu.clock (import the modules first)."""
    for name, module in list(sys.modules.items()):
        if name.startswith(within) and name != "kefu.clock" and getattr(module, "now", None) is clock.now:
            monkeypatch.setattr(module, "now", read)
