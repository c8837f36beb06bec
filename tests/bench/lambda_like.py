"""A Lambda-like tree of the API function's code, for the cold-start bench.

A deployed function sees only three folders: its own code (functions/api), the kefu domain layer
(layers/kefu/python) and the dependencies layer (the runtime closure of pyproject.toml `[project].dependencies`).
The dev venv holds much more (aws-cdk-lib, moto, an editable finder for kefu), so the bench builds the three folders
afresh under build/bench/lambda/, twice:

- `compiled/`: with `unchecked-hash` bytecode beside every module, as the layers and the function are shipped;
- `source/`:   sources alone, as they would be shipped without bytecode (Lambda mounts code read-only, so Python
  compiles every module it imports on every cold start).

The two variants share their files by hard links (a copy when linking fails), never their `__pycache__` folders.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# pytest depends on packaging, so it is always in the venv that runs the bench.
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kefu_infra import layers

#: At least this share of the .py files of the compiled variant must have bytecode (compileall skips a few odd ones).
MIN_COMPILED_SHARE = 0.95


@dataclass(frozen=True)
class Variant:
    """One Lambda-like tree: the folders a deployed function has on `sys.path`, in Lambda's order."""

    name: str
    root: Path

    @property
    def function(self) -> Path:
        return self.root / "function"

    @property
    def layer(self) -> Path:
        return self.root / "layer"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def sys_path(self) -> list[Path]:
        return [self.function, self.layer, self.site]


@dataclass
class LambdaLike:
    compiled: Variant
    source: Variant
    #: "name==version" of every distribution copied into site/.
    distributions: list[str]
    #: Exit status of compileall, and the .py files of the compiled variant left without bytecode (relative).
    compileall_status: int
    uncompiled: list[str] = field(default_factory=list)
    python_files: int = 0

    def variant(self, name: str) -> Variant:
        return {"compiled": self.compiled, "source": self.source}[name]


def runtime_closure(pyproject: Path) -> list[importlib.metadata.Distribution]:
    """The installed distributions `[project].dependencies` needs at run time, walked through `requires`.

    Markers are evaluated for this interpreter with `extra` unset, so optional extras are skipped, except those a
    requirement asks for by name (`aws-lambda-powertools[tracer]` brings aws-xray-sdk, as pip installs it).
    """
    wanted = [Requirement(text) for text in layers.runtime_requirements(pyproject)]
    pending = [(req.name, frozenset(req.extras)) for req in wanted if _applies(req, frozenset())]
    found: dict[str, importlib.metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    missing: list[str] = []
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras_seen.setdefault(key, set()).update(extras)
        try:
            dist = found.get(key) or importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
            continue
        found[key] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if _applies(req, frozenset(extras_seen[key])):
                pending.append((req.name, frozenset(req.extras)))
    if missing:
        raise LookupError(f"runtime dependencies not installed in {sys.prefix}: {', '.join(sorted(missing))}")
    return [found[key] for key in sorted(found)]


def _applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in ("", *sorted(extras)))


def copy_distribution(dist: importlib.metadata.Distribution, site: Path) -> int:
    """Copy the files of `dist` (its .dist-info included) into `site`; no bytecode, nothing outside site-packages."""
    installed_in = Path(dist.locate_file("")).resolve()
    copied = 0
    for entry in dist.files or []:
        relative = PurePosixPath(entry)
        if ".." in relative.parts or "__pycache__" in relative.parts or relative.suffix == ".pyc":
            continue
        path = Path(dist.locate_file(entry)).resolve()
        if not path.is_relative_to(installed_in) or not path.is_file():
            continue
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    return copied


def copy_code(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and layers.shipped(PurePosixPath(relative)):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def compile_in_place(folders: list[Path]) -> tuple[int, list[str], int]:
    """Write `unchecked-hash` bytecode beside every module; the exit status, the .py files left without, the total."""
    command = [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    done = subprocess.run([*command, *map(str, folders)], capture_output=True, text=True, check=False)
    sources = [path for folder in folders for path in folder.rglob("*.py")]
    uncompiled = [path for path in sources if not Path(importlib.util.cache_from_source(str(path))).is_file()]
    root = folders[0].parent
    return done.returncode, sorted(str(path.relative_to(root)) for path in uncompiled), len(sources)


def build(root: Path, pyproject: Path, function: Path, layer: Path) -> LambdaLike:
    """Build `root/source` and `root/compiled` from scratch (whatever was under `root` is removed first)."""
    shutil.rmtree(root, ignore_errors=True)
    source = Variant("source", root / "source")
    compiled = Variant("compiled", root / "compiled")
    distributions = runtime_closure(pyproject)
    for dist in distributions:
        copy_distribution(dist, source.site)
    copy_code(layer, source.layer)
    copy_code(function, source.function)
    shutil.copytree(source.root, compiled.root, copy_function=_link_or_copy)
    status, uncompiled, total = compile_in_place(compiled.sys_path)
    built = LambdaLike(
        compiled=compiled,
        source=source,
        distributions=[f"{dist.metadata['Name']}=={dist.version}" for dist in distributions],
        compileall_status=status,
        uncompiled=uncompiled,
        python_files=total,
    )
    compiled_share = 1 - len(uncompiled) / max(total, 1)
    if compiled_share < MIN_COMPILED_SHARE:
        raise RuntimeError(
            f"compileall exited {status} and left {len(uncompiled)} of {total} .py files without bytecode: "
            + ", ".join(uncompiled[:10])
        )
    leaked = sorted(str(p.relative_to(root)) for p in source.root.rglob("__pycache__"))
    if leaked:
        raise RuntimeError(f"bytecode found in the source variant: {', '.join(leaked[:10])}")
    return built


def add_functions(tree: LambdaLike, functions: Path) -> dict[str, Path]:
    """Every function's folder (functions/<name>) beside the compiled variant's layers, with bytecode as shipped;
    the folder each function has first on `sys.path`, by name."""
    folders = {}
    for source in sorted(p for p in functions.iterdir() if (p / "handler.py").is_file()):
        target = tree.compiled.root / "functions" / source.name
        shutil.rmtree(target, ignore_errors=True)
        copy_code(source, target)
        folders[source.name] = target
    status, uncompiled, _ = compile_in_place(list(folders.values()))
    if status != 0 or uncompiled:
        raise RuntimeError(f"compileall exited {status}; left without bytecode: {', '.join(uncompiled[:10])}")
    return folders
