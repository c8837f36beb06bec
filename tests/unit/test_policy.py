"""Who may read and write what on a ticket, and what a customer is shown: pure, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.errors import Forbidden, TicketNotFound
from kefu.identity import Caller
from kefu.model.tickets import Status, Ticket, Visibility
from kefu.tickets import policy

OWNER = Caller(sub="cust-1")
STRANGER = Caller(sub="cust-2")
STAFF = [Caller(sub="a", groups=frozenset({"agent"})), Caller(sub="s", groups=frozenset({"supervisor"}))]
MOMENT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def a_ticket(**fields) -> Ticket:
    base = dict(
        id="TK-7F3K9Q2M",
        subject="s",
        description="d",
        status=Status.OPEN,
        priority="P3",
        channel="web",
        customerId=OWNER.sub,
        sentiment="angry",
        escalationLevel=2,
        tags=["vip-watch"],
        createdAt=MOMENT,
        updatedAt=MOMENT,
        version=3,
    )
    return Ticket(**{**base, **fields})


def test_the_owner_may_read_their_ticket():
    policy.ensure_can_read(OWNER, a_ticket())


@pytest.mark.parametrize("caller", STAFF, ids=["agent", "supervisor"])
def test_staff_may_read_any_ticket(caller):
    policy.ensure_can_read(caller, a_ticket())


def test_another_customer_is_told_the_ticket_does_not_exist():
    with pytest.raises(TicketNotFound):
        policy.ensure_can_read(STRANGER, a_ticket())


def test_a_customer_may_not_write_an_internal_note():
    with pytest.raises(Forbidden):
        policy.ensure_can_write_message(OWNER, a_ticket(), Visibility.INTERNAL)


def test_another_customer_may_not_write_at_all():
    with pytest.raises(TicketNotFound):
        policy.ensure_can_write_message(STRANGER, a_ticket(), Visibility.PUBLIC)


def test_a_customer_is_not_shown_internal_fields():
    view = policy.ticket_view(OWNER, a_ticket())
    assert not policy.INTERNAL_FIELDS & view.keys()
    assert "breaches" not in view["sla"]


def test_staff_are_shown_every_field():
    view = policy.ticket_view(STAFF[0], a_ticket())
    assert (view["sentiment"], view["escalationLevel"], view["tags"]) == ("angry", 2, ["vip-watch"])
