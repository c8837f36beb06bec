"""Lambda layer contents, built without Docker.

The dependencies layer holds `[project].dependencies` of pyproject.toml — the list the tests install — pinned by
constraints.txt and installed by pip as arm64 / CPython 3.13 wheels. It includes boto3 and botocore: pynamodb
and Powertools need botocore, and shipping the pinned version means AWS runs the SDK the tests ran instead of
whichever one the runtime carries that month.

Builds are cached under build/layers/ as a zip (what Lambda takes; one file for CDK to stage instead of
thousands), named by a hash of everything that goes into it, so a second synth reuses it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kefu_infra.paths import BUILD, CONSTRAINTS, PYPROJECT

PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.13"
# Bump when the build steps below change, so cached layers are rebuilt.
RECIPE = 1


class LayerBuildError(RuntimeError):
    """pip could not assemble the dependencies layer."""


@dataclass(frozen=True)
class BuiltLayer:
    path: Path
    digest: str


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])


def dependencies_layer(pyproject: Path = PYPROJECT, constraints: Path = CONSTRAINTS, build: Path = BUILD) -> BuiltLayer:
    """The zip to ship as the dependencies layer (it holds `python/…`), built on first use."""
    requirements = runtime_requirements(pyproject)
    digest = _digest(requirements, constraints.read_text(encoding="utf-8"))
    root = build / "layers"
    target = root / f"deps-{digest}.zip"
    if target.is_file():
        return BuiltLayer(target, digest)
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        if not target.is_file():
            staging = Path(tempfile.mkdtemp(prefix=".deps-", dir=root))
            try:
                _pip_install(requirements, constraints, staging / "python")
                _drop_build_leftovers(staging / "python")
                partial = _zip(staging, staging.with_suffix(".zip"))
                partial.rename(target)  # atomic: a file named deps-<digest>.zip is always complete
            finally:
                shutil.rmtree(staging, ignore_errors=True)
                staging.with_suffix(".zip").unlink(missing_ok=True)
            _remove_stale(root, keep=target)
    return BuiltLayer(target, digest)


def _digest(requirements: list[str], constraints: str) -> str:
    recipe = {
        "recipe": RECIPE,
        "platform": PLATFORM,
        "python": PYTHON_VERSION,
        "requirements": sorted(requirements),
        "constraints": constraints,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _pip_install(requirements: list[str], constraints: Path, target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # bytecode compiled by this interpreter would be useless to 3.13
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(target),
        "--constraint",
        str(constraints),
        *requirements,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LayerBuildError(
            "building the dependencies layer failed (the first build downloads arm64 wheels from PyPI):\n"
            + (done.stderr or done.stdout).strip()
        )


def _drop_build_leftovers(site: Path) -> None:
    shutil.rmtree(site / "bin", ignore_errors=True)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _zip(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zipped.write(path, path.relative_to(folder).as_posix())
    return archive


def _remove_stale(root: Path, keep: Path) -> None:
    for old in root.glob("deps-*.zip"):
        if old != keep:
            old.unlink(missing_ok=True)


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One build at a time across processes (pytest-xdist workers synthesize concurrently)."""
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def deployment_document(document: dict, build: Path = BUILD) -> BuiltLayer:
    """A layer folder holding `kefu-deployment.json`, which Lambda mounts as /opt/kefu-deployment.json."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = build / "deployment" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kefu-deployment.json"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        partial = folder.parent / f".{digest}.{os.getpid()}.tmp"  # outside the layer folder
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return BuiltLayer(folder, digest)
