"""Resolved tickets in a time window (access pattern 7): gsi5, one Query per day of the window.

gsi5pk is `RESOLVED#<yyyy-mm-dd>` (UTC) and gsi5sk `<resolvedAt>#<ticketId>`; only resolved and closed tickets
carry them, so a reopened ticket leaves the index. The cursor is the key of the last ticket returned, bound to
the window it was issued for: the next page goes on from there, within that day and then the days after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu.clock import iso
from kefu.errors import BadCursor, BadRequest
from kefu.model.tickets import Page, Ticket
from kefu.store import cursor as cursors
from kefu.store.full_items import read_in_full
from kefu.store.models import TicketItem
from kefu.store.tickets import ticket_of

DAY_PREFIX = "RESOLVED#"
#: Sorts after every `#<ticket id>` that follows a timestamp in gsi5sk.
_AFTER_IDS = "#~"
_KEY_NAMES = {"pk", "sk", "gsi5pk", "gsi5sk", "window"}
#: A window longer than this is a mistake (a campaign looks back 365 days at most).
MAX_DAYS = 400


def resolved_between(start: datetime, end: datetime, *, limit: int, cursor: str | None) -> Page[Ticket]:
    """Tickets resolved from `start` to `end` (both included), oldest resolution first, at most `limit` a page."""
    if end < start:
        raise BadRequest("the window ends before it starts")
    if limit < 1:
        raise BadRequest("limit must be at least 1")
    days = _days(start, end)
    window = f"{iso(start)}/{iso(end)}"
    resume = _resume(cursor, window, days)
    low, high = iso(start), iso(end) + _AFTER_IDS
    # The index holds keys: the window's entries first, day by day, then the tickets by key all at once.
    found: list[TicketItem] = []
    last: dict[str, str] | None = None
    first_day = days.index(resume["gsi5pk"]) if resume else 0
    for day in days[first_day:]:
        start_key = resume if resume and resume["gsi5pk"] == day else None
        result = TicketItem.by_resolution_day.query(
            day,
            TicketItem.gsi5sk.between(low, high),
            limit=limit - len(found),
            page_size=limit - len(found),
            last_evaluated_key={name: {"S": value} for name, value in start_key.items()} if start_key else None,
        )
        for item in result:
            found.append(item)
            last = {"pk": item.pk, "sk": item.sk, "gsi5pk": item.gsi5pk, "gsi5sk": item.gsi5sk}
        if len(found) >= limit:
            break
    items = [ticket_of(item) for item in read_in_full(found)]
    next_cursor = None
    if len(found) >= limit and last is not None:
        next_cursor = cursors.encode({name: {"S": value} for name, value in {**last, "window": window}.items()})
    return Page[Ticket](items=items, nextCursor=next_cursor)


def _days(start: datetime, end: datetime) -> list[str]:
    first, last = iso(start)[:10], iso(end)[:10]
    count = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days + 1
    if count > MAX_DAYS:
        raise BadRequest(f"a window of {count} days is longer than {MAX_DAYS}")
    day = datetime.fromisoformat(first)
    return [f"{DAY_PREFIX}{(day + timedelta(days=n)).date().isoformat()}" for n in range(count)]


def _resume(cursor: str | None, window: str, days: list[str]) -> dict[str, str] | None:
    start = cursors.decode(cursor, key_names=_KEY_NAMES, partition=("window", window))
    if start is None:
        return None
    key = {name: value["S"] for name, value in start.items() if name != "window"}
    if key["gsi5pk"] not in days:
        raise BadCursor("the cursor belongs to another listing")
    return key
