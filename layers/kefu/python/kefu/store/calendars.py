"""The versions of business calendars that tickets' SLA clocks count on, kept once each (pk=CALENDAR#<version>,
sk=CALENDAR, the calendar's JSON) rather than copied into every ticket item (kefu.sla.clock, kefu.tickets.sla).

A version is a hash of the calendar's content, so its item never changes and a process may keep what it has read
or written for as long as it lives (here as the caller's own objects: the store knows the JSON, not the calendar).
A clock is only ever stored beside its calendars: the calendars a process's clocks were started or moved with are
`remember`ed, and the next ticket write puts those not yet in the table in its own transaction (`unwritten`), then
marks them `written`. So no ticket names a version that is not in the table, and a version is written once per
process at most, not at every write; one read from a stored clock is in the table already (`stored`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from kefu.store.models import CalendarVersionItem

SK = "CALENDAR"

#: Versions by name, as the caller holds them, read or made by this process (immutable: kept while it lives).
_known: dict[str, Any] = {}
#: The JSON of versions this process made and has not written yet.
_pending: dict[str, dict[str, Any]] = {}
#: Versions in the table, as far as this process knows.
_written: set[str] = set()


def key(version: str) -> str:
    return f"CALENDAR#{version}"


def known(version: str) -> Any | None:
    """The version as this process holds it, without asking the table (None: not met yet)."""
    return _known.get(version)


def remember(version: str, calendar: Any, content: Callable[[], dict[str, Any]]) -> None:
    """A calendar a clock of this process counts on: known from now on, and, unless it is in the table already,
    written (`content()`, its JSON) with the next ticket write."""
    _known.setdefault(version, calendar)
    if version not in _written and version not in _pending:
        _pending[version] = content()


def stored(version: str, calendar: Any) -> None:
    """A calendar a stored clock names (read from a ticket item or its stream image): known, and in the table
    already, since a clock is stored with its calendars."""
    _known.setdefault(version, calendar)
    _written.add(version)
    _pending.pop(version, None)


def unwritten() -> list[CalendarVersionItem]:
    """The items of the remembered versions not in the table yet (to put with a ticket)."""
    return [CalendarVersionItem(key(version), SK, calendar=content) for version, content in _pending.items()]


def written(items: Iterable[CalendarVersionItem]) -> None:
    for item in items:
        version = item.pk.removeprefix("CALENDAR#")
        _written.add(version)
        _pending.pop(version, None)


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
    _pending.clear()
    _written.clear()
