"""kefu's copies of botocore's service models trimmed to the operations kefu calls (kefu.store.service_models loads
them at run time; the build writes them here, from the installed botocore, which the dependencies layer ships pinned):
`make service-models` after a botocore upgrade, an operation added to `TRIMMED_OPERATIONS` or a service to
`ENDPOINT_SERVICES` (botocore's endpoints.json, copied with those services only).
tests/unit/test_service_models.py fails when a file is not what the installed botocore trims to."""

from __future__ import annotations

import json
import marshal
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

from kefu.store.service_models import (
    ENDPOINT_SERVICES,
    MARSHAL_COPY,
    MARSHAL_VERSION,
    RULE_SET,
    TRIMMED_ENDPOINTS,
    TRIMMED_MODELS,
    TRIMMED_OPERATIONS,
)


def trimmed_model(model: dict[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    """botocore's service `model` with only `operations` and the shapes they reach (their input, output and errors,
    and every shape those name as a member, a list's member or a map's key and value), documentation left out."""
    kept = {name: _undocumented(model["operations"][name]) for name in operations}
    reached: set[str] = set()
    pending = [
        ref["shape"]
        for operation in kept.values()
        for ref in [operation.get("input"), operation.get("output"), *operation.get("errors", [])]
        if ref
    ]
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        shape = model["shapes"][name]
        pending += [member["shape"] for member in shape.get("members", {}).values()]
        pending += [shape[part]["shape"] for part in ("member", "key", "value") if part in shape]
    shapes = {}
    for name in sorted(reached):
        shape = _undocumented(model["shapes"][name])
        if "members" in shape:
            shape["members"] = {member: _undocumented(ref) for member, ref in shape["members"].items()}
        shapes[name] = shape
    return {
        **{key: value for key, value in model.items() if key not in ("documentation", "operations", "shapes")},
        "operations": kept,
        "shapes": shapes,
    }


def _undocumented(part: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in part.items() if key != "documentation"}


def trimmed_models(loader: Loader | None = None) -> dict[Path, dict[str, Any]]:
    """Each trimmed model as the installed botocore's latest API version of its service trims to, by its file."""
    loader = loader or Loader()
    models = {}
    for service, operations in TRIMMED_OPERATIONS.items():
        path, full = _latest(loader, service, "service-2")
        models[path] = trimmed_model(full, operations)
    return models


def _latest(loader: Loader, service: str, type_name: str) -> tuple[Path, dict[str, Any]]:
    """The installed botocore's `type_name` data of `service` (its latest API version), and the file of kefu's copy."""
    version = loader.determine_latest_version(service, type_name)
    data = loader.load_data(os.path.join(service, version, type_name))
    return Path(TRIMMED_MODELS, service, version, f"{type_name}.json"), data


def trimmed_endpoints(endpoints: dict[str, Any], services: Iterable[str]) -> dict[str, Any]:
    """botocore's `endpoints` data with only `services` in each partition (each partition's other data whole)."""
    kept = set(services)
    return {
        **endpoints,
        "partitions": [
            {**partition, "services": {name: data for name, data in partition["services"].items() if name in kept}}
            for partition in endpoints["partitions"]
        ],
    }


def rule_sets(loader: Loader | None = None) -> dict[Path, dict[str, Any]]:
    """Each of `ENDPOINT_SERVICES`' endpoint rule sets as the installed botocore's latest API version has it (whole),
    by the file of kefu's copy."""
    loader = loader or Loader()
    return dict(_latest(loader, service, RULE_SET) for service in ENDPOINT_SERVICES)


def trimmed_files(loader: Loader | None = None) -> dict[Path, dict[str, Any]]:
    """Every file kefu's copies are: the trimmed models, the trimmed endpoints and the rule sets, by path."""
    loader = loader or Loader()
    endpoints = trimmed_endpoints(loader.load_data("endpoints"), ENDPOINT_SERVICES)
    return {**trimmed_models(loader), Path(f"{TRIMMED_ENDPOINTS}.json"): endpoints, **rule_sets(loader)}


def write_trimmed_models() -> None:
    """Write the trimmed models, endpoints and rule sets again, each as JSON and as marshal data (`make service-models`:
    after a botocore upgrade, an operation or a service added)."""
    for path, model in trimmed_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name == f"{RULE_SET}.json":
            # Compact: what a cold start reads it for is its parse (S3's: 119 KB, not 921 KB indented)
            text = json.dumps(model, separators=(",", ":"))
        else:
            text = json.dumps(model, indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        # And as marshal data, which a cold start reads instead (kefu.store.service_models), of the JSON's data:
        # botocore's loader reads its own into OrderedDicts, which marshal does not write
        path.with_suffix(MARSHAL_COPY).write_bytes(marshal.dumps(json.loads(text), MARSHAL_VERSION))
