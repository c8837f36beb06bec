"""SLA configuration: durations, the built-in policies and ladder, refusals naming the key, and where it is read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from kefu import deployment
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Priority
from kefu.sla import SlaConfig, format_duration, parse_duration, sla_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("1h30m", timedelta(minutes=90)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(hours=48)),
        ("1d12h", timedelta(hours=36)),
        (" 8h ", timedelta(hours=8)),
    ],
)
def test_a_duration_is_days_hours_and_minutes(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "h", "4H", "1.5h", "-1h", "30m1h", "4 h", "0m", "0h0m", "366d"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError, match=repr(text)):
        parse_duration(text)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(timedelta(minutes=90), "1h30m"), (timedelta(hours=48), "48h"), (timedelta(minutes=45), "45m")],
)
def test_a_clock_writes_its_targets_in_hours_and_minutes(amount, expected):
    assert format_duration(amount) == expected
    assert parse_duration(expected) == amount


# The built-in policies: the first that matches wins.

BUILT_IN = SlaConfig()


@pytest.mark.parametrize(
    ("priority", "tier", "category", "policy"),
    [
        (Priority.P2, Tier.STANDARD, Category.COMPLAINT, "complaint"),
        (Priority.P4, Tier.VIP, Category.COMPLAINT, "complaint"),  # complaints come before tiers and priorities
        (Priority.P1, Tier.STANDARD, Category.COMPLAINT, "complaint-urgent"),
        (Priority.P1, Tier.VIP, Category.TECHNICAL, "p1"),
        (Priority.P3, Tier.VIP, Category.ORDER, "vip"),
        (Priority.P2, Tier.HIGH_VALUE, Category.PAYMENT, "p2"),
        (Priority.P3, Tier.STANDARD, Category.LOGISTICS, "default"),
        (Priority.P3, Tier.STANDARD, None, "default"),
        (Priority.P4, Tier.STANDARD, Category.SUGGESTION, "p4"),
    ],
)
def test_the_built_in_policies_give_each_ticket_the_first_that_matches(priority, tier, category, policy):
    assert BUILT_IN.policy_for(priority, tier, category).name == policy


def test_a_complaint_closes_within_48_wall_clock_hours_and_is_answered_within_2_business_hours():
    policy = BUILT_IN.policy_for(Priority.P2, Tier.STANDARD, Category.COMPLAINT)

    assert (policy.first_response.duration, policy.calendar_of("first_response")) == (timedelta(hours=2), "business")
    assert (policy.resolution.duration, policy.calendar_of("resolution")) == (timedelta(hours=48), "24x7")


def test_the_built_in_business_calendar_is_shanghai_on_weekdays_with_a_lunch_break():
    calendar = BUILT_IN.calendar("business")

    assert calendar.time_zone == "Asia/Shanghai"
    assert [str(shift) for shift in calendar.hours.mon] == ["09:00-12:00", "13:30-18:00"]
    assert calendar.hours.sat == calendar.hours.sun == []


def test_the_built_in_ladder_warns_at_75_and_escalates_at_100_percent():
    ladder = [
        (s.at, str(s.milestone), str(s.action), s.group, [str(c) for c in s.categories]) for s in BUILT_IN.escalation
    ]

    assert ladder == [
        (75, "first_response", "warn_owner", None, []),
        (100, "first_response", "notify_supervisor", None, []),
        (100, "first_response", "raise_level", None, []),
        (75, "resolution", "warn_owner", None, []),
        (100, "resolution", "notify_supervisor", None, []),
        (100, "resolution", "raise_level", None, []),
        (100, "resolution", "move_to_group", "complaints", ["complaint"]),
    ]


def test_the_24x7_calendar_is_always_there():
    assert BUILT_IN.calendar("24x7").always_open


def test_a_configuration_reads_back_what_it_writes():
    assert SlaConfig.model_validate(json.loads(json.dumps(BUILT_IN.model_dump(mode="json")))) == BUILT_IN


# Refusals name the key.

CATCH_ALL = {"name": "default", "first_response": "8h", "resolution": "40h"}


def errors_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        SlaConfig.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")) for e in raised.value.errors()]


def error_of(data: dict) -> tuple[str, str]:
    [error] = errors_of(data)
    return error


def test_an_unknown_key_is_refused():
    assert error_of({"polices": []}) == ("polices", "Extra inputs are not permitted")


def test_a_bad_duration_is_refused_naming_the_target():
    key, message = error_of({"policies": [{**CATCH_ALL, "resolution": "two days"}]})

    assert key == "policies.0.resolution.within"
    assert message.startswith("'two days' is not a duration")


def test_a_policy_on_an_unknown_calendar_is_refused():
    assert error_of({"policies": [{**CATCH_ALL, "calendar": "shanghai"}]}) == (
        "policies.0.calendar",
        "unknown calendar 'shanghai' (known: 24x7, business)",
    )


def test_a_target_on_an_unknown_calendar_is_refused():
    policy = {**CATCH_ALL, "resolution": {"within": "48h", "calendar": "always"}}

    assert error_of({"policies": [policy]}) == (
        "policies.0.resolution.calendar",
        "unknown calendar 'always' (known: 24x7, business)",
    )


def test_days_on_a_business_calendar_are_refused():
    key, message = error_of({"policies": [{**CATCH_ALL, "resolution": "2d"}]})

    assert key == "policies.0.resolution.within"
    assert message.startswith("'2d' on the business calendar 'business': write hours")


def test_days_on_the_24x7_calendar_are_wall_clock_days():
    config = SlaConfig.model_validate({"policies": [{**CATCH_ALL, "calendar": "24x7", "resolution": "2d"}]})

    assert config.policies[0].resolution.duration == timedelta(hours=48)


def test_a_last_policy_that_does_not_match_every_ticket_is_refused():
    policy = {**CATCH_ALL, "match": {"priorities": ["P1"]}}

    assert error_of({"policies": [policy]}) == ("policies.0.match", "the last policy must match every ticket")


def test_policy_names_must_be_unique():
    urgent = {**CATCH_ALL, "name": "urgent", "match": {"priorities": ["P1"]}}

    assert error_of({"policies": [urgent, CATCH_ALL, CATCH_ALL]}) == (
        "policies.2.name",
        "'default' is the name of an earlier policy",
    )


def test_the_24x7_name_is_kept_for_the_always_open_calendar():
    business = BUILT_IN.calendars["business"].model_dump(mode="json")
    calendars = {"business": business, "24x7": {"time_zone": "Asia/Shanghai", "hours": {"mon": ["09:00-18:00"]}}}

    assert error_of({"calendars": calendars}) == ("calendars.24x7", "this name is the always-open calendar's")


def test_a_calendar_error_names_the_calendar_and_the_day():
    calendars = {"business": {"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}}

    assert error_of({"calendars": calendars}) == (
        "calendars.business.hours.mon",
        "shifts 09:00-12:00 and 11:00-13:00 overlap",
    )


def test_every_problem_across_keys_is_reported_once_at_its_key():
    policy = {
        "name": "only",
        "match": {"priorities": ["P1"]},
        "calendar": "office",
        "first_response": "1h",
        "resolution": "2h",
    }

    assert errors_of({"policies": [policy]}) == [
        ("policies.0.calendar", "unknown calendar 'office' (known: 24x7, business)"),
        ("policies.0.match", "the last policy must match every ticket"),
    ]


def test_moving_a_ticket_needs_a_group():
    step = {"at": 100, "milestone": "resolution", "action": "move_to_group"}

    assert error_of({"escalation": [step]}) == ("escalation.0", "move_to_group needs a group")


def test_only_moving_a_ticket_takes_a_group():
    step = {"at": 100, "milestone": "resolution", "action": "warn_owner", "group": "l2"}

    assert error_of({"escalation": [step]}) == ("escalation.0", "only move_to_group takes a group, not warn_owner")


@pytest.mark.parametrize("at", [0, 1001])
def test_a_ladder_step_is_between_1_and_1000_percent(at):
    step = {"at": at, "milestone": "resolution", "action": "warn_owner"}

    assert error_of({"escalation": [step]})[0] == "escalation.0.at"


@pytest.mark.parametrize("person", ["a", "agent-7", "li.lei@example.cn", "A1:ops+esc", "w王芳", "a" + "x" * 127])
def test_a_notice_reaches_an_agent_id_or_address_of_up_to_128_characters(person):
    notices = {"head_of_service": [person], "managers": {person: person}, "supervisors": {"l1": [person]}}

    config = SlaConfig.model_validate({"notices": notices})

    assert config.notices.head_of_service == [person] and config.notices.managers == {person: person}


@pytest.mark.parametrize("person", ["", "-agent", "li lei", "a/b", "a" + "x" * 128])
def test_a_notice_to_someone_who_cannot_be_an_agent_id_or_address_is_refused(person):
    assert error_of({"notices": {"head_of_service": [person]}})[0] == "notices.head_of_service.0"


# Where the functions read it.


@pytest.fixture
def deployment_file(tmp_path, monkeypatch):
    def write(document: dict) -> None:
        path = tmp_path / "deployment.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployment.reload()

    yield write
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
    deployment.reload()


def test_the_sla_configuration_is_read_from_the_deployment_document(deployment_file):
    deployment_file({"sla": {"policies": [{**CATCH_ALL, "first_response": "3h"}]}})

    assert sla_config().policy_for(Priority.P3, Tier.STANDARD, None).first_response.within == "3h"
    assert sla_config().escalation == BUILT_IN.escalation  # what it leaves out keeps its built-in value


def test_without_an_sla_key_the_built_in_configuration_applies(deployment_file):
    deployment_file({"groups": {}})

    assert sla_config() == BUILT_IN


def test_a_new_deployment_document_is_read_after_a_reload(deployment_file):
    deployment_file({"sla": {"policies": [{**CATCH_ALL, "first_response": "3h"}]}})
    first = sla_config()
    deployment_file({"sla": {"policies": [{**CATCH_ALL, "first_response": "5h"}]}})

    assert first.policies[0].first_response.within == "3h"
    assert sla_config().policies[0].first_response.within == "5h"
    assert sla_config() is sla_config()
