"""The versions of business calendars that SLA clocks stored before their terms were kept apart (kefu.store.sla_terms)
count on, each kept once (pk=CALENDAR#<version>, sk=CALENDAR, the calendar's JSON) rather than copied into every
ticket item (kefu.sla.clock, kefu.tickets.sla). Nothing writes them any more: a clock's terms carry their calendars.

A version is a hash of the calendar's content, so its item never changes and a process may keep what it has read
or been given for as long as it lives (here as the caller's own objects: the store knows the JSON, not the
calendar), whether it came from this table, from terms read (kefu.store.sla_terms) or from the deployment.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from kefu.store.models import CalendarVersionItem

SK = "CALENDAR"

#: Versions by name, as the caller holds them, read or made by this process (immutable: kept while it lives).
_known: dict[str, Any] = {}


def key(version: str) -> str:
    return f"CALENDAR#{version}"


def known(version: str) -> Any | None:
    """The version as this process holds it, without asking the table (None: not met yet)."""
    return _known.get(version)


def keep(version: str, calendar: Any) -> None:
    """A version this process has met (read, or the deployment's own): known from now on."""
    _known.setdefault(version, calendar)


def read(version: str) -> dict[str, Any]:
    """A version's JSON from the table; LookupError when no item holds it."""
    try:
        item = CalendarVersionItem.get(key(version), SK, consistent_read=True)
    except DoesNotExist:
        raise LookupError(f"no calendar of version {version} is kept") from None
    return dict(item.calendar)


def forget() -> None:
    """Forget every version (a test's table starts empty)."""
    _known.clear()
