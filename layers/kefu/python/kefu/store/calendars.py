"""The versions of business calendars that tickets' SLA clocks count on, kept once each (pk=CALENDAR#<version>,
sk=CALENDAR) rather than copied into every ticket item (kefu.sla.clock).

A version is a hash of the calendar's content, so its item never changes and a process may keep what it has read
or written for as long as it lives. A clock is only ever stored beside its calendars: the calendars a process's
clocks were started or moved with are `remember`ed, and the next ticket write puts those not yet written by this
process in its own transaction (`unwritten`), then marks them `written`. So no ticket names a version that is not
in the table, and a version is written once per process, not at every write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from kefu.store.models import CalendarVersionItem

if TYPE_CHECKING:
    from kefu.sla import BusinessCalendar

SK = "CALENDAR"

#: Versions by name, read or made by this process (immutable: kept as long as the process lives).
_known: dict[str, BusinessCalendar] = {}
#: Versions this process has put in the table (or read from it).
_written: set[str] = set()


def key(version: str) -> str:
    return f"CALENDAR#{version}"


def known(version: str) -> BusinessCalendar | None:
    """The version if this process has it, without asking the table."""
    return _known.get(version)


def remember(calendars: Iterable[BusinessCalendar]) -> None:
    """Calendars a clock of this process counts on: known from now on, written with the next ticket write."""
    for calendar in calendars:
        _known.setdefault(calendar.version, calendar)


def stored(calendars: Iterable[BusinessCalendar]) -> None:
    """Calendars a stored clock names (read from a ticket item or its stream image): known, and in the table already,
    since a clock is stored with its calendars."""
    for calendar in calendars:
        _known.setdefault(calendar.version, calendar)
        _written.add(calendar.version)


def unwritten() -> list[CalendarVersionItem]:
    """The items of the remembered versions this process has not written yet (to put with a ticket)."""
    return [
        CalendarVersionItem(key(version), SK, calendar=calendar.model_dump(mode="json", exclude_defaults=True))
        for version, calendar in _known.items()
        if version not in _written
    ]


def written(items: Iterable[CalendarVersionItem]) -> None:
    _written.update(item.pk.removeprefix("CALENDAR#") for item in items)


def read(version: str) -> BusinessCalendar:
    """A version from the table (once per process); LookupError when no item holds it."""
    found = _known.get(version)
    if found is not None:
        return found
    from kefu.sla import BusinessCalendar

    try:
        item = CalendarVersionItem.get(key(version), SK, consistent_read=True)
    except DoesNotExist:
        raise LookupError(f"no calendar of version {version} is kept") from None
    calendar = BusinessCalendar.model_validate(item.calendar)
    _known[version] = calendar
    _written.add(version)
    return calendar


def forget() -> None:
    """Forget every version (a test's table starts empty)."""
    _known.clear()
    _written.clear()
