"""The SLA clock of a ticket: due times with pauses, milestones, breaches and its JSON form, hand-checked.

The policies used here (CONFIG): complaints get a first response within 2 Shanghai business hours and are
resolved within 48 wall-clock hours (24x7); everything else gets 4 and 16 business hours. Shanghai works
Mon-Fri 09:00-12:00 and 13:30-18:00 (7.5 h a day). 2026-03-02 is a Monday. Times are Shanghai wall-clock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Priority
from kefu.sla import (
    ALWAYS_OPEN,
    BusinessCalendar,
    Milestone,
    MilestoneKind,
    SlaClock,
    SlaConfig,
    breaches,
    business_time_between,
    milestones,
    next_milestone,
    pause,
    record_first_response,
    record_resolution,
    reopen,
    resume,
    start,
)

WORKDAY = ["09:00-12:00", "13:30-18:00"]
CONFIG = SlaConfig.model_validate(
    {
        "calendars": {
            "shanghai": {
                "time_zone": "Asia/Shanghai",
                "hours": {"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY},
                "holidays": ["2026-05-01", "2026-05-04", "2026-05-05"],
            }
        },
        "policies": [
            {
                "name": "complaint",
                "match": {"categories": ["complaint"]},
                "calendar": "shanghai",
                "first_response": "2h",
                "resolution": {"within": "48h", "calendar": "24x7"},
            },
            {"name": "standard", "calendar": "shanghai", "first_response": "4h", "resolution": "16h"},
        ],
    }
)
LADDER = CONFIG.escalation  # the built-in ladder: 75% warn, 100% supervisor + level, complaints desk
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def complaint(created: str) -> SlaClock:
    return start(Priority.P2, Tier.STANDARD, Category.COMPLAINT, sh(created), CONFIG)


def standard(created: str) -> SlaClock:
    return start(Priority.P3, Tier.STANDARD, Category.ORDER, sh(created), CONFIG)


def paused(clock: SlaClock, *spans: tuple[str, str]) -> SlaClock:
    for begin, end in spans:
        clock = resume(pause(clock, sh(begin)), sh(end))
    return clock


# Due times: (id, clock, first response due, resolution due); the arithmetic above each.
DUE_TIMES = [
    # 10:00-12:00 = 2h business; 10:00 + 48h wall-clock = Wed 10:00
    ("complaint-on-a-monday-morning", complaint("2026-03-02 10:00"), "2026-03-02 12:00", "2026-03-04 10:00"),
    # Fri 17:30-18:00 = 30m, Mon 09:00 + 1h30m; Fri 17:30 + 48h = Sun 17:30
    ("complaint-late-on-a-friday", complaint("2026-03-06 17:30"), "2026-03-09 10:30", "2026-03-08 17:30"),
    # 4h: 10:00-12:00 + 13:30-15:30; 16h: Mon 6.5h + Tue 7.5h = 14h, Wed 09:00 + 2h
    ("standard-on-a-monday-morning", standard("2026-03-02 10:00"), "2026-03-02 15:30", "2026-03-04 11:00"),
    # Thu 17:00-18:00 = 1h; Fri 05-01 holiday, weekend, Mon 05-04 and Tue 05-05 holidays; Wed 05-06 09:00 + 3h;
    # 16h: 1h Thu + Wed 7.5h + Thu 05-07 7.5h = 16h at Thu 18:00
    ("standard-before-a-holiday", standard("2026-04-30 17:00"), "2026-05-06 12:00", "2026-05-07 18:00"),
    # Paused over a night, Mon 17:00 to Tue 10:00 (1h + 1h business). First response: 4h were counted by
    # 15:30, before the pause: unchanged. Resolution: 5.5h counted by 17:00; 10.5h left from Tue 10:00:
    # Tue 10:00-12:00 2h, 13:30-18:00 4.5h, Wed 09:00-12:00 3h, 13:30 + 1h = Wed 14:30
    (
        "standard-paused-over-a-night",
        paused(standard("2026-03-02 10:00"), ("2026-03-02 17:00", "2026-03-03 10:00")),
        "2026-03-02 15:30",
        "2026-03-04 14:30",
    ),
    # Paused Fri 11:00 to Mon 09:00. First response: 1h counted, 1h left from Mon 09:00 = 10:00. Resolution
    # (24x7): 1h counted, 47h left from Mon 09:00 = Wed 08:00
    (
        "complaint-paused-over-a-weekend",
        paused(complaint("2026-03-06 10:00"), ("2026-03-06 11:00", "2026-03-09 09:00")),
        "2026-03-09 10:00",
        "2026-03-11 08:00",
    ),
    # Created Sat 10:00, paused Sat 11:00 to Sun 15:00: no business time in the pause, so the business-hours
    # target is as without it (Mon 09:00 + 2h); the 24x7 one moves by the 28h paused: Sat 10:00 + 48h + 28h
    # = Tue 14:00
    (
        "complaint-paused-before-any-business-time",
        paused(complaint("2026-03-07 10:00"), ("2026-03-07 11:00", "2026-03-08 15:00")),
        "2026-03-09 11:00",
        "2026-03-10 14:00",
    ),
    # Two pauses: Mon 10:00-11:00 and Mon 14:00 to Tue 09:30. First response: 09:00-10:00 1h, 11:00-12:00 1h,
    # 13:30-14:00 30m = 2.5h by the second pause; 1.5h left from Tue 09:30 = 11:00. Resolution: 2.5h counted;
    # 13.5h left: Tue 09:30-12:00 2.5h, 13:30-18:00 4.5h, Wed 09:00-12:00 3h, 13:30 + 3.5h = Wed 17:00
    (
        "standard-paused-twice",
        paused(
            standard("2026-03-02 09:00"),
            ("2026-03-02 10:00", "2026-03-02 11:00"),
            ("2026-03-02 14:00", "2026-03-03 09:30"),
        ),
        "2026-03-03 11:00",
        "2026-03-04 17:00",
    ),
    # First response due Mon 14:30 (09:00-12:00 + 13:30-14:30); the pause from 15:00 comes after it: unchanged.
    # Resolution: 4.5h counted by 15:00; 11.5h left from Tue 10:00: 2h + 4.5h + Wed 3h + 13:30 + 2h = 15:30
    (
        "a-pause-after-a-due-time-leaves-it",
        paused(standard("2026-03-02 09:00"), ("2026-03-02 15:00", "2026-03-03 10:00")),
        "2026-03-02 14:30",
        "2026-03-04 15:30",
    ),
]


@pytest.mark.parametrize("case", DUE_TIMES, ids=lambda case: case[0])
def test_due_times_count_business_time_outside_pauses(case):
    _, clock, first_response_due, resolution_due = case

    assert (clock.first_response_due, clock.resolution_due) == (sh(first_response_due), sh(resolution_due))


def test_the_policy_is_the_first_that_matches():
    assert complaint("2026-03-02 10:00").policy == "complaint"
    assert standard("2026-03-02 10:00").policy == "standard"


def test_a_pause_and_resume_at_the_same_instant_changes_nothing():
    clock = complaint("2026-03-02 10:00")

    assert paused(clock, ("2026-03-02 11:00", "2026-03-02 11:00")) == clock


def test_while_paused_a_due_time_not_yet_reached_is_unknown():
    clock = pause(standard("2026-03-02 09:00"), sh("2026-03-02 10:00"))

    assert (clock.first_response_due, clock.resolution_due) == (None, None)


def test_while_paused_a_due_time_reached_before_the_pause_stays():
    # First response due Mon 14:30 (09:00-12:00 + 13:30-14:30), paused at 15:00.
    clock = pause(standard("2026-03-02 09:00"), sh("2026-03-02 15:00"))

    assert clock.first_response_due == sh("2026-03-02 14:30")
    assert clock.resolution_due is None


def test_pausing_a_paused_clock_changes_nothing():
    clock = pause(standard("2026-03-02 09:00"), sh("2026-03-02 10:00"))

    assert pause(clock, sh("2026-03-02 11:00")) == clock


def test_resuming_a_running_clock_changes_nothing():
    clock = standard("2026-03-02 09:00")

    assert resume(clock, sh("2026-03-02 11:00")) == clock


def test_a_pause_right_after_another_is_kept_as_one():
    back_to_back = (("2026-03-02 10:00", "2026-03-02 11:00"), ("2026-03-02 11:00", "2026-03-02 12:00"))

    clock = paused(standard("2026-03-02 09:00"), *back_to_back)

    assert clock.pauses == ((sh("2026-03-02 10:00"), sh("2026-03-02 12:00")),)


def test_a_first_response_during_a_pause_is_on_time_if_the_target_had_not_passed():
    # 1h counted (09:00-10:00) of 4h when paused; the answer comes the next day while still paused.
    clock = pause(standard("2026-03-02 09:00"), sh("2026-03-02 10:00"))

    answered = record_first_response(clock, sh("2026-03-03 10:00"))

    assert breaches(answered, sh("2026-03-03 10:00")) == []
    assert answered.is_paused


def test_a_pause_after_the_first_response_does_not_move_its_due_time():
    # Answered at 10:30, paused 11:00 to the next day: the first response stays due at 12:00 (10:00 + 2h).
    answered = record_first_response(complaint("2026-03-02 10:00"), sh("2026-03-02 10:30"))

    clock = paused(answered, ("2026-03-02 11:00", "2026-03-03 10:00"))

    assert clock.first_response_due == sh("2026-03-02 12:00")


def test_only_the_first_response_counts():
    clock = record_first_response(standard("2026-03-02 09:00"), sh("2026-03-02 10:00"))

    assert record_first_response(clock, sh("2026-03-02 11:00")) == clock


def test_resolving_a_paused_clock_ends_the_pause_and_answers_the_ticket():
    clock = pause(complaint("2026-03-02 10:00"), sh("2026-03-02 11:00"))

    resolved = record_resolution(clock, sh("2026-03-02 15:00"))

    assert not resolved.is_paused
    assert resolved.first_response_at == resolved.resolved_at == sh("2026-03-02 15:00")
    # 10:00 + 48h + the 4h paused (11:00-15:00) = Wed 14:00
    assert resolved.resolution_due == sh("2026-03-04 14:00")
    assert breaches(resolved, sh("2026-03-10 00:00")) == []


def test_a_reopened_ticket_does_not_count_the_time_it_spent_resolved():
    clock = record_resolution(complaint("2026-03-02 10:00"), sh("2026-03-02 12:00"))

    reopened = reopen(clock, sh("2026-03-03 12:00"))

    assert not reopened.is_resolved
    # 10:00 + 48h + the 24h resolved (Mon 12:00 to Tue 12:00) = Thu 10:00
    assert reopened.resolution_due == sh("2026-03-05 10:00")
    assert [m.key for m in milestones(reopened, LADDER)] == ["resolution:75", "resolution:100"]


def test_a_clock_that_is_not_resolved_does_not_reopen():
    clock = standard("2026-03-02 09:00")

    assert reopen(clock, sh("2026-03-02 10:00")) == clock


# Milestones


def test_a_complaint_has_four_milestones_in_time_order():
    # First response (2h business from Mon 10:00): 75% = 1h30m -> 11:30; 100% -> 12:00.
    # Resolution (48h wall-clock): 75% = 36h -> Tue 22:00; 100% -> Wed 10:00.
    found = milestones(complaint("2026-03-02 10:00"), LADDER)

    assert [(m.key, m.at) for m in found] == [
        ("first_response:75", sh("2026-03-02 11:30")),
        ("first_response:100", sh("2026-03-02 12:00")),
        ("resolution:75", sh("2026-03-03 22:00")),
        ("resolution:100", sh("2026-03-04 10:00")),
    ]


def test_a_complaint_at_its_48_hour_breach_moves_to_the_complaints_desk():
    breach = milestones(complaint("2026-03-02 10:00"), LADDER)[-1]

    assert [(step.action, step.group) for step in breach.steps] == [
        ("notify_supervisor", None),
        ("raise_level", None),
        ("move_to_group", "complaints"),
    ]


def test_other_tickets_at_their_resolution_breach_stay_in_their_group():
    breach = milestones(standard("2026-03-02 10:00"), LADDER)[-1]

    assert breach.key == "resolution:100"
    assert [step.action for step in breach.steps] == ["notify_supervisor", "raise_level"]


def test_a_75_percent_milestone_spans_the_lunch_break():
    # 75% of 4h = 3h from Mon 10:00: 10:00-12:00 2h, 13:30 + 1h = 14:30
    first = milestones(standard("2026-03-02 10:00"), LADDER)[0]

    assert (first.key, first.at) == ("first_response:75", sh("2026-03-02 14:30"))


def test_a_pause_moves_the_milestones_after_it():
    # Paused Fri 11:00 to Mon 09:00 with 1h of 2h counted. 75% = 1h30m: 30m left -> Mon 09:30; 100% -> 10:00.
    clock = paused(complaint("2026-03-06 10:00"), ("2026-03-06 11:00", "2026-03-09 09:00"))

    found = {m.key: m.at for m in milestones(clock, LADDER)}

    assert found["first_response:75"] == sh("2026-03-09 09:30")
    assert found["first_response:100"] == sh("2026-03-09 10:00")


def test_a_ladder_step_past_100_percent_wakes_later():
    ladder = SlaConfig.model_validate(
        {"escalation": [{"at": 150, "milestone": "resolution", "action": "notify_supervisor"}]}
    ).escalation

    # 150% of 48h = 72h after Mon 10:00 = Thu 10:00
    [late] = milestones(complaint("2026-03-02 10:00"), ladder)

    assert (late.key, late.at) == ("resolution:150", sh("2026-03-05 10:00"))


def test_milestones_are_in_time_order_whatever_the_order_of_the_ladder():
    ladder = SlaConfig.model_validate(
        {
            "escalation": [
                {"at": 100, "milestone": "resolution", "action": "raise_level"},
                {"at": 100, "milestone": "first_response", "action": "raise_level"},
                {"at": 50, "milestone": "first_response", "action": "warn_owner"},
            ]
        }
    ).escalation

    found = milestones(complaint("2026-03-02 10:00"), ladder)

    assert [m.key for m in found] == ["first_response:50", "first_response:100", "resolution:100"]


def test_the_next_milestone_is_the_earliest_not_done():
    clock = complaint("2026-03-02 10:00")

    assert next_milestone(clock, LADDER, set()).key == "first_response:75"
    assert next_milestone(clock, LADDER, {"first_response:75"}).key == "first_response:100"


def test_after_the_first_response_only_resolution_milestones_remain():
    clock = record_first_response(complaint("2026-03-02 10:00"), sh("2026-03-02 10:30"))

    assert next_milestone(clock, LADDER, set()).key == "resolution:75"


def test_a_resolved_ticket_has_no_next_milestone():
    clock = record_resolution(complaint("2026-03-02 10:00"), sh("2026-03-02 10:30"))

    assert next_milestone(clock, LADDER, set()) is None


def test_a_clock_paused_before_its_next_milestone_has_none():
    clock = pause(complaint("2026-03-02 10:00"), sh("2026-03-02 10:30"))

    assert next_milestone(clock, LADDER, set()) is None


def test_a_milestone_reached_before_a_pause_is_still_due():
    # First response 100% was at 12:00; paused at 12:30 before the escalation ran.
    clock = pause(complaint("2026-03-02 10:00"), sh("2026-03-02 12:30"))

    overdue = next_milestone(clock, LADDER, {"first_response:75"})

    assert (overdue.key, overdue.at) == ("first_response:100", sh("2026-03-02 12:00"))


# Breaches


def test_no_target_is_breached_before_its_due_time():
    assert breaches(complaint("2026-03-02 10:00"), sh("2026-03-02 12:00")) == []


def test_an_unanswered_ticket_past_its_first_response_due_time_is_breached():
    assert breaches(complaint("2026-03-02 10:00"), sh("2026-03-02 12:01")) == ["first_response"]


def test_a_late_answer_stays_a_breach():
    clock = record_first_response(complaint("2026-03-02 10:00"), sh("2026-03-02 13:00"))

    assert breaches(clock, sh("2026-03-02 13:00")) == ["first_response"]


def test_a_complaint_open_after_48_hours_breaches_both_targets():
    clock = complaint("2026-03-02 10:00")

    assert breaches(clock, sh("2026-03-04 10:01")) == ["first_response", "resolution"]


def test_a_complaint_resolved_late_is_breached_even_after_it_is_resolved():
    answered = record_first_response(complaint("2026-03-02 10:00"), sh("2026-03-02 11:00"))

    clock = record_resolution(answered, sh("2026-03-04 11:00"))

    assert breaches(clock, sh("2026-03-09 00:00")) == ["resolution"]


# The JSON form


def test_a_clock_reads_back_what_it_writes():
    clock = record_first_response(
        pause(paused(standard("2026-03-02 09:00"), ("2026-03-02 10:00", "2026-03-02 11:00")), sh("2026-03-02 14:00")),
        sh("2026-03-02 14:30"),
    )

    by_version = {calendar.version: calendar for calendar in clock.calendars.values()}

    assert SlaClock.from_json(json.loads(json.dumps(clock.to_json())), lambda _, v, __: by_version[v]) == clock


def test_a_clock_written_with_its_calendars_inside_reads_back_without_a_lookup():
    clock = standard("2026-03-02 09:00")
    data = clock.to_json()
    data["calendars"] = {
        name: calendar.model_dump(mode="json", exclude_defaults=True) for name, calendar in clock.calendars.items()
    }

    assert SlaClock.from_json(json.loads(json.dumps(data))) == clock


def test_a_clock_naming_a_calendar_version_needs_a_lookup_to_read_it():
    with pytest.raises(ValueError, match="version"):
        SlaClock.from_json(standard("2026-03-02 09:00").to_json())


def test_a_calendars_version_follows_its_content():
    clock = standard("2026-05-04 10:00")
    shanghai = clock.calendars["shanghai"]

    assert BusinessCalendar.model_validate(shanghai.model_dump()).version == shanghai.version
    assert shanghai.since(date(2026, 5, 5)).version != shanghai.version, "a holiday less is another calendar"


def test_the_json_form_of_a_clock_is_plain_and_in_utc():
    clock = paused(complaint("2026-03-02 10:00"), ("2026-03-02 11:00", "2026-03-02 12:00"))

    data = clock.to_json()

    assert data == {
        "policy": "complaint",
        "priority": "P2",
        "tier": "standard",
        "category": "complaint",
        "startedAt": "2026-03-02T02:00:00.000Z",
        "firstResponse": {"within": "2h", "calendar": "shanghai"},
        "resolution": {"within": "48h", "calendar": "24x7"},
        "calendars": {"shanghai": clock.calendars["shanghai"].version, "24x7": ALWAYS_OPEN.version},
        "pauses": [["2026-03-02T03:00:00.000Z", "2026-03-02T04:00:00.000Z"]],
    }
    assert clock.calendars["shanghai"].model_dump(mode="json", exclude_defaults=True) == {
        "time_zone": "Asia/Shanghai",
        "hours": {"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY},
        "holidays": ["2026-05-01", "2026-05-04", "2026-05-05"],
    }


def test_a_clock_keeps_only_the_holidays_it_can_still_meet():
    clock = standard("2026-05-04 10:00")

    assert clock.calendars["shanghai"].holidays == [date(2026, 5, 4), date(2026, 5, 5)]


def test_a_milestone_reads_back_what_it_writes():
    milestone = milestones(complaint("2026-03-02 10:00"), LADDER)[-1]

    data = milestone.to_json()

    assert data["key"] == "resolution:100"
    assert data["at"] == "2026-03-04T02:00:00.000Z"
    assert data["steps"][-1] == {
        "at": 100,
        "milestone": "resolution",
        "action": "move_to_group",
        "group": "complaints",
        "categories": ["complaint"],
    }
    assert Milestone.from_json(json.loads(json.dumps(data))) == milestone


def test_instants_are_kept_at_the_millisecond():
    clock = start(Priority.P3, Tier.STANDARD, None, datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC), CONFIG)

    assert clock.started_at == datetime(2026, 3, 2, 1, 0, 0, 123000, tzinfo=UTC)


def test_a_moment_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        start(Priority.P3, Tier.STANDARD, None, datetime(2026, 3, 2, 10), CONFIG)


# Invariant: whatever the pauses, the business time counted outside them up to a due time is the target.

OFFSETS = st.integers(min_value=0, max_value=6 * 24 * 60)  # minutes


@settings(max_examples=60, deadline=None)
@given(
    created=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)),
    category=st.sampled_from([Category.COMPLAINT, Category.ORDER]),
    gaps_and_lengths=st.lists(st.tuples(OFFSETS, OFFSETS), max_size=3),
)
def test_the_business_time_counted_outside_pauses_up_to_a_due_time_is_the_target(created, category, gaps_and_lengths):
    clock = start(Priority.P3, Tier.STANDARD, category, created, CONFIG)
    moment = clock.started_at
    for gap, length in gaps_and_lengths:
        moment += timedelta(minutes=gap)
        clock = pause(clock, moment)
        moment += timedelta(minutes=length)
        clock = resume(clock, moment)

    for kind in MilestoneKind:
        target = clock.target(kind)
        calendar = clock.calendars[target.calendar]
        due = clock.due(kind)

        def counted(until: datetime, calendar=calendar) -> timedelta:
            paused_time = sum(
                (business_time_between(p, min(r, until), calendar) for p, r in clock.pauses if p < until),
                timedelta(0),
            )
            return business_time_between(clock.started_at, until, calendar) - paused_time

        assert counted(due) == target.within
        assert counted(due - timedelta(microseconds=1)) < target.within
