"""The terms of SLA clocks, what a ticket was promised (its first-response and resolution targets and the versions of
the calendars they count on), each version kept once (pk=SLATERMS#<version>, sk=TERMS, with those calendars) rather
than copied into every ticket item, where they were ~140 bytes of an item rewritten at every change (kefu.tickets.sla
names them by version in the clock it stores).

A version is a hash of the terms, and a calendar's version a hash of its content, so an item never changes and a
process may keep what it has read or written for as long as it lives. Terms are only ever stored beside the clocks
that name them: the terms this process's clocks were started or moved with are `remember`ed, and the next ticket write
puts those not yet in the table in its own transaction (`unwritten`), then marks them `written`. So no ticket names
terms that are not in the table, and a version is written once per process at most; terms read from a stored clock
are in the table already (`keep`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from kefu.store.models import SlaTermsItem

SK = "TERMS"
_PREFIX = "SLATERMS#"


class Kept(NamedTuple):
    """Terms as the table keeps them: the terms' JSON and the JSON of the calendars they name, by version."""

    terms: dict[str, Any]
    calendars: dict[str, dict[str, Any]]


#: Versions' JSON, read or made by this process (immutable: kept while it lives).
_known: dict[str, dict[str, Any]] = {}
#: The items of versions this process made and has not written yet.
_pending: dict[str, Callable[[], Kept]] = {}
#: Versions in the table, as far as this process knows.
_written: set[str] = set()


def key(version: str) -> str:
    return f"{_PREFIX}{version}"


def known(version: str) -> dict[str, Any] | None:
    """The version's terms as this process holds them, without asking the table (None: not met yet)."""
    return _known.get(version)


def remember(version: str, terms: dict[str, Any], content: Callable[[], Kept]) -> None:
    """Terms a clock of this process names: known from now on, and, unless they are in the table already, written
    (`content()`: the terms with their calendars) with the next ticket write."""
    _known.setdefault(version, terms)
    if version not in _written and version not in _pending:
        _pending[version] = content


def keep(version: str, terms: dict[str, Any]) -> None:
    """Terms a stored clock names (read from the table, or the deployment's own): known, and in the table already,
    since a clock is stored with its terms."""
    _known.setdefault(version, terms)
    _written.add(version)
    _pending.pop(version, None)


def unwritten() -> list[SlaTermsItem]:
    """The items of the remembered versions not in the table yet (to put with a ticket)."""
    items = []
    for version, content in _pending.items():
        kept = content()
        items.append(SlaTermsItem(key(version), SK, terms=kept.terms, calendars=kept.calendars))
    return items


def written(items: Iterable[SlaTermsItem]) -> None:
    for item in items:
        version = item.pk.removeprefix(_PREFIX)
        _written.add(version)
        _pending.pop(version, None)


def read(version: str) -> Kept:
    """A version's terms and calendars from the table; LookupError when no item holds it."""
    try:
        item = SlaTermsItem.get(key(version), SK, consistent_read=True)
    except DoesNotExist:
        raise LookupError(f"no SLA terms of version {version} are kept") from None
    calendars: Mapping[str, Any] = item.calendars or {}
    return Kept(dict(item.terms), {name: dict(content) for name, content in calendars.items()})


def forget() -> None:
    """Forget every version (a test's table starts empty)."""
    _known.clear()
    _pending.clear()
    _written.clear()
