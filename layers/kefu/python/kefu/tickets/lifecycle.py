"""The ticket lifecycle: new → open → pending → resolved → closed, plus reopen."""

from __future__ import annotations

from kefu.errors import Forbidden, InvalidTransition
from kefu.identity import Caller
from kefu.model.tickets import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED}),
    # resolved → open is the reopen; a closed ticket is final (a follow-up ticket is opened instead).
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

#: What a customer may do to their own ticket: reopen it or confirm it closed.
CUSTOMER_ALLOWED: frozenset[tuple[Status, Status]] = frozenset(
    {(Status.RESOLVED, Status.OPEN), (Status.RESOLVED, Status.CLOSED)}
)


def can_transition(current: Status, target: Status) -> bool:
    return target in ALLOWED[current]


def check_transition(caller: Caller, current: Status, target: Status) -> None:
    """Refuse a forbidden move (409), or one the caller's role may not make (403)."""
    if not can_transition(current, target):
        raise InvalidTransition(current.value, target.value)
    if caller.is_customer and (current, target) not in CUSTOMER_ALLOWED:
        raise Forbidden("a customer may only reopen or close a resolved ticket")


def is_reopen(current: Status, target: Status) -> bool:
    return current is Status.RESOLVED and target is Status.OPEN
