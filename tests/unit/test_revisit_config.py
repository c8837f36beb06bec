"""The `campaigns` and `surveys` sections: what a campaign may say, and what the functions read by default."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from kefu import deployment
from kefu.model.customers import Tier
from kefu.revisits.config import Campaign, Method, RevisitsConfig, SurveySettings, check_cron, revisits_config


def phone_campaign(**changes: Any) -> dict[str, Any]:
    return {
        "id": "weekly-complaint-revisit",
        "schedule": {"cron": "0 10 ? * MON *", "timezone": "Asia/Shanghai"},
        "select": {"complaint": True, "resolved_days_ago": {"min": 3, "max": 10}},
        "method": "phone_revisit",
        "group": "complaints",
        **changes,
    }


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        Campaign.model_validate(data)
    return str(raised.value)


@pytest.fixture
def deployed(tmp_path, monkeypatch):
    """Deliver a deployment document to the functions, as the deployment layer does."""

    def deliver(document: dict[str, Any]) -> None:
        path = tmp_path / "kefu-deployment.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployment.reload()

    yield deliver
    deployment.reload()


# --- a campaign ------------------------------------------------------------------------------------------------


def test_a_phone_campaign_reads_with_its_defaults():
    campaign = Campaign.model_validate(phone_campaign())
    assert campaign.method is Method.PHONE_REVISIT and campaign.enabled
    assert campaign.schedule.expression == "cron(0 10 ? * MON *)"
    assert campaign.survey_expiry == timedelta(days=14)
    assert [campaign.cycle_days.of(tier).days for tier in (Tier.VIP, Tier.HIGH_VALUE, Tier.STANDARD)] == [30, 60, 90]
    assert campaign.quiet_hours is None


def test_a_phone_campaign_without_a_group_is_refused():
    data = phone_campaign()
    del data["group"]
    assert "give the agents' group" in refusal(data)


def test_an_email_campaign_with_a_group_is_refused():
    assert "group is for phone_revisit campaigns" in refusal(phone_campaign(method="email_survey"))


def test_complaints_only_while_leaving_out_the_complaint_category_is_refused():
    select = {"complaint": True, "categories": ["order"], "resolved_days_ago": {"min": 1, "max": 2}}
    assert "nothing could be selected" in refusal(phone_campaign(select=select))


def test_days_ago_running_backwards_are_refused():
    assert "min (9) is more than max (3)" in refusal(phone_campaign(select={"resolved_days_ago": {"min": 9, "max": 3}}))


@pytest.mark.parametrize("days", [0, 3651], ids=["zero", "over ten years"])
def test_a_cycle_outside_one_day_to_ten_years_is_refused(days):
    assert "cycle_days.vip" in refusal(phone_campaign(cycle_days={"vip": days})).replace("\n", ".")


def test_an_unknown_key_is_refused_rather_than_ignored():
    assert "Extra inputs are not permitted" in refusal(phone_campaign(cylce_days={"vip": 30}))


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_a_time_zone_that_is_not_iana_is_refused(zone):
    assert "schedule.timezone" in refusal(
        phone_campaign(schedule={"cron": "0 10 ? * MON *", "timezone": zone})
    ).replace("\n", ".")


@pytest.mark.parametrize(
    "quiet",
    [
        {"start": "21:00", "end": "21:00", "timezone": "UTC"},
        {"start": "25:00", "end": "09:00", "timezone": "UTC"},
        {"start": "9:00", "end": "18:00", "timezone": "UTC"},
        {"start": "21:00", "end": "09:00"},
    ],
    ids=["empty", "hour 25", "no leading zero", "no time zone"],
)
def test_quiet_hours_that_mean_nothing_are_refused(quiet):
    assert "quiet_hours" in refusal(phone_campaign(quiet_hours=quiet))


@pytest.mark.parametrize("expires", [0, 91])
def test_a_survey_link_lives_one_to_ninety_days(expires):
    assert "survey_expires_days" in refusal(phone_campaign(survey_expires_days=expires))


# --- cron --------------------------------------------------------------------------------------------------------

VALID_CRONS = [
    "0 10 ? * MON *",
    "0 11 * * ? *",
    "0/15 9-17 ? * MON-FRI *",
    "0 8 L * ? *",
    "0 8 15W * ? 2027",
    "30 6 ? * 6#3 *",
    "0 12 ? JAN,JUL 2L *",
    "0 0 1 */3 ? *",
    "5,35 14 ? * sun 2026-2030",
]
INVALID_CRONS = [
    ("0 10 * * MON", "has 5 fields"),
    ("cron(0 10 * * ? *)", "without cron(...): '0 10 * * ? *'"),
    ("0 10 * * MON *", "exactly one of day-of-month and day-of-week"),
    ("0 10 ? * ? *", "exactly one of day-of-month and day-of-week"),
    ("60 10 * * ? *", "minutes: 60 is outside 0-59"),
    ("0 24 * * ? *", "hours: 24 is outside 0-23"),
    ("0 10 32 * ? *", "day-of-month: 32 is outside 1-31"),
    ("0 10 * 13 ? *", "month: 13 is outside 1-12"),
    ("0 10 ? * FUNDAY *", "day-of-week: 'FUNDAY' is not a number or a name"),
    ("0 10 * * ? 1969", "year: 1969 is outside 1970-2199"),
    ("0 10 ? * MON#6 *", "day-of-week"),
    ("0 17-9 * * ? *", "hours: the range '17-9' runs backwards"),
    ("*/0 10 * * ? *", "minutes: the step in '*/0' must be at least 1"),
    ("0 ? * * ? *", "'?' is only for day-of-month or day-of-week"),
    ("0 1-2-3 * * ? *", "hours"),
    ("０ 10 * * ? *", "minutes"),
]


@pytest.mark.parametrize("cron", VALID_CRONS)
def test_an_eventbridge_cron_expression_is_accepted(cron):
    assert check_cron(cron) == cron


@pytest.mark.parametrize(("cron", "problem"), INVALID_CRONS, ids=[c for c, _ in INVALID_CRONS])
def test_a_cron_expression_eventbridge_would_refuse_is_refused_saying_why(cron, problem):
    with pytest.raises(ValueError) as raised:
        check_cron(cron)
    assert problem in str(raised.value)


# --- surveys ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "csat", "nps", "low"),
    [
        ({}, 2, None, True),
        ({}, 3, None, False),
        ({}, 3, 6, True),
        ({}, 3, 7, False),
        ({}, 5, 0, True),
        ({}, 1, 10, True),
        ({"low_csat": 3}, 3, None, True),
        ({"low_nps": 4}, 4, 5, False),
    ],
)
def test_a_low_score_is_csat_or_nps_at_or_below_its_threshold(settings, csat, nps, low):
    assert SurveySettings.model_validate(settings).is_low(csat, nps) is low


def test_campaign_ids_must_be_unique():
    with pytest.raises(ValidationError, match="weekly-complaint-revisit given more than once"):
        RevisitsConfig.model_validate({"campaigns": [phone_campaign(), phone_campaign()]})


def test_a_campaign_is_found_by_id_and_an_unknown_one_is_named():
    config = RevisitsConfig.model_validate({"campaigns": [phone_campaign()]})
    assert config.campaign("weekly-complaint-revisit").group == "complaints"
    with pytest.raises(KeyError, match="no-such"):
        config.campaign("no-such")


# --- what the functions read ----------------------------------------------------------------------------------


def test_without_a_deployment_document_there_are_no_campaigns_and_the_default_thresholds(deployed, monkeypatch):
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE", raising=False)
    deployment.reload()
    config = revisits_config()
    assert config.campaigns == []
    assert (config.surveys.low_csat, config.surveys.low_nps) == (2, 6)
    assert (config.surveys.vip_group, config.surveys.complaints_group) == ("vip", "complaints")


def test_the_functions_read_the_delivered_campaigns_and_thresholds(deployed):
    deployed({"campaigns": [phone_campaign()], "surveys": {"low_csat": 1, "vip_group": "vip-desk"}})
    config = revisits_config()
    assert [campaign.id for campaign in config.campaigns] == ["weekly-complaint-revisit"]
    assert (config.surveys.low_csat, config.surveys.low_nps, config.surveys.vip_group) == (1, 6, "vip-desk")


def test_a_new_deployment_document_is_read_again(deployed):
    deployed({"surveys": {"low_csat": 1}})
    assert revisits_config().surveys.low_csat == 1
    deployed({"surveys": {"low_csat": 3}})
    assert revisits_config().surveys.low_csat == 3
