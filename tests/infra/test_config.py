"""Deployment configuration: each stage's file validates; a bad file fails with a message naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kefu_infra import config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG

STAGES = sorted(path.stem for path in CONFIG.glob("*.yaml"))


def dev_settings() -> dict:
    return yaml.safe_load((CONFIG / "dev.yaml").read_text())


def errors_of(settings: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, sort_keys=False), "dev.yaml")
    return str(raised.value)


def test_there_is_a_dev_and_a_prod_stage():
    assert {"dev", "prod"} <= set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_file_is_valid(stage):
    deployment = config.load(stage)

    assert deployment.default_group in deployment.groups


def test_an_unknown_key_is_named():
    settings = dev_settings()
    settings["mail"]["recipent"] = ["typo@dev.kefu.example.com"]

    assert errors_of(settings) == "dev.yaml: mail.recipent: unknown key"


def test_a_missing_key_is_named():
    settings = dev_settings()
    del settings["alarms"]

    assert errors_of(settings) == "dev.yaml: alarms: required key is missing"


def test_a_value_of_the_wrong_type_is_named():
    settings = dev_settings()
    settings["api"]["throttle"]["rate"] = "fast"

    assert errors_of(settings).startswith("dev.yaml: api.throttle.rate: ")


def test_a_recipient_outside_the_mail_domain_is_named():
    settings = dev_settings()
    settings["mail"]["recipients"].append("help@elsewhere.example.org")

    assert errors_of(settings) == (
        "dev.yaml: mail.recipients: not addresses of the mail domain dev.kefu.example.com: help@elsewhere.example.org"
    )


def test_a_complaints_address_that_is_not_a_recipient_is_named():
    settings = dev_settings()
    settings["mail"]["complaints"] = "grievances@dev.kefu.example.com"

    assert errors_of(settings) == (
        "dev.yaml: mail.complaints: not one of mail.recipients: grievances@dev.kefu.example.com"
    )


def test_a_group_the_domain_would_refuse_is_named():
    settings = dev_settings()
    settings["groups"]["l2"]["kind"] = "wizards"

    assert errors_of(settings).startswith("dev.yaml: groups.l2.kind: ")


def test_a_default_group_that_does_not_exist_is_refused():
    settings = dev_settings()
    settings["default_group"] = "l9"

    groups = ", ".join(settings["groups"])
    assert errors_of(settings) == f"dev.yaml: default_group: 'l9' is not one of groups: {groups}"


def test_every_problem_is_reported_at_once():
    settings = dev_settings()
    settings["logs"]["retention_days"] = 42
    settings["alarms"]["email"] = "not-an-address"

    lines = errors_of(settings).splitlines()

    assert [line.split(":")[1].strip() for line in lines] == ["logs.retention_days", "alarms.email"]


def test_a_key_given_twice_is_refused():
    text = (CONFIG / "dev.yaml").read_text() + "\ndefault_group: l2\n"

    with pytest.raises(ConfigError, match="key 'default_group' is given twice"):
        config.parse(text, "dev.yaml")


def test_an_unknown_stage_names_the_file_it_looked_for(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"stage 'qa'.*qa\.yaml is missing"):
        config.load("qa", folder=tmp_path)


def test_the_functions_are_told_the_stage_mail_groups_and_default_group():
    document = config.load("prod").for_functions("prod")

    assert set(document) == {
        "stage",
        "mail",
        "groups",
        "default_group",
        "channels",
        "sla",
        "campaigns",
        "surveys",
        "kpis",
        "knowledge",
        "access",
        "routing",
    }
    assert document["groups"]["complaints"]["kind"] == "complaints"


def test_prod_agents_reach_their_groups_tickets_and_dev_agents_every_ticket():
    assert config.load("prod").for_functions("prod")["access"] == {"agents": "groups"}
    assert config.load("dev").for_functions("dev")["access"] == {"agents": "all"}


def test_without_an_access_section_agents_reach_every_ticket():
    settings = dev_settings()
    del settings["access"]

    deployment = config.parse(yaml.safe_dump(settings, sort_keys=False), "dev.yaml")

    assert deployment.for_functions("dev")["access"] == {"agents": "all"}


def test_an_access_scope_kefu_does_not_know_is_named():
    settings = dev_settings()
    settings["access"] = {"agents": "team"}

    assert errors_of(settings) == "dev.yaml: access.agents: Input should be 'all' or 'groups'"


def test_an_unknown_access_key_is_named():
    settings = dev_settings()
    settings["access"]["supervisors"] = "groups"

    assert errors_of(settings) == "dev.yaml: access.supervisors: unknown key"


def test_the_functions_are_told_which_categories_are_offered_self_service():
    assert config.load("dev").for_functions("dev")["knowledge"] == {
        "self_service_categories": ["logistics", "order", "after_sales", "payment"]
    }
    settings = dev_settings()
    del settings["knowledge"]
    deployment = config.parse(yaml.safe_dump(settings, sort_keys=False), "dev.yaml")
    assert deployment.for_functions("dev")["knowledge"] == {"self_service_categories": []}


@pytest.mark.parametrize(
    ("knowledge", "named"),
    [
        ({"self_service_categories": ["parcels"]}, "dev.yaml: knowledge.self_service_categories.0: Input should be"),
        (
            {"self_service_categories": ["logistics", "complaint"]},
            "dev.yaml: knowledge.self_service_categories: complaints are answered by a person",
        ),
        (
            {"self_service_categories": ["order", "order"]},
            "dev.yaml: knowledge.self_service_categories: given more than once: order",
        ),
        ({"self_service_categories": "logistics"}, "dev.yaml: knowledge.self_service_categories: Input should be"),
        ({"selfServiceCategories": ["logistics"]}, "dev.yaml: knowledge.selfServiceCategories: unknown key"),
    ],
)
def test_a_bad_self_service_setting_is_named(knowledge, named):
    settings = dev_settings()
    settings["knowledge"] = knowledge

    assert errors_of(settings).startswith(named)
