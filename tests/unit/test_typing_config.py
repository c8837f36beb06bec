"""mypy follows only the aws_cdk modules listed in pyproject.toml (the rest of aws_cdk is read as untyped, to keep
the type check short): every aws_cdk module kefu imports is in that list, so none of kefu's CDK code goes unchecked."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("layers", "functions", "infra")


def aws_cdk_modules_imported() -> set[str]:
    found: set[str] = set()
    for root in CHECKED:
        for path in (ROOT / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "aws_cdk"}
                elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aws_cdk":
                    found.add(node.module)
                    # `from aws_cdk import aws_s3 as s3` imports a module; `from aws_cdk import Stack` does not.
                    found |= {f"aws_cdk.{alias.name}" for alias in node.names if alias.name.startswith("aws_")}
    return found


def overrides() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["overrides"]


def followed() -> set[str]:
    return {
        module
        for override in overrides()
        if override.get("follow_imports") == "normal"
        for module in override["module"]
        if module.split(".")[0] == "aws_cdk"
    }


def test_mypy_follows_every_aws_cdk_module_kefu_imports():
    imported = aws_cdk_modules_imported()

    assert {"aws_cdk", "aws_cdk.aws_lambda", "aws_cdk.aws_dynamodb"} <= imported, "the walk finds kefu's CDK imports"
    assert imported - followed() == set(), "add these to the aws_cdk list in [tool.mypy] overrides (pyproject.toml)"


def test_the_rest_of_aws_cdk_is_skipped_not_followed():
    assert any(o["module"] == ["aws_cdk.*"] and o.get("follow_imports") == "skip" for o in overrides())
