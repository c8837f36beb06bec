"""Every function: JSON logs into its own log group with a retention, active tracing, arm64, Python 3.13, a
role of its own without wildcard actions; the layers built from the pinned dependencies."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from aws_lambda_powertools.shared.constants import METRICS_NAMESPACE_ENV, POWERTOOLS_LOG_LEVEL_ENV, SERVICE_NAME_ENV

from kefu.config import variable_names
from kefu_infra import layers
from kefu_infra.stacks.service import PYDANTIC_PLUGINS_ENV
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
ROOT = Path(__file__).resolve().parents[2]
LOGS = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}
# The bytecode header Lambda's Python 3.13 loads (PEP 552): its magic number, and the flags of a hash-based .pyc
# whose source is never checked.
CPYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"
UNCHECKED_HASH = 0b01


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


def test_sns_publish_on_everything_is_reported_unless_the_role_denies_every_topic():
    texts = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    no_topics = {"Effect": "Deny", "Action": "sns:Publish", "Resource": "arn:aws:sns:*:*:*"}

    def template(*statements: dict) -> dict:
        policy = {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": list(statements)}}
        return {
            "Resources": {
                "One": GOOD_FUNCTION,
                "Logs": LOGS,
                "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
                "Policy": {"Type": "AWS::IAM::Policy", "Properties": policy},
            }
        }

    assert role_problems(template(texts)) == ["Policy: ['sns:Publish'] on '*'"]
    assert role_problems(template(texts, no_topics)) == []


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
        # No pydantic plugin to look for at the first validator of a cold start
        assert env[PYDANTIC_PLUGINS_ENV] == "__all__"


def test_every_variable_a_function_is_given_is_one_its_code_reads(dev):
    # The CDK app and the runtime share the names (kefu.config; Powertools' from Powertools): a variable set here
    # under a name nothing reads would be a setting silently lost.
    read = {*variable_names(), SERVICE_NAME_ENV, METRICS_NAMESPACE_ENV, POWERTOOLS_LOG_LEVEL_ENV, PYDANTIC_PLUGINS_ENV}

    for function_id, function in resources(dev.service, "AWS::Lambda::Function").items():
        given = set(function["Properties"]["Environment"]["Variables"])
        assert given - read == set(), function_id


def staged_layers(dev) -> dict[str, Path]:
    """Layer description → the folder CDK staged for it in cdk.out."""
    return {
        layer["Properties"]["Description"]: dev.outdir / layer["Metadata"]["aws:asset:path"]
        for layer in resources(dev.service, "AWS::Lambda::LayerVersion").values()
    }


def shipped_bytecode_problems(files: dict[str, bytes]) -> list[str]:
    """What is wrong with the bytecode among `files` (path → content), for the interpreter found on this machine:
    with a CPython 3.13, each module has exactly its 3.13 `unchecked-hash` .pyc and nothing else is cached; with
    none, no bytecode at all."""
    compiler = layers.bytecode_compiler()
    cached = {name for name in files if "__pycache__/" in name or name.endswith(".pyc")}
    if compiler is None:
        return [f"bytecode shipped although none could be made for 3.13: {name}" for name in sorted(cached)]
    expected = {
        f"{name.rpartition('/')[0]}/__pycache__/{name.rpartition('/')[2][:-3]}.cpython-313.pyc".lstrip("/")
        for name in files
        if name.endswith(".py")
    }
    problems = [f"no bytecode for {name}" for name in sorted(expected - cached)]
    problems += [f"bytecode of another interpreter or module: {name}" for name in sorted(cached - expected)]
    for name in sorted(cached & expected):
        header = files[name][:16]
        if header[:4] != CPYTHON_313_MAGIC:
            problems.append(f"{name} is not CPython 3.13 bytecode")
        if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            problems.append(f"{name} is not unchecked-hash bytecode")
    return problems


def folder_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_the_dependencies_layer_holds_arm64_cpython_313_wheels_of_the_runtime_dependencies(dev):
    (archive,) = [path for text, path in staged_layers(dev).items() if text.startswith("Third-party")]
    with zipfile.ZipFile(archive) as zipped:
        files = {name: zipped.read(name) for name in zipped.namelist() if not name.endswith("/")}
    packages = {name.split("/")[1] for name in files}

    assert all(name.startswith("python/") for name in files)
    assert "python/pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so" in files
    assert {"aws_lambda_powertools", "aws_xray_sdk", "pydantic", "pynamodb", "boto3", "botocore"} <= packages
    assert shipped_bytecode_problems(files) == []


def test_the_domain_layer_ships_the_kefu_package_and_its_bytecode_and_nothing_built_here(dev):
    (folder,) = [path for text, path in staged_layers(dev).items() if text == "The kefu domain package"]
    files = folder_files(folder)

    assert (folder / "python" / "kefu" / "store" / "models.py").is_file()
    assert not [name for name in files if ".egg-info" in name]
    assert shipped_bytecode_problems(files) == []


def test_the_deployment_layer_carries_the_stages_validated_configuration(dev):
    (folder,) = [path for text, path in staged_layers(dev).items() if "deployment configuration" in text]
    text = (folder / "kefu-deployment.json").read_bytes()
    document = json.loads(text)

    assert document == dev.kefu.deployment.for_functions("dev")
    assert document["groups"]["l1"]["kind"] == "general"
    # Beside it, what the domain code's configuration readers make of it (tests/infra/test_prepared_configuration.py).
    assert (folder / "kefu-deployment.pickle").read_bytes() == layers.prepared_configuration(text)


def test_each_function_ships_its_own_folder_only_with_its_bytecode(dev):
    # A function's folder is its handler and the modules beside it (the API's routes of a capability), nothing else.
    modules = {path.name for path in (ROOT / "functions").glob("*/*.py")}
    for function in resources(dev.service, "AWS::Lambda::Function").values():
        folder = dev.outdir / function["Metadata"]["aws:asset:path"]
        files = folder_files(folder)
        sources = {name for name in files if "__pycache__/" not in name}
        assert "handler.py" in sources and sources <= modules, sources
        assert shipped_bytecode_problems(files) == []
