"""The CDK app, synthesized once per stage and test session (per xdist worker), into a temporary cdk.out."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Silence jsii's banner about this machine's Node version (`kefu_infra` is on sys.path: tests/conftest.py).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import Stack  # noqa: E402
from constructs import IConstruct  # noqa: E402

from kefu_infra.application import KefuApp, build  # noqa: E402


@dataclass
class Synthesized:
    kefu: KefuApp
    outdir: Path
    #: stack name → CloudFormation template
    templates: dict[str, dict[str, Any]]

    @property
    def stateful(self) -> dict[str, Any]:
        return self.templates[self.kefu.stateful.stack_name]

    @property
    def service(self) -> dict[str, Any]:
        return self.templates[self.kefu.service.stack_name]

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of a construct's CloudFormation resource."""
        return Stack.of(construct).get_logical_id(construct.node.default_child)


def synthesize(stage: str, outdir: Path) -> Synthesized:
    # Findings are checked by the tests themselves (with their list in the failure), not by failing the synth.
    kefu = build(outdir=outdir, context={"stage": stage, "@aws-cdk/core:failSynthOnValidationErrors": False})
    assembly = kefu.app.synth()
    return Synthesized(kefu, outdir, {stack.stack_name: stack.template for stack in assembly.stacks})


@pytest.fixture(scope="session")
def synthesized_stage(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    """Synthesize a stage on first use in this session; later uses get the same result."""
    done: dict[str, Synthesized] = {}

    def get(stage: str) -> Synthesized:
        if stage not in done:
            done[stage] = synthesize(stage, tmp_path_factory.mktemp(f"cdk.out-{stage}"))
        return done[stage]

    return get


@pytest.fixture(scope="session")
def dev(synthesized_stage: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized_stage("dev")


# Before xdist's own hook, which reads the group from the marker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The infra tests run on one xdist worker (`--dist loadgroup`): each worker that runs any would synthesize the
    dev stage (and some the prod stage) for itself, ~20-45 s of CPU each time, with its Node.js process beside it."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("cdk"))
