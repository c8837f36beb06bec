"""cdk-nag (AwsSolutions, Serverless) finds nothing unacknowledged, every acknowledgement says why, and
cfn-lint finds nothing in any template."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from cfnlint.api import ManualArgs, lint

from kefu_infra import application
from kefu_infra.checks import add_rule_packs

# CDK makes a function depend on its role both by reference and by DependsOn (to order its default policy
# before the function); cfn-lint reports the redundant DependsOn (W3005). Nothing else is ignored.
CFN_LINT_IGNORED = ["W3005"]
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def unacknowledged_findings(app: App) -> list[str]:
    findings = []
    for pack in (AwsSolutionsChecks(), ServerlessChecks()):
        for violation in pack.validate_scope(app).violations:
            paths = ", ".join(r.construct_path or "?" for r in violation.violating_resources)
            findings.append(f"{violation.rule_name} ({violation.severity}) at {paths}")
    return findings


def cfn_lint(template: dict, region: str) -> list[str]:
    config = ManualArgs(regions=[region], ignore_checks=CFN_LINT_IGNORED)
    return [
        f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path))}" for m in lint(json.dumps(template), config=config)
    ]


def test_cdk_nag_finds_nothing_unacknowledged(dev):
    assert unacknowledged_findings(dev.kefu.app) == []


def test_cfn_lint_finds_nothing_in_any_template(dev):
    for name, template in dev.templates.items():
        assert cfn_lint(template, dev.kefu.deployment.region) == [], name


def test_the_prod_stage_is_as_clean_as_dev(synthesized_stage):
    # One test, so only one xdist worker pays for synthesizing prod.
    prod = synthesized_stage("prod")

    assert unacknowledged_findings(prod.kefu.app) == []
    for name, template in prod.templates.items():
        assert cfn_lint(template, prod.kefu.deployment.region) == [], name


def acknowledgements(app: App) -> list[tuple[object, str, str]]:
    found = []
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED:
                found += [(construct, rule, reason) for rule, reason in entry.data.items()]
    return found


def test_every_acknowledgement_is_on_a_resource_and_says_why(dev):
    found = acknowledgements(dev.kefu.app)

    assert found, "the app acknowledges findings: they should be visible here"
    for construct, rule, reason in found:
        where = f"{rule} at {construct.node.path}"
        assert not Stack.is_stack(construct) and construct is not dev.kefu.app, f"{where}: name the resource"
        assert len(reason) >= 80, f"{where}: say specifically why ({reason!r})"


def test_an_unacknowledged_finding_stops_the_synth(tmp_path):
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Tiny"), "WithoutDeadLetterQueue")
    add_rule_packs(app)

    with pytest.raises(RuntimeError, match="AwsSolutions-SQS3"):
        app.synth()


def test_the_app_runs_the_rule_packs_on_every_synth(monkeypatch, tmp_path):
    registered = []
    monkeypatch.setattr(application, "add_rule_packs", registered.append)

    kefu = application.build(outdir=tmp_path)

    assert registered == [kefu.app]


def test_cfn_lint_reports_a_broken_template():
    template = {
        "Resources": {
            "Broken": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python9.9", "Handler": "h.h", "Role": "arn", "Code": {"ZipFile": "x"}},
            }
        }
    }

    assert any(line.startswith("E") for line in cfn_lint(template, "eu-west-1"))
