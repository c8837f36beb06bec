"""The QA section of the deployment configuration (rubric, script, checks, sampling) is validated at synth with the
runtime's own models (kefu.qa.config): a bad rubric fails naming its key, and the functions get what synthesized."""

from __future__ import annotations

import pytest
import yaml

from kefu.qa.config import QaSettings
from kefu.qa.rubric import ScoreProblem, total
from kefu_infra import config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG


def dev_settings() -> dict:
    return yaml.safe_load((CONFIG / "dev.yaml").read_text())


def errors_of(settings: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), "dev.yaml")
    return str(raised.value)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_stage_has_a_rubric_with_fatal_items_and_a_script_in_three_languages(stage):
    qa = config.load(stage).qa

    assert {item.id for item in qa.rubric.items if item.fatal} == {"identity_check", "accuracy"}
    assert set(qa.script) == {"zh-Hans", "zh-Hant", "en"}


def test_the_functions_get_the_rubric_that_synthesized():
    deployment = config.load("dev")

    delivered = QaSettings.model_validate(deployment.for_functions("dev")["qa"])

    assert delivered == deployment.qa


def test_an_item_given_twice_is_named():
    settings = dev_settings()
    settings["qa"]["rubric"]["items"].append(dict(settings["qa"]["rubric"]["items"][0]))

    assert errors_of(settings) == "dev.yaml: qa.rubric: item 'greeting' is given twice"


def test_a_weight_out_of_range_is_named():
    settings = dev_settings()
    settings["qa"]["rubric"]["items"][1]["weight"] = 0

    assert errors_of(settings).startswith("dev.yaml: qa.rubric.items.1.weight: ")


def test_a_pass_mark_over_100_is_named():
    settings = dev_settings()
    settings["qa"]["rubric"]["pass_mark"] = 120

    assert errors_of(settings).startswith("dev.yaml: qa.rubric.pass_mark: ")


def test_an_unknown_script_language_is_named():
    settings = dev_settings()
    settings["qa"]["script"]["fr"] = {"greetings": ["bonjour"]}

    assert errors_of(settings).startswith("dev.yaml: qa.script.fr")


def test_a_bad_target_duration_is_named():
    settings = dev_settings()
    settings["qa"]["checks"]["reply_gap"] = "soon"

    assert "qa.checks.reply_gap" in errors_of(settings)


def test_a_sampling_maximum_below_the_minimum_is_named():
    settings = dev_settings()
    settings["qa"]["sampling"]["max_per_agent"] = 2

    assert errors_of(settings) == "dev.yaml: qa.sampling: max_per_agent (2) is below per_agent (5)"


def test_a_bad_sampling_cron_is_named():
    settings = dev_settings()
    settings["qa"]["sampling"]["schedule"]["cron"] = "every month"

    assert errors_of(settings).startswith("dev.yaml: qa.sampling.schedule.cron: ")


def test_the_total_is_the_weighted_mean_and_a_failed_fatal_item_zeroes_it():
    rubric = config.load("dev").qa.rubric
    full = {item.id: item.max for item in rubric.items}

    assert total(rubric, full) == (100.0, True, [])
    # greeting (weight 10 of 100) at 0 of 5: 90, still a pass at 80
    assert total(rubric, {**full, "greeting": 0}) == (90.0, True, [])
    # empathy 2/5 (10) and resolution 1/5 (20): 100 - 6 - 16 = 78, a fail
    assert total(rubric, {**full, "empathy": 2, "resolution": 1}) == (78.0, False, [])
    assert total(rubric, {**full, "accuracy": 0}) == (0.0, False, ["accuracy"])


def test_scores_outside_the_rubric_say_which_item_and_why():
    rubric = config.load("dev").qa.rubric
    full = {item.id: item.max for item in rubric.items}

    with pytest.raises(ScoreProblem) as raised:
        total(rubric, {**full, "greeting": 6, "speed": 3})
    assert str(raised.value) == "'speed' is not an item of rubric 2026.1; 'greeting' scores 0..5, got 6"
    with pytest.raises(ScoreProblem, match="'closing' is not scored"):
        total(rubric, {k: v for k, v in full.items() if k != "closing"})
