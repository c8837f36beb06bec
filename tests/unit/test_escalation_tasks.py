"""The escalation task code, pure: the plan a wake carries, what a wake escalates, what the stream watcher
orders for each change of a ticket.

Policies (CONFIG, 24x7 so times are plain arithmetic): complaints get a first response within 2h and are resolved
within 48h; everything else 4h / 16h. The ladder is the built-in one: at 75% the owner is warned; at 100% the
supervisor is notified and the level raised; a complaint at its resolution breach moves to the complaints group.
A complaint opened at T0 thus has milestones at 90 min, 120 min, 36 h and 48 h.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from kefu.escalation.plan import Plan, plan_for, wake_time
from kefu.escalation.service import escalate_due
from kefu.escalation.wakes import schedule_name
from kefu.escalation.watch import Orders, orders
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, EntryKind, Priority, Status, Ticket, Visibility
from kefu.sla import SlaConfig
from kefu.store.tickets import from_stream_image
from kefu.tickets import sla as sla_clock
from kefu.tickets.sla import ClockEvent
from tests.conftest import EVENTS

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
            {"name": "standard", "calendar": "24x7", "first_response": "4h", "resolution": "16h"},
        ]
    }
)
LADDER = CONFIG.escalation
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = "agent-zhang"


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def complaint(**fields) -> Ticket:
    ticket = Ticket(
        id="TK-7F3K9Q2M",
        subject="The courier threw my parcel over the fence",
        description="I want to complain about the delivery.",
        status=Status.OPEN,
        category=Category.COMPLAINT,
        priority=Priority.P2,
        channel=Channel.WEB,
        customerId="CU-1",
        customerTier=Tier.STANDARD,
        groupId="l1",
        assigneeId=AGENT,
        ownerId=AGENT,
        createdAt=T0,
        updatedAt=T0,
        version=3,
    )
    return sla_clock.started(ticket, CONFIG).model_copy(update=fields)


def after(ticket: Ticket, event: ClockEvent, at: datetime, **fields) -> Ticket:
    return ticket.model_copy(update={**sla_clock.moved(ticket, ticket.sla, at, event), **fields})


def written(ticket: Ticket, at: datetime, generation: int = 1) -> Ticket:
    """The ticket as escalating it at `at` writes it (it must have something due)."""
    escalation = escalate_due(ticket, generation, LADDER, at)
    assert escalation is not None
    return escalation.change.ticket


# --- the plan ------------------------------------------------------------------------------------------------


def test_a_wake_time_is_rounded_up_to_the_second():
    assert wake_time(datetime(2026, 3, 2, 10, 30, 0, 1000, tzinfo=UTC)) == "2026-03-02T10:30:01Z"
    assert wake_time(datetime(2026, 3, 2, 10, 30, 0, tzinfo=UTC)) == "2026-03-02T10:30:00Z"


def test_a_new_complaint_first_waits_for_75_percent_of_its_first_response_target():
    plan = plan_for(complaint(), 1, LADDER)

    assert plan == Plan(
        ticketId="TK-7F3K9Q2M", generation=1, wakeAt="2026-03-02T10:30:00Z", milestone="first_response:75"
    )
    assert plan.document() == {
        "ticketId": "TK-7F3K9Q2M",
        "generation": 1,
        "done": False,
        "wakeAt": "2026-03-02T10:30:00Z",
        "milestone": "first_response:75",
    }


def test_the_plan_skips_the_milestones_already_escalated():
    ticket = complaint()
    escalated = ticket.sla.model_copy(update={"escalated": ["first_response:75", "first_response:100"]})

    plan = plan_for(ticket.model_copy(update={"sla": escalated}), 1, LADDER)

    assert (plan.milestone, plan.wakeAt) == ("resolution:75", "2026-03-03T21:00:00Z")


def test_an_answered_ticket_next_waits_for_its_resolution_milestones():
    answered = after(complaint(), ClockEvent.FIRST_RESPONSE, minutes(30))

    assert plan_for(answered, 2, LADDER).milestone == "resolution:75"


def test_there_is_nothing_to_wait_for_once_resolved_or_closed():
    resolved = after(complaint(), ClockEvent.RESOLUTION, minutes(30), status=Status.RESOLVED)

    assert plan_for(resolved, 2, LADDER).done
    assert plan_for(resolved.model_copy(update={"status": Status.CLOSED}), 2, LADDER).done


def test_a_plan_of_an_earlier_generation_is_done():
    paused = after(complaint(), ClockEvent.PAUSE, minutes(30), status=Status.PENDING)
    resumed = after(paused, ClockEvent.RESUME, minutes(50), status=Status.OPEN)

    assert plan_for(resumed, 1, LADDER).done
    assert plan_for(resumed, 3, LADDER).wakeAt == "2026-03-02T10:50:00Z"  # 90 min + the 20 min paused


def test_a_clock_paused_before_its_next_milestone_has_nothing_to_wait_for():
    paused = after(complaint(), ClockEvent.PAUSE, minutes(30), status=Status.PENDING)

    assert plan_for(paused, 2, LADDER).done


def test_a_clock_paused_after_a_missed_milestone_still_escalates_it():
    paused = after(complaint(), ClockEvent.PAUSE, minutes(100), status=Status.PENDING)

    plan = plan_for(paused, 2, LADDER)

    assert (plan.milestone, plan.wakeAt) == ("first_response:75", "2026-03-02T10:30:00Z")


def test_wakes_are_named_by_ticket_generation_and_time_as_scheduler_allows():
    plan = Plan(ticketId="TK-7F3K9Q2M", generation=3, wakeAt="2026-03-02T10:50:00Z", milestone="resolution:75")

    name = schedule_name(plan)

    assert name == "TK-7F3K9Q2M-3-20260302105000"
    assert len(name) <= 64 and re.fullmatch(r"[0-9A-Za-z_.-]+", name)


def test_a_plan_that_waits_for_nothing_has_no_wake():
    with pytest.raises(ValueError, match="waits for nothing"):
        schedule_name(Plan.finished("TK-7F3K9Q2M", 3))


def test_the_state_document_always_says_whether_it_is_done():
    assert Plan.finished("TK-7F3K9Q2M", 2).document() == {"ticketId": "TK-7F3K9Q2M", "generation": 2, "done": True}


# --- what a wake escalates -------------------------------------------------------------------------------------


def test_nothing_is_escalated_before_the_first_milestone():
    assert escalate_due(complaint(), 1, LADDER, minutes(89)) is None


def test_at_75_percent_the_owner_is_warned_on_the_timeline():
    escalation = escalate_due(complaint(), 1, LADDER, minutes(90))

    assert escalation is not None
    (entry,) = escalation.change.drafts
    assert (entry.kind, entry.visibility) == (EntryKind.ESCALATION, Visibility.INTERNAL)
    assert entry.data == {
        "milestone": "first_response",
        "percent": 75,
        "key": "first_response:75",
        "action": "warn_owner",
        "due": "2026-03-02T11:00:00.000Z",
        "level": 0,
        "notified": [AGENT],
    }
    assert entry.body == (
        f"First response at 75% of its target (due 2026-03-02T11:00:00.000Z): the owner is warned ({AGENT})."
    )
    ticket = escalation.change.ticket
    assert ticket.sla.escalated == ["first_response:75"]
    assert ticket.escalationLevel == 0
    assert ticket.updatedAt == minutes(90)
    assert [t.step.action for t in escalation.taken] == ["warn_owner"]


def test_at_the_breach_the_supervisor_is_notified_and_the_level_raised():
    warned = written(complaint(), minutes(90))

    escalation = escalate_due(warned, 1, LADDER, minutes(120) + timedelta(seconds=1))

    assert escalation is not None
    assert [(d.data["action"], d.data["level"]) for d in escalation.change.drafts] == [
        ("notify_supervisor", 0),
        ("raise_level", 1),
    ]
    ticket = escalation.change.ticket
    assert ticket.escalationLevel == 1
    assert ticket.sla.escalated == ["first_response:75", "first_response:100"]
    assert ticket.sla.breaches == ["first_response"]


def test_milestones_missed_meanwhile_are_escalated_together_in_time_order():
    escalation = escalate_due(complaint(), 1, LADDER, minutes(37 * 60))

    assert escalation is not None
    assert [(d.data["key"], d.data["action"]) for d in escalation.change.drafts] == [
        ("first_response:75", "warn_owner"),
        ("first_response:100", "notify_supervisor"),
        ("first_response:100", "raise_level"),
        ("resolution:75", "warn_owner"),
    ]


def test_a_milestone_already_escalated_is_never_escalated_again():
    warned = written(complaint(), minutes(90))

    assert escalate_due(warned, 1, LADDER, minutes(91)) is None


def test_a_complaint_past_its_48_hours_moves_to_the_complaints_group_as_a_transfer_does():
    ticket = complaint()
    ticket = ticket.model_copy(update={"sla": ticket.sla.model_copy(update={"escalated": ["first_response:75"]})})
    ticket = written(ticket, minutes(36 * 60))

    escalation = escalate_due(ticket, 1, LADDER, minutes(48 * 60))

    assert escalation is not None
    moved = escalation.change.ticket
    assert (moved.groupId, moved.assigneeId, moved.ownerId) == ("complaints", None, AGENT)
    assert moved.escalationLevel == 2
    move = escalation.change.drafts[-1]
    assert move.data["action"] == "move_to_group"
    assert (move.data["fromGroup"], move.data["toGroup"], move.data["from"]) == ("l1", "complaints", AGENT)
    assert move.body == "Resolution at 100% of its target (due 2026-03-04T09:00:00.000Z): moved from l1 to complaints."
    assert [(c.agent_id, c.delta) for c in escalation.change.load_changes] == [(AGENT, -1)]
    assert escalation.freed == [AGENT]


def test_a_complaint_already_in_the_complaints_group_is_not_moved_but_its_milestone_is_done():
    ticket = complaint(groupId="complaints", assigneeId=None)
    done = ["first_response:75", "first_response:100", "resolution:75"]
    ticket = ticket.model_copy(update={"sla": ticket.sla.model_copy(update={"escalated": done})})

    escalation = escalate_due(ticket, 1, LADDER, minutes(48 * 60))

    assert escalation is not None
    assert [d.data["action"] for d in escalation.change.drafts] == ["notify_supervisor", "raise_level"]
    assert escalation.change.ticket.groupId == "complaints"
    assert escalation.change.ticket.sla.escalated[-1] == "resolution:100"
    assert escalation.change.load_changes == [] and escalation.freed == []


def test_other_tickets_stay_in_their_group_at_their_resolution_breach():
    ticket = complaint(category=Category.ORDER)
    ticket = sla_clock.started(ticket, CONFIG)

    escalation = escalate_due(ticket, 1, LADDER, minutes(16 * 60))

    assert escalation is not None
    assert "move_to_group" not in [d.data["action"] for d in escalation.change.drafts]
    assert escalation.change.ticket.groupId == "l1"


def test_an_answered_ticket_skips_its_first_response_milestones():
    answered = after(complaint(), ClockEvent.FIRST_RESPONSE, minutes(60))

    assert escalate_due(answered, 2, LADDER, minutes(121)) is None


def test_a_resolved_ticket_or_an_earlier_generation_escalates_nothing():
    resolved = after(complaint(), ClockEvent.RESOLUTION, minutes(60), status=Status.RESOLVED)
    paused = after(complaint(), ClockEvent.PAUSE, minutes(100), status=Status.PENDING)

    assert escalate_due(resolved, 2, LADDER, minutes(48 * 60)) is None
    assert escalate_due(paused, 1, LADDER, minutes(120)) is None


# --- what the stream watcher orders ----------------------------------------------------------------------------


def test_a_new_ticket_schedules_the_wake_of_its_first_generation_at_its_first_milestone():
    found = orders(None, complaint(), LADDER)

    assert found.stop is None
    assert found.start == plan_for(complaint(), 1, LADDER)
    assert schedule_name(found.start) == "TK-7F3K9Q2M-1-20260302103000"


def test_a_change_that_keeps_the_generation_orders_nothing():
    ticket = complaint()

    assert orders(ticket, written(ticket, minutes(90)), LADDER) == Orders()
    assert orders(ticket, ticket.model_copy(update={"tags": ["courier"], "version": 4}), LADDER) == Orders()


def test_an_answer_replaces_the_wake_with_one_for_the_resolution_milestones():
    ticket = complaint()

    found = orders(ticket, after(ticket, ClockEvent.FIRST_RESPONSE, minutes(10)), LADDER)

    assert found.stop == plan_for(ticket, 1, LADDER)  # the wake pending: its name is the one scheduled
    assert found.start is not None
    assert (found.start.generation, found.start.milestone) == (2, "resolution:75")


def test_resolving_cancels_the_pending_wake_and_schedules_none():
    ticket = complaint()

    found = orders(ticket, after(ticket, ClockEvent.RESOLUTION, minutes(60), status=Status.RESOLVED), LADDER)

    assert found.stop is not None and (schedule_name(found.stop), found.start) == ("TK-7F3K9Q2M-1-20260302103000", None)


def test_resuming_starts_the_next_generation_with_the_moved_due_times():
    paused = after(complaint(), ClockEvent.PAUSE, minutes(30), status=Status.PENDING)
    resumed = after(paused, ClockEvent.RESUME, minutes(50), status=Status.OPEN)

    found = orders(paused, resumed, LADDER)

    assert found.stop is None  # the paused clock had nothing to wait for: no wake was pending
    assert found.start is not None
    assert (found.start.generation, found.start.wakeAt) == (3, "2026-03-02T10:50:00Z")


def test_a_ticket_without_a_clock_orders_nothing():
    legacy = complaint(slaClock=None)

    assert orders(None, legacy, LADDER) == Orders()
    assert orders(legacy, legacy.model_copy(update={"status": Status.PENDING}), LADDER) == Orders()


def test_a_stream_record_of_a_ticket_put_on_hold_cancels_its_wake_and_schedules_none():
    (record,) = json.loads((EVENTS / "dynamodb_stream_ticket_pending.json").read_text())["Records"]
    old = from_stream_image(record["dynamodb"]["OldImage"])
    new = from_stream_image(record["dynamodb"]["NewImage"])

    found = orders(old, new, LADDER)

    assert (old.status, new.status) == (Status.NEW, Status.PENDING)
    assert found.stop is not None and schedule_name(found.stop).startswith(f"{new.id}-1-")
    assert found.start is None


# --- after the breach: the ladder goes on, each step telling its people ---------------------------------------

LONG_LADDER = SlaConfig.model_validate(
    {
        "policies": CONFIG.model_dump(mode="json")["policies"],
        "escalation": [
            {"at": 100, "milestone": "resolution", "action": "notify_supervisor"},
            {"at": 100, "milestone": "resolution", "action": "raise_level"},
            {"at": 150, "milestone": "resolution", "action": "notify_supervisor"},
            {"at": 150, "milestone": "resolution", "action": "notify_manager"},
            {"at": 150, "milestone": "resolution", "action": "raise_level"},
            {"at": 200, "milestone": "resolution", "action": "notify_head"},
            {"at": 200, "milestone": "resolution", "action": "raise_level"},
        ],
        "notices": {
            "supervisors": {"l1": ["sup-wang"]},
            "managers": {AGENT: "mgr-sun"},
            "head_of_service": ["head@example.com"],
        },
    }
)


def test_half_a_target_after_the_breach_the_supervisor_and_the_owners_manager_are_told_and_the_level_raised():
    resolution = complaint().sla.resolutionDue
    first = escalate_due(complaint(), 1, LONG_LADDER.escalation, resolution + timedelta(seconds=1))
    assert first is not None
    breached = first.change.ticket
    half_later = resolution + (resolution - T0) / 2

    escalation = escalate_due(breached, 1, LONG_LADDER.escalation, half_later, LONG_LADDER.notices)

    assert escalation is not None
    said = {(e.data["action"], tuple(e.data.get("notified", ()))) for e in escalation.change.drafts}
    assert said == {("notify_supervisor", ("sup-wang",)), ("notify_manager", ("mgr-sun",)), ("raise_level", ())}
    assert escalation.change.ticket.escalationLevel == 2
    manager = next(e for e in escalation.change.drafts if e.data["action"] == "notify_manager")
    assert manager.body.endswith("the owner's manager is notified (mgr-sun).")


def test_a_whole_target_after_the_breach_the_head_of_service_is_told():
    resolution = complaint().sla.resolutionDue
    late = resolution + (resolution - T0)
    escalation = escalate_due(complaint(), 1, LONG_LADDER.escalation, late, LONG_LADDER.notices)
    assert escalation is not None
    head = next(e for e in escalation.change.drafts if e.data["action"] == "notify_head")
    assert (head.data["notified"], head.data["percent"]) == (["head@example.com"], 200)
    assert escalation.change.ticket.escalationLevel == 3
    assert escalation.change.ticket.sla.escalated == ["resolution:100", "resolution:150", "resolution:200"]


def test_a_step_with_nobody_configured_says_so_on_the_timeline():
    escalation = escalate_due(complaint(groupId="l2"), 1, LONG_LADDER.escalation, minutes(10_000), LONG_LADDER.notices)
    assert escalation is not None
    supervisor = next(e for e in escalation.change.drafts if e.data["action"] == "notify_supervisor")
    assert supervisor.data["notified"] == []
    assert supervisor.body.endswith("(nobody configured).")


def test_a_notify_step_without_its_people_is_refused_at_synth():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"notify_head needs notices\.head_of_service"):
        SlaConfig.model_validate({"escalation": [{"at": 200, "milestone": "resolution", "action": "notify_head"}]})


# --- resolved tickets close on their own ------------------------------------------------------------------------

QUIET = timedelta(days=7)


def resolved_complaint() -> Ticket:
    ticket = complaint()
    sla = ticket.sla.model_copy(update={"resolvedAt": minutes(60)})
    update = {"status": Status.RESOLVED, "sla": sla, "updatedAt": minutes(60)}
    moved = sla_clock.moved(ticket, sla, minutes(60), ClockEvent.RESOLUTION)
    return ticket.model_copy(update={**update, **moved})


def test_a_resolved_tickets_clock_waits_to_close_it_after_the_quiet_period():
    ticket = resolved_complaint()
    plan = plan_for(ticket, 2, LADDER, close_after=QUIET)
    assert (plan.done, plan.milestone, plan.wakeAt) == (False, "close", wake_time(minutes(60) + QUIET))
    assert plan_for(ticket, 2, LADDER).done  # nothing closes by itself without a quiet period


def test_the_watcher_starts_the_wait_to_close_when_a_ticket_is_resolved():
    before, after = complaint(), resolved_complaint()
    found = orders(before, after, LADDER, close_after=QUIET)
    assert found.stop == plan_for(before, 1, LADDER, close_after=QUIET)
    assert found.stop is not None and schedule_name(found.stop).startswith(f"{before.id}-1-")
    assert found.start is not None and found.start.milestone == "close"


def test_a_reopen_stops_the_wait_to_close():
    resolved = resolved_complaint()
    sla = resolved.sla.model_copy(update={"resolvedAt": None})
    moved = sla_clock.moved(resolved, sla, minutes(120), ClockEvent.REOPEN)
    reopened = resolved.model_copy(update={"status": Status.OPEN, "sla": sla, **moved})
    found = orders(resolved, reopened, LADDER, close_after=QUIET)
    assert found.stop == plan_for(resolved, 2, LADDER, close_after=QUIET)
    assert found.stop is not None and found.stop.milestone == "close"


def test_the_close_is_written_once_the_quiet_period_is_over_and_not_before():
    from kefu.escalation.closing import closed_if_due

    ticket = resolved_complaint()
    assert closed_if_due(ticket, 2, QUIET, minutes(60) + QUIET - timedelta(seconds=1)) is None
    assert closed_if_due(ticket, 1, QUIET, minutes(60) + QUIET) is None  # another generation's wait
    change = closed_if_due(ticket, 2, QUIET, minutes(60) + QUIET)
    assert change is not None
    assert (change.ticket.status, change.ticket.sla.closedAt) == (Status.CLOSED, minutes(60) + QUIET)
    (entry,) = change.drafts
    assert entry.data == {
        "from": "resolved",
        "to": "closed",
        "reason": "closed automatically: resolved 7 days ago without a word from the customer",
    }
    assert plan_for(change.ticket, 2, LADDER, close_after=QUIET).done
