"""Access pattern 7: resolved tickets in a time window, one Query per day of the window and nothing else,
paginated with an opaque cursor; a reopened ticket leaves the index, a closed one stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.errors import BadCursor, BadRequest
from kefu.identity import Caller
from kefu.model.ticket_requests import TransitionRequest
from kefu.model.tickets import Resolution, ResolutionKind, Status
from kefu.store.revisits import resolved_between
from kefu.tickets import service as tickets
from tests.integration.resolved import add_resolved

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
END = datetime(2026, 3, 3, 23, 59, 59, 999000, tzinfo=UTC)  # three days: 1, 2 and 3 March
AGENT = Caller(sub="agent-zhang", groups=frozenset({"agent"}))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def every_page(start: datetime, end: datetime, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = resolved_between(start, end, limit=limit, cursor=cursor)
        pages.append([ticket.id for ticket in page.items])
        cursor = page.nextCursor
        if cursor is None:
            return pages


def test_tickets_resolved_in_the_window_come_oldest_first_and_those_outside_do_not(aws):
    # Given tickets resolved before, across and after a three-day window
    add_resolved(START - timedelta(milliseconds=1))
    inside = [add_resolved(at(3, 9)).id, add_resolved(at(1, 8)).id, add_resolved(at(2, 23, 30)).id]
    add_resolved(END + timedelta(milliseconds=1))
    # When the window is read, then exactly those inside it, oldest resolution first
    page = resolved_between(START, END, limit=50, cursor=None)
    assert [t.id for t in page.items] == [inside[1], inside[2], inside[0]]
    assert page.nextCursor is None


def test_both_ends_of_the_window_are_included(aws):
    first, last = add_resolved(START), add_resolved(END)
    assert [t.id for t in resolved_between(START, END, limit=10, cursor=None).items] == [first.id, last.id]


def test_the_window_is_read_with_one_query_per_day_then_by_key_and_never_a_scan(aws, aws_calls):
    # Given tickets on each of the three days
    for day in (1, 2, 3):
        add_resolved(at(day, 12))
    aws_calls.reset()
    # When the window is read in one page, then three Queries on the table's index (which holds keys), the page's
    # tickets read by key in one BatchGetItem, and no other call
    resolved_between(START, END, limit=50, cursor=None)
    assert aws_calls.count() == {("dynamodb", "Query"): 3, ("dynamodb", "BatchGetItem"): 1}


def test_a_long_window_is_walked_in_pages_each_ticket_once_in_order(aws):
    # Given eight tickets over three days
    expected = [add_resolved(at(day, hour)).id for day in (1, 2, 3) for hour in (6, 12, 18) if (day, hour) != (2, 6)]
    # When walked three at a time, then at least three pages, each ticket once, oldest first
    pages = every_page(START, END, limit=3)
    assert len([page for page in pages if page]) >= 3
    assert [ticket_id for page in pages for ticket_id in page] == expected


def test_a_page_that_fills_at_the_end_of_a_day_goes_on_with_the_next_day(aws):
    day_one = [add_resolved(at(1, hour)).id for hour in (8, 9, 10)]
    day_three = [add_resolved(at(3, hour)).id for hour in (8, 9)]
    pages = every_page(START, END, limit=3)
    assert pages[0] == day_one
    assert [ticket_id for page in pages[1:] for ticket_id in page] == day_three


def test_a_reopened_ticket_leaves_the_window_and_comes_back_when_resolved_again(aws):
    # Given a ticket resolved in the window, when its customer's reply reopens it, then it is not in the window
    ticket = add_resolved(at(2, 10))
    tickets.transition(AGENT, ticket.id, TransitionRequest(to=Status.OPEN))
    assert resolved_between(START, END, limit=10, cursor=None).items == []
    # When it is resolved again (now, after the window), then it is found at its new resolution time only
    tickets.transition(AGENT, ticket.id, TransitionRequest(to=Status.RESOLVED, resolution=Resolution(kind="answer")))
    assert resolved_between(START, END, limit=10, cursor=None).items == []
    now = datetime.now(UTC)
    again = resolved_between(now - timedelta(minutes=5), now + timedelta(minutes=5), limit=10, cursor=None).items
    assert [t.id for t in again] == [ticket.id]
    assert again[0].resolution.kind is ResolutionKind.ANSWER


def test_a_closed_ticket_stays_in_the_window_of_its_resolution(aws):
    ticket = add_resolved(at(2, 10))
    tickets.transition(AGENT, ticket.id, TransitionRequest(to=Status.CLOSED))
    found = resolved_between(START, END, limit=10, cursor=None).items
    assert [(t.id, t.status) for t in found] == [(ticket.id, Status.CLOSED)]


def test_a_cursor_from_another_window_is_refused(aws):
    for hour in (8, 9):
        add_resolved(at(1, hour))
    cursor = resolved_between(START, END, limit=1, cursor=None).nextCursor
    assert cursor
    with pytest.raises(BadCursor):
        resolved_between(START, END + timedelta(days=1), limit=1, cursor=cursor)
    with pytest.raises(BadCursor):
        resolved_between(START, END, limit=1, cursor="garbage")


def test_a_window_that_ends_before_it_starts_or_spans_over_400_days_is_refused(aws):
    with pytest.raises(BadRequest, match="ends before it starts"):
        resolved_between(END, START, limit=10, cursor=None)
    with pytest.raises(BadRequest, match="longer than 400"):
        resolved_between(START - timedelta(days=400), END, limit=10, cursor=None)
