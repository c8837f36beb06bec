"""Every function: JSON logs into its own log group with a retention, active tracing, arm64, Python 3.13, a
role of its own without wildcard actions; the layers built from the pinned dependencies."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.infra.template_checks import (
    function_problems,
    log_retention_problems,
    resources,
    role_problems,
)

GOOD_FUNCTION = {
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "Runtime": "python3.13",
        "Architectures": ["arm64"],
        "TracingConfig": {"Mode": "Active"},
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": "Logs"}},
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
    },
}
LOGS = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}


def test_every_function_logs_json_to_a_retained_log_group_with_tracing_on_arm64(dev):
    functions = resources(dev.service, "AWS::Lambda::Function")

    assert functions, "the service stack has functions"
    assert function_problems(dev.service) == []


def test_every_log_group_has_a_retention(dev):
    for template in dev.templates.values():
        assert log_retention_problems(template) == []


def test_every_function_has_its_own_role_without_wildcard_actions(dev):
    assert role_problems(dev.service) == []


def test_a_function_missing_each_requirement_is_reported():
    template = {
        "Resources": {
            "Plain": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12"}},
            "Good": GOOD_FUNCTION,
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        }
    }

    assert function_problems(template) == [
        "Plain: logs are not JSON",
        "Plain: no log group of its own in the template",
        "Plain: tracing is not active",
        "Plain: not arm64",
        "Plain: runtime python3.12, not python3.13",
        "Good: its log group Logs keeps logs forever",
    ]


def test_shared_roles_and_wildcard_actions_are_reported():
    template = {
        "Resources": {
            "One": GOOD_FUNCTION,
            "Two": GOOD_FUNCTION,
            "Logs": LOGS,
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::GetAtt": ["Bucket", "Arn"]}},
                            {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": "*"},
                        ]
                    },
                },
            },
        }
    }

    assert role_problems(template) == [
        "role Role is shared by ['One', 'Two']",
        "Policy: wildcard actions ['s3:*']",
        "Policy: ['dynamodb:Query'] on '*'",
    ]


def test_every_function_gets_the_table_names_stage_and_powertools_settings(dev):
    functions = list(resources(dev.service, "AWS::Lambda::Function").values())
    assert len(functions) >= 4  # the API, intake, inbound and outbound e-mail, and other capabilities'

    for function in functions:
        env = function["Properties"]["Environment"]["Variables"]
        assert set(env) >= {
            "KEFU_TABLE",
            "KEFU_IDEMPOTENCY_TABLE",
            "KEFU_STAGE",
            "KEFU_DEPLOYMENT_FILE",
            "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_NAMESPACE",
            "POWERTOOLS_LOG_LEVEL",
        }
        assert (env["KEFU_STAGE"], env["POWERTOOLS_SERVICE_NAME"], env["POWERTOOLS_METRICS_NAMESPACE"]) == (
            "dev",
            "kefu",
            "kefu",
        )


def staged_layers(dev) -> dict[str, Path]:
    """Layer description → the folder CDK staged for it in cdk.out."""
    return {
        layer["Properties"]["Description"]: dev.outdir / layer["Metadata"]["aws:asset:path"]
        for layer in resources(dev.service, "AWS::Lambda::LayerVersion").values()
    }


def test_the_dependencies_layer_holds_arm64_cpython_313_wheels_of_the_runtime_dependencies(dev):
    (archive,) = [path for text, path in staged_layers(dev).items() if text.startswith("Third-party")]
    names = zipfile.ZipFile(archive).namelist()
    packages = {name.split("/")[1] for name in names}

    assert all(name.startswith("python/") for name in names)
    assert "python/pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so" in names
    assert {"aws_lambda_powertools", "aws_xray_sdk", "pydantic", "pynamodb", "boto3", "botocore"} <= packages
    assert not [name for name in names if "__pycache__" in name]


def test_the_domain_layer_ships_the_kefu_package_and_nothing_built(dev):
    (folder,) = [path for text, path in staged_layers(dev).items() if text == "The kefu domain package"]

    assert (folder / "python" / "kefu" / "store" / "models.py").is_file()
    assert not list(folder.rglob("__pycache__")) and not list(folder.rglob("*.egg-info"))


def test_the_deployment_layer_carries_the_stages_validated_configuration(dev):
    (folder,) = [path for text, path in staged_layers(dev).items() if "deployment configuration" in text]
    document = json.loads((folder / "kefu-deployment.json").read_text())

    assert document == dev.kefu.deployment.for_functions("dev")
    assert document["groups"]["l1"]["kind"] == "general"


def test_each_function_ships_its_own_folder_only(dev):
    for function in resources(dev.service, "AWS::Lambda::Function").values():
        folder = dev.outdir / function["Metadata"]["aws:asset:path"]
        assert (folder / "handler.py").is_file()
        assert not list(folder.rglob("__pycache__"))
