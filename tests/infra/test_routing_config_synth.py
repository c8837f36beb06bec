"""Routing rules live in the deployment configuration an operator edits: each stage's file holds them explicitly,
the synth validates them (naming a bad key) and delivers them to the functions, and an edited rule changes routing."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml

from kefu import deployment as deployed
from kefu.routing import Contact, RoutingConfig, route, routing_config
from kefu_infra import application, config
from kefu_infra.config import ConfigError
from kefu_infra.paths import CONFIG
from tests.infra.template_checks import resources

STAGES = ("dev", "prod")
DOUBLE_CHARGE = Contact(subject="Charged three times", body="My card was charged three times for order 1042.")


def settings_of(stage: str) -> dict:
    return yaml.safe_load((CONFIG / f"{stage}.yaml").read_text(encoding="utf-8"))


def errors_of(settings: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        config.parse(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), "dev.yaml")
    return str(raised.value)


@pytest.fixture
def delivered(tmp_path, monkeypatch):
    """Deliver a deployment to the domain as `cdk deploy` does: its document at KEFU_DEPLOYMENT_FILE."""

    def deliver(deployment: config.Deployment) -> None:
        path = tmp_path / "kefu-deployment.json"
        path.write_text(json.dumps(deployment.for_functions("dev"), ensure_ascii=False), encoding="utf-8")
        monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployed.reload()

    yield deliver
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE", raising=False)
    deployed.reload()


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_file_spells_out_the_routing_rules_an_operator_edits(stage):
    routing = settings_of(stage)["routing"]

    assert {"categories", "emotion", "rules", "raises"} <= set(routing)
    assert [rule["name"] for rule in routing["rules"]] == [rule.name for rule in RoutingConfig().rules]
    # Written out as they are built in: deploying the file changes nothing until an operator edits it.
    assert RoutingConfig.model_validate(routing) == RoutingConfig()


def test_the_functions_are_given_the_routing_with_the_stages_default_group():
    document = config.load("prod").for_functions("prod")

    assert document["routing"]["default_group"] == document["default_group"]
    assert RoutingConfig.model_validate(document["routing"]).rules == config.load("prod").routing.rules


def test_the_synthesized_deployment_layer_carries_the_routing_rules(dev):
    [layer] = [
        layer
        for layer in resources(dev.service, "AWS::Lambda::LayerVersion").values()
        if "deployment configuration" in layer["Properties"].get("Description", "")
    ]
    folder = Path(dev.outdir) / layer["Metadata"]["aws:asset:path"]

    document = json.loads((folder / "kefu-deployment.json").read_text(encoding="utf-8"))

    assert [rule["name"] for rule in document["routing"]["rules"]] == [
        r["name"] for r in settings_of("dev")["routing"]["rules"]
    ]


def test_a_keyword_added_to_a_rule_routes_such_contacts_to_its_group(delivered):
    settings = settings_of("dev")
    delivered(config.parse(yaml.safe_dump(settings, allow_unicode=True), "dev.yaml"))
    assert route(DOUBLE_CHARGE, routing_config()).group == "l1"
    [disputes] = [rule for rule in settings["routing"]["rules"] if rule["name"] == "payment-disputes"]
    disputes["match"]["keywords"].append("charged three times")

    delivered(config.parse(yaml.safe_dump(settings, allow_unicode=True), "dev.yaml"))

    decision = route(DOUBLE_CHARGE, routing_config())
    assert (decision.group, decision.rule) == ("finance", "payment-disputes")


def test_a_rule_sending_to_a_group_that_does_not_exist_is_refused_naming_its_key():
    settings = settings_of("dev")
    settings["routing"]["rules"][4]["group"] = "treasury"

    groups = ", ".join(settings["groups"])
    assert errors_of(settings) == f"dev.yaml: routing.rules.4.group: 'treasury' is not one of groups: {groups}"


def test_an_unknown_key_in_a_rule_is_refused_naming_it():
    settings = settings_of("dev")
    settings["routing"]["rules"][0]["match"]["thret"] = True

    assert errors_of(settings) == "dev.yaml: routing.rules.0.match.thret: unknown key"


def test_a_priority_that_does_not_exist_is_named():
    settings = settings_of("dev")
    settings["routing"]["rules"][1]["priority"] = "P0"

    assert errors_of(settings).startswith("dev.yaml: routing.rules.1.priority: ")


def test_a_default_group_inside_routing_is_refused_for_the_top_level_one():
    settings = settings_of("dev")
    settings["routing"]["default_group"] = "l2"

    assert errors_of(settings) == (
        "dev.yaml: routing.default_group: the default group is the top-level default_group; set it there"
    )


def test_a_bad_rule_stops_the_synth_naming_the_key(tmp_path, monkeypatch):
    settings = settings_of("dev")
    settings["routing"]["rules"][5]["group"] = "warehouse"
    (tmp_path / "qa.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "load", functools.partial(config.load, folder=tmp_path))

    with pytest.raises(ConfigError, match=r"qa\.yaml: routing\.rules\.5\.group: 'warehouse' is not one of groups"):
        application.build(outdir=tmp_path / "cdk.out", context={"stage": "qa"})
