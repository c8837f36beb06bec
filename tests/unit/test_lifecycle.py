"""The ticket lifecycle: which moves exist, who may make them, and which one is a reopen."""

from __future__ import annotations

from itertools import product

import pytest

from kefu.errors import Forbidden, InvalidTransition
from kefu.identity import Caller
from kefu.model.tickets import Status
from kefu.tickets.lifecycle import can_transition, check_transition, is_reopen

NEW, OPEN, PENDING, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED

# The table as the product describes it, written out here rather than read from the code under test.
ALLOWED_MOVES = {
    (NEW, OPEN),
    (NEW, PENDING),
    (NEW, RESOLVED),
    (OPEN, PENDING),
    (OPEN, RESOLVED),
    (PENDING, OPEN),
    (PENDING, RESOLVED),
    (RESOLVED, OPEN),  # the reopen
    (RESOLVED, CLOSED),
}
EVERY_PAIR = list(product(Status, Status))
REFUSED_MOVES = [pair for pair in EVERY_PAIR if pair not in ALLOWED_MOVES]
CUSTOMER_MOVES = {(RESOLVED, OPEN), (RESOLVED, CLOSED)}

CUSTOMER = Caller(sub="cust-alice")
STAFF = [
    Caller(sub="agent-zhang", groups=frozenset({"agent"})),
    Caller(sub="sup-wang", groups=frozenset({"agent", "supervisor"})),
    Caller(sub="admin-chen", groups=frozenset({"admin"})),
]


def moves(pairs) -> list:
    """The pairs in lifecycle order, each named like `resolved->open`."""
    return [pytest.param(*pair, id=f"{pair[0].value}->{pair[1].value}") for pair in EVERY_PAIR if pair in pairs]


def caller_id(caller: Caller) -> str:
    return caller.role.value


def test_a_ticket_has_exactly_the_five_statuses_this_table_covers():
    # Given the table below (every ordered pair of these five), when a status is added or renamed, then this fails
    assert {status.value for status in Status} == {"new", "open", "pending", "resolved", "closed"}


@pytest.mark.parametrize("current, target", moves(ALLOWED_MOVES))
def test_an_allowed_move_is_one_the_lifecycle_knows(current, target):
    # Given an allowed pair, when asked, then the lifecycle says the move exists
    assert can_transition(current, target)


@pytest.mark.parametrize("current, target", moves(REFUSED_MOVES))
def test_any_other_move_is_one_the_lifecycle_does_not_know(current, target):
    # Given a pair outside the table, when asked, then the lifecycle says the move does not exist
    assert not can_transition(current, target)


@pytest.mark.parametrize("staff", STAFF, ids=caller_id)
@pytest.mark.parametrize("current, target", moves(ALLOWED_MOVES))
def test_staff_may_make_every_allowed_move(current, target, staff):
    # Given an agent, supervisor or admin, when they make an allowed move, then it is accepted
    check_transition(staff, current, target)


@pytest.mark.parametrize("staff", STAFF, ids=caller_id)
@pytest.mark.parametrize("current, target", moves(REFUSED_MOVES))
def test_staff_making_any_other_move_get_an_invalid_transition(current, target, staff):
    # Given staff, when they make a move outside the table, then InvalidTransition names both ends
    with pytest.raises(InvalidTransition) as refused:
        check_transition(staff, current, target)
    assert (refused.value.current, refused.value.target) == (current.value, target.value)


@pytest.mark.parametrize("current, target", moves(REFUSED_MOVES))
def test_a_customer_making_a_move_outside_the_table_gets_an_invalid_transition_not_forbidden(current, target):
    # Given a customer, when the move does not exist at all, then the answer is the lifecycle's (409), not the role's
    with pytest.raises(InvalidTransition):
        check_transition(CUSTOMER, current, target)


@pytest.mark.parametrize("current, target", moves(CUSTOMER_MOVES))
def test_a_customer_may_reopen_or_close_a_resolved_ticket(current, target):
    # Given a customer and a resolved ticket, when they reopen or close it, then it is accepted
    check_transition(CUSTOMER, current, target)


@pytest.mark.parametrize("current, target", moves(ALLOWED_MOVES - CUSTOMER_MOVES))
def test_a_customer_making_any_other_allowed_move_is_forbidden(current, target):
    # Given a customer, when they make a move only staff make (e.g. resolving), then Forbidden
    with pytest.raises(Forbidden):
        check_transition(CUSTOMER, current, target)


def test_resolved_to_open_is_a_reopen():
    # Given a resolved ticket, when it goes back to open, then that is a reopen
    assert is_reopen(RESOLVED, OPEN)


@pytest.mark.parametrize("current, target", moves(set(EVERY_PAIR) - {(RESOLVED, OPEN)}))
def test_no_other_move_is_a_reopen(current, target):
    # Given any other pair (pending → open included), when asked, then it is not a reopen
    assert not is_reopen(current, target)
