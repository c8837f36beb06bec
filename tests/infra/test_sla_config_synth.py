"""The `sla` section of a stage's file: validated at synth with the key named, delivered to the functions as read."""

from __future__ import annotations

import pytest
import yaml

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Priority
from kefu.sla import SlaConfig
from kefu_infra import config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG

STAGES = sorted(path.stem for path in CONFIG.glob("*.yaml"))


def dev_settings() -> dict:
    return yaml.safe_load((CONFIG / "dev.yaml").read_text())


def errors_of(settings: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), "dev.yaml")
    return str(raised.value)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_runs_complaints_on_the_48_hour_closed_loop(stage):
    sla = config.load(stage).sla

    policy = sla.policy_for(Priority.P2, Tier.STANDARD, Category.COMPLAINT)
    assert (policy.resolution.within, policy.calendar_of("resolution")) == ("48h", "24x7")


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_works_shanghai_hours_with_its_holidays_and_make_up_days(stage):
    business = config.load(stage).sla.calendar("business")

    assert business.time_zone == "Asia/Shanghai"
    assert [str(shift) for shift in business.hours.fri] == ["09:00-12:00", "13:30-18:00"]
    assert {"2026-02-17", "2026-10-01", "2027-02-06"} <= {day.isoformat() for day in business.holidays}
    assert [str(shift) for shift in business.shifts_on(yaml.safe_load("2026-02-14"))] == ["09:00-12:00", "13:30-18:00"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_are_told_the_sla_configuration_the_synth_validated(stage):
    deployment = config.load(stage)

    told = deployment.for_functions(stage)["sla"]

    assert SlaConfig.model_validate(told) == deployment.sla


def test_a_stage_without_an_sla_section_gets_the_built_in_one():
    settings = dev_settings()
    del settings["sla"]

    assert config.parse(yaml.safe_dump(settings), "dev.yaml").sla == SlaConfig()


def test_an_unknown_sla_key_is_named():
    settings = dev_settings()
    settings["sla"]["polices"] = settings["sla"].pop("policies")

    assert errors_of(settings) == "dev.yaml: sla.polices: unknown key"


def test_a_bad_duration_is_named():
    settings = dev_settings()
    settings["sla"]["policies"][1]["first_response"] = "2 hours"

    assert errors_of(settings).startswith("dev.yaml: sla.policies.1.first_response.within: '2 hours' is not a duration")


def test_overlapping_shifts_are_named():
    settings = dev_settings()
    settings["sla"]["calendars"]["business"]["hours"]["wed"] = ["09:00-12:00", "11:30-18:00"]

    assert errors_of(settings) == (
        "dev.yaml: sla.calendars.business.hours.wed: shifts 09:00-12:00 and 11:30-18:00 overlap"
    )


def test_a_calendar_without_working_hours_is_named():
    settings = dev_settings()
    settings["sla"]["calendars"]["business"]["hours"] = {}

    assert errors_of(settings).startswith("dev.yaml: sla.calendars.business: no working hours")


def test_an_unknown_time_zone_is_named():
    settings = dev_settings()
    settings["sla"]["calendars"]["business"]["time_zone"] = "China/Shanghai"

    assert errors_of(settings).startswith("dev.yaml: sla.calendars.business.time_zone: 'China/Shanghai' is not")


def test_an_unknown_calendar_is_named():
    settings = dev_settings()
    settings["sla"]["policies"][3]["calendar"] = "shanghai"

    assert (
        errors_of(settings) == "dev.yaml: sla.policies.3.calendar: unknown calendar 'shanghai' (known: 24x7, business)"
    )


def test_a_ladder_group_that_does_not_exist_is_named():
    settings = dev_settings()
    ladder = settings["sla"]["escalation"]
    moving = next(index for index, step in enumerate(ladder) if step["action"] == "move_to_group")
    ladder[moving]["group"] = "complaint-managers"

    groups = ", ".join(settings["groups"])
    assert errors_of(settings) == (
        f"dev.yaml: sla.escalation.{moving}.group: 'complaint-managers' is not one of groups: {groups}"
    )


def test_a_notice_group_that_does_not_exist_is_named():
    settings = dev_settings()
    settings["sla"]["notices"]["supervisors"]["night-shift"] = ["sup-wang"]

    groups = ", ".join(settings["groups"])
    assert errors_of(settings) == (
        f"dev.yaml: sla.notices.supervisors.night-shift: 'night-shift' is not one of groups: {groups}"
    )


def test_a_step_notifying_the_head_of_service_needs_one():
    settings = dev_settings()
    settings["sla"]["notices"]["head_of_service"] = []

    head = next(i for i, step in enumerate(settings["sla"]["escalation"]) if step["action"] == "notify_head")
    assert errors_of(settings) == f"dev.yaml: sla.escalation.{head}.action: notify_head needs notices.head_of_service"
