"""The SLA clock a ticket carries (kefu.tickets.sla): started at opening, moved by its events, generations counted.

Policies (CONFIG), all on the 24x7 calendar so due times are plain arithmetic: complaints 2h / 48h, P1 1h / 4h,
everything else 4h / 16h. The ticket opens at T0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority, Sla, Status, Ticket
from kefu.sla import SlaConfig
from kefu.tickets import sla as sla_clock
from kefu.tickets.sla import ClockEvent

CONFIG = SlaConfig.model_validate(
    {
        "policies": [
            {
                "name": "complaint",
                "match": {"categories": ["complaint"]},
                "calendar": "24x7",
                "first_response": "2h",
                "resolution": "48h",
            },
            {
                "name": "p1",
                "match": {"priorities": ["P1"]},
                "calendar": "24x7",
                "first_response": "1h",
                "resolution": "4h",
            },
            {"name": "standard", "calendar": "24x7", "first_response": "4h", "resolution": "16h"},
        ]
    }
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def opened(category: Category = Category.ORDER, priority: Priority = Priority.P3) -> Ticket:
    ticket = Ticket(
        id="TK-7F3K9Q2M",
        subject="Order 1042 never arrived",
        description="Nine days since dispatch.",
        status=Status.OPEN,
        category=category,
        priority=priority,
        channel=Channel.WEB,
        customerId="CU-1",
        customerTier=Tier.STANDARD,
        createdAt=T0,
        updatedAt=T0,
        version=1,
    )
    return sla_clock.started(ticket, CONFIG)


def after(ticket: Ticket, event: ClockEvent, at: datetime) -> Ticket:
    return ticket.model_copy(update=sla_clock.moved(ticket, ticket.sla, at, event))


def generation(ticket: Ticket) -> int:
    clock = sla_clock.clock_of(ticket)
    assert clock is not None
    return clock.generation


def test_a_new_ticket_gets_its_policys_due_times_counted_from_its_creation():
    ticket = opened(Category.COMPLAINT)

    assert ticket.sla.policy == "complaint"
    assert ticket.sla.firstResponseDue == minutes(120)
    assert ticket.sla.resolutionDue == minutes(48 * 60)
    assert ticket.sla.breaches == []
    assert generation(ticket) == 1


def test_the_clock_is_never_serialized_with_the_ticket():
    ticket = opened()

    assert ticket.slaClock is not None
    assert "slaClock" not in ticket.model_dump()
    assert "slaClock" not in ticket.model_dump(mode="json")


def test_a_pause_starts_a_new_generation_and_leaves_the_due_times_unknown():
    paused = after(opened(), ClockEvent.PAUSE, minutes(30))

    assert generation(paused) == 2
    assert paused.sla.firstResponseDue is None
    assert paused.sla.resolutionDue is None


def test_resuming_moves_the_due_times_by_the_time_spent_paused():
    paused = after(opened(), ClockEvent.PAUSE, minutes(30))

    resumed = after(paused, ClockEvent.RESUME, minutes(75))

    assert generation(resumed) == 3
    assert resumed.sla.firstResponseDue == minutes(4 * 60 + 45)
    assert resumed.sla.resolutionDue == minutes(16 * 60 + 45)


def test_a_first_response_starts_a_new_generation_without_the_first_response_milestones():
    answered = after(opened(), ClockEvent.FIRST_RESPONSE, minutes(10))

    assert generation(answered) == 2
    clock = sla_clock.clock_of(answered)
    assert clock is not None and clock.clock.first_response_at == minutes(10)


def test_a_second_answer_changes_nothing():
    answered = after(opened(), ClockEvent.FIRST_RESPONSE, minutes(10))

    assert sla_clock.moved(answered, answered.sla, minutes(20), ClockEvent.FIRST_RESPONSE) == {}


def test_a_late_resolution_starts_a_new_generation_and_shows_both_breaches():
    resolved = after(opened(), ClockEvent.RESOLUTION, minutes(17 * 60))

    assert generation(resolved) == 2
    assert resolved.sla.breaches == ["first_response", "resolution"]


def test_a_reopened_ticket_does_not_count_the_time_it_spent_resolved():
    resolved = after(opened(), ClockEvent.RESOLUTION, minutes(60))

    reopened = after(resolved, ClockEvent.REOPEN, minutes(180))

    assert generation(reopened) == 3
    assert reopened.sla.resolutionDue == minutes(16 * 60 + 120)


def test_a_new_category_chooses_the_policy_again_from_the_tickets_creation():
    ticket = opened()

    update = sla_clock.replanned(
        ticket, ticket.sla, minutes(30), priority=Priority.P3, category=Category.COMPLAINT, config=CONFIG
    )

    changed = ticket.model_copy(update=update)
    assert changed.sla.policy == "complaint"
    assert changed.sla.firstResponseDue == minutes(120)
    assert generation(changed) == 2


def test_a_raised_priority_counts_the_time_already_spent_against_the_tighter_target():
    ticket = opened()

    update = sla_clock.replanned(ticket, ticket.sla, minutes(90), priority=Priority.P1, category=None, config=CONFIG)

    assert update["sla"].firstResponseDue == minutes(60)
    assert update["sla"].breaches == ["first_response"]


def test_choosing_the_policy_again_keeps_the_pauses_and_the_answer():
    ticket = after(opened(), ClockEvent.FIRST_RESPONSE, minutes(10))
    ticket = after(after(ticket, ClockEvent.PAUSE, minutes(30)), ClockEvent.RESUME, minutes(90))

    update = sla_clock.replanned(ticket, ticket.sla, minutes(100), priority=Priority.P1, category=None, config=CONFIG)

    assert update["sla"].resolutionDue == minutes(4 * 60 + 60)
    replanned = ticket.model_copy(update=update)
    clock = sla_clock.clock_of(replanned)
    assert clock is not None and clock.clock.first_response_at == minutes(10)


def test_a_change_that_keeps_the_same_policy_keeps_the_generation():
    ticket = opened()

    update = sla_clock.replanned(
        ticket, ticket.sla, minutes(5), priority=Priority.P2, category=Category.ORDER, config=CONFIG
    )

    replanned = ticket.model_copy(update=update)
    assert generation(replanned) == 1
    assert replanned.sla.firstResponseDue == ticket.sla.firstResponseDue


def test_a_ticket_opened_before_clocks_were_kept_is_left_without_one():
    legacy = opened().model_copy(update={"slaClock": None, "sla": Sla()})

    assert sla_clock.moved(legacy, legacy.sla, minutes(5), ClockEvent.PAUSE) == {}
    assert sla_clock.replanned(legacy, legacy.sla, minutes(5), priority=Priority.P1, category=None) == {}


@pytest.mark.parametrize(
    ("current", "target", "event"),
    [
        (Status.NEW, Status.OPEN, None),
        (Status.OPEN, Status.PENDING, ClockEvent.PAUSE),
        (Status.NEW, Status.PENDING, ClockEvent.PAUSE),
        (Status.PENDING, Status.OPEN, ClockEvent.RESUME),
        (Status.PENDING, Status.RESOLVED, ClockEvent.RESOLUTION),
        (Status.OPEN, Status.RESOLVED, ClockEvent.RESOLUTION),
        (Status.RESOLVED, Status.OPEN, ClockEvent.REOPEN),
        (Status.RESOLVED, Status.CLOSED, None),
    ],
)
def test_what_each_status_change_does_to_the_clock(current, target, event):
    assert sla_clock.transition_event(current, target) == event
