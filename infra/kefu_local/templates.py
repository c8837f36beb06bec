"""The synthesized CloudFormation templates (cdk.out) the local stack is built from, so it cannot drift from AWS.

`cloud_assembly()` reuses `cdk.out` when it is newer than everything that shapes it, and synthesizes it
otherwise (`python infra/app.py`, as `make synth` does, in a child process). `Templates` reads the stage's stacks
and resolves the intrinsic functions the local stack needs (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, `Fn::Join`,
`Fn::Sub`, `Fn::Select`) against the names of the local resources.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu_local.config import REPO_ROOT, LocalStackError

log = logging.getLogger(__name__)

CDK_OUT_VAR = "KEFU_LOCAL_CDK_OUT"
STAGE = "dev"
#: What shapes the templates: if any of it is newer than cdk.out's manifest, cdk.out is synthesized again.
_SOURCES = (
    "infra/app.py",
    "infra/kefu_infra",
    "infra/config",
    "functions",
    "layers/kefu",
    "cdk.json",
    "pyproject.toml",
)
_SYNTH_TIMEOUT_S = 300


def default_cdk_out() -> Path:
    configured = os.environ.get(CDK_OUT_VAR, "").strip()
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / "cdk.out"


def _newest_source_mtime(root: Path = REPO_ROOT) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = root / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for file in path.rglob("*"):
                if "__pycache__" in file.parts or not file.is_file():
                    continue
                newest = max(newest, file.stat().st_mtime)
    return newest


def is_fresh(cdk_out: Path, stage: str = STAGE) -> bool:
    manifest = cdk_out / "manifest.json"
    templates = [cdk_out / f"kefu-{stage}-{part}.template.json" for part in ("stateful", "service")]
    if not manifest.is_file() or not all(t.is_file() for t in templates):
        return False
    return manifest.stat().st_mtime >= _newest_source_mtime()


def cloud_assembly(cdk_out: Path | None = None, stage: str = STAGE) -> Path:
    """A cdk.out holding the stage's templates, synthesized only when missing or older than its sources."""
    cdk_out = cdk_out or default_cdk_out()
    cdk_out.parent.mkdir(parents=True, exist_ok=True)
    # One synthesis at a time per cdk.out (parallel test workers, two terminals).
    digest = hashlib.sha256(str(cdk_out).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"kefu-synth-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_fresh(cdk_out, stage):
            return cdk_out
        log.info("synthesizing %s (stage %s)…", cdk_out, stage)
        env = os.environ | {
            "CDK_OUTDIR": str(cdk_out),
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        started = time.time() - 1
        env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT")}
        done = subprocess.run(
            [sys.executable, str(REPO_ROOT / "infra" / "app.py"), "-c", f"stage={stage}", "-c", "kefu:web-stack=false"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=_SYNTH_TIMEOUT_S,
            check=False,
        )
        # Not is_fresh(): a source edited while synthesizing would fail a stack that is about to use this one.
        manifest = cdk_out / "manifest.json"
        if done.returncode != 0 or not manifest.is_file() or manifest.stat().st_mtime < started:
            raise LocalStackError(f"synthesizing the CDK app failed (make synth shows why):\n{done.stderr[-2000:]}")
        return cdk_out


class Unresolvable(Exception):
    """An intrinsic function or attribute the local stack has nothing for (a Cognito pool id, an API's URL…)."""


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]

    @property
    def construct_path(self) -> str:
        """`kefu-dev-stateful/Table/Resource` → `Table`; the logical id when the metadata has no path."""
        path = str(self.metadata.get("aws:cdk:path", ""))
        parts = path.split("/")
        if len(parts) >= 3 and parts[0] == self.stack:
            inner = [p for p in parts[1:] if p not in ("Resource", "Default")]
            return "-".join(inner) or self.logical_id
        return self.logical_id


#: How a resource's `Ref` and `Fn::GetAtt` resolve: given by the local stack (names and ARNs in moto).
RefResolver = Callable[[Resource], str]
AttResolver = Callable[[Resource, str], str]


class Templates:
    """The stage's stacks, read from cdk.out."""

    def __init__(self, cdk_out: Path, stage: str = STAGE):
        self.cdk_out = cdk_out
        self.stage = stage
        self.stacks: dict[str, dict[str, Any]] = {}
        for part in ("stateful", "service"):
            name = f"kefu-{stage}-{part}"
            path = cdk_out / f"{name}.template.json"
            if not path.is_file():
                raise LocalStackError(f"{path} is missing: run `make synth`")
            self.stacks[name] = json.loads(path.read_text(encoding="utf-8"))
        self.ref: RefResolver = lambda resource: resource.logical_id
        self.att: AttResolver = _no_attribute
        self.region = "us-east-1"
        self.account = "123456789012"

    def resources(self, *types: str) -> list[Resource]:
        return [
            Resource(stack, logical_id, body["Type"], body.get("Properties", {}), body.get("Metadata", {}))
            for stack, template in self.stacks.items()
            for logical_id, body in template.get("Resources", {}).items()
            if not types or body["Type"] in types
        ]

    def resource(self, stack: str, logical_id: str) -> Resource:
        body = self.stacks[stack].get("Resources", {}).get(logical_id)
        if body is None:
            raise Unresolvable(f"{stack} has no resource {logical_id}")
        return Resource(stack, logical_id, body["Type"], body.get("Properties", {}), body.get("Metadata", {}))

    def asset_dir(self, resource: Resource) -> Path | None:
        asset = resource.metadata.get("aws:asset:path")
        return self.cdk_out / asset if asset else None

    def export(self, name: str) -> tuple[str, Any]:
        for stack, template in self.stacks.items():
            for output in template.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == name:
                    return stack, output["Value"]
        raise Unresolvable(f"no stack exports {name}")

    def output(self, stack: str, name: str) -> str:
        return self.resolve(stack, self.stacks[stack]["Outputs"][name]["Value"])

    def _pseudo(self, stack: str, name: str) -> str:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack,
            "AWS::NoValue": "",
        }
        if name not in values:
            raise Unresolvable(name)
        return values[name]

    def _ref(self, stack: str, name: str) -> str:
        if name.startswith("AWS::"):
            return self._pseudo(stack, name)
        parameter = self.stacks[stack].get("Parameters", {}).get(name)
        if parameter is not None:
            if "Default" not in parameter:
                raise Unresolvable(f"parameter {name} has no default")
            return str(parameter["Default"])
        return self.ref(self.resource(stack, name))

    def resolve(self, stack: str, value: Any) -> Any:
        """`value` with its intrinsic functions replaced by local values; Unresolvable if one has none."""
        if isinstance(value, list):
            return [self.resolve(stack, item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, stack, arg)
            if key.startswith("Fn::") or key == "Condition":
                raise Unresolvable(key)
        return {key: self.resolve(stack, item) for key, item in value.items()}

    # -- the intrinsic functions resolve() knows ---------------------------------------------------------------------

    def _get_att(self, stack: str, arg: Any) -> Any:
        logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        return self.att(self.resource(stack, logical_id), attribute)

    def _import_value(self, stack: str, arg: Any) -> Any:
        exporter, exported = self.export(self.resolve(stack, arg))
        return self.resolve(exporter, exported)

    def _join(self, stack: str, arg: Any) -> str:
        separator, items = arg
        return separator.join(str(self.resolve(stack, item)) for item in self.resolve_list(stack, items))

    def _select(self, stack: str, arg: Any) -> Any:
        index, items = arg
        return self.resolve_list(stack, items)[int(self.resolve(stack, index))]

    def _split(self, stack: str, arg: Any) -> list[str]:
        separator, text = arg
        return str(self.resolve(stack, text)).split(separator)

    def resolve_list(self, stack: str, items: Any) -> list[Any]:
        resolved = self.resolve(stack, items)
        if not isinstance(resolved, list):
            raise Unresolvable(f"expected a list, got {resolved!r}")
        return resolved

    def _sub(self, stack: str, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(stack, variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.att(self.resource(stack, logical_id), attribute)
            return self._ref(stack, name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)


_INTRINSICS: dict[str, Callable[[Templates, str, Any], Any]] = {
    "Ref": Templates._ref,
    "Fn::GetAtt": Templates._get_att,
    "Fn::ImportValue": Templates._import_value,
    "Fn::Join": Templates._join,
    "Fn::Select": Templates._select,
    "Fn::Split": Templates._split,
    "Fn::Sub": Templates._sub,
}


def _no_attribute(resource: Resource, attribute: str) -> str:
    raise Unresolvable(f"{resource.logical_id}.{attribute}")
