"""Lambda layer contents, built without Docker.

The dependencies layer holds `[project].dependencies` of pyproject.toml — the list the tests install — pinned by
constraints.txt and installed by pip as arm64 / CPython 3.13 wheels. It includes boto3 and botocore: pynamodb
and Powertools need botocore, and shipping the pinned version means AWS runs the SDK the tests ran instead of
whichever one the runtime carries that month.

Builds are cached under build/layers/ as a zip (what Lambda takes; one file for CDK to stage instead of
thousands), named by a hash of everything that goes into it, so a second synth reuses it.

Every asset of code (the dependencies layer, the domain layer, each function's folder) ships with CPython 3.13
bytecode beside its sources. Lambda mounts code read-only, so Python cannot cache bytecode there: without it, every
cold start compiles every module it imports, botocore and pydantic included, which costs several times the whole
init that bytecode leaves (`make bench` shows both). The bytecode is written by a CPython 3.13 interpreter found on
the machine (`KEFU_BYTECODE_PYTHON`, `python3.13` on PATH, or pyenv's), as hash-based `unchecked-hash` .pyc files:
a deployed layer never changes, so Python loads them without looking at the sources or their times. Without such
an interpreter the assets are built from sources alone, and synth says so.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kefu_infra.paths import BUILD, CONSTRAINTS, DOMAIN_LAYER, FUNCTIONS, PYPROJECT

PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.13"
#: The bytecode tag of the Lambda runtime: .pyc files are named and checked by it.
CACHE_TAG = "cpython-313"
BYTECODE_PYTHON = "KEFU_BYTECODE_PYTHON"
# Where Lambda mounts a layer's `python/` folder and a function's code: bytecode records these paths for tracebacks.
LAYER_MOUNT = "/opt/python"
FUNCTION_MOUNT = "/var/task"
# Bump when the build steps below change, so cached builds are rebuilt.
RECIPE = 2


class LayerBuildError(RuntimeError):
    """pip could not assemble the dependencies layer."""


@dataclass(frozen=True)
class BuiltLayer:
    path: Path
    digest: str
    #: The bytecode tag shipped beside the sources (`cpython-313`), or None for sources alone.
    bytecode: str | None = None


@dataclass(frozen=True)
class BytecodeCompiler:
    interpreter: Path
    tag: str


def _cache_tag(interpreter: str) -> str | None:
    try:
        done = subprocess.run(
            [interpreter, "-I", "-c", "import sys; print(sys.implementation.cache_tag)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _candidates() -> Iterator[str]:
    on_path = shutil.which(f"python{PYTHON_VERSION}")
    if on_path:
        yield on_path
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    # Newest patch release first. Only plain releases: free-threaded ("3.13.0t") and pre-releases are skipped.
    releases = [p for p in pyenv.glob(f"{PYTHON_VERSION}.*") if p.name.replace(".", "").isdigit()]
    for release in sorted(releases, key=lambda p: int(p.name.split(".")[2]), reverse=True):
        yield str(release / "bin" / f"python{PYTHON_VERSION}")


@functools.cache
def bytecode_compiler() -> BytecodeCompiler | None:
    """The CPython 3.13 that writes the shipped bytecode, or None (said once on stderr) when there is none."""
    chosen = os.environ.get(BYTECODE_PYTHON)
    if chosen:
        tag = _cache_tag(chosen)
        if tag != CACHE_TAG:
            raise LayerBuildError(f"{BYTECODE_PYTHON}={chosen} is not a CPython {PYTHON_VERSION} interpreter ({tag})")
        return BytecodeCompiler(Path(chosen), tag)
    for candidate in _candidates():
        if _cache_tag(candidate) == CACHE_TAG:
            return BytecodeCompiler(Path(candidate), CACHE_TAG)
    print(
        f"kefu: no CPython {PYTHON_VERSION} found (set {BYTECODE_PYTHON}, or put python{PYTHON_VERSION} on PATH): "
        "functions and layers are built from sources alone, and Lambda will compile them on every cold start",
        file=sys.stderr,
    )
    return None


def _compile(folder: Path, mounted_at: str, compiler: BytecodeCompiler | None) -> None:
    """Write `unchecked-hash` bytecode for every module under `folder`, recording the path Lambda mounts it at."""
    if compiler is None:
        return
    command = [str(compiler.interpreter), "-I", "-m", "compileall", "-q", "-j", "0"]
    command += ["--invalidation-mode", "unchecked-hash", "-s", str(folder), "-p", mounted_at, str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LayerBuildError(f"compiling bytecode under {folder} failed:\n" + (done.stdout + done.stderr).strip())


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])


def dependencies_layer(pyproject: Path = PYPROJECT, constraints: Path = CONSTRAINTS, build: Path = BUILD) -> BuiltLayer:
    """The zip to ship as the dependencies layer (it holds `python/…`), built on first use."""
    requirements = runtime_requirements(pyproject)
    compiler = bytecode_compiler()
    bytecode = compiler.tag if compiler else None
    digest = _digest(requirements, constraints.read_text(encoding="utf-8"), bytecode)
    target = build / "layers" / f"deps-{digest}.zip"

    def make(staging: Path) -> Path:
        _pip_install(requirements, constraints, staging / "python")
        _drop_build_leftovers(staging / "python")
        _compile(staging / "python", LAYER_MOUNT, compiler)
        return _zip(staging, staging.with_suffix(".zip"))

    _build_once(target, make)
    return BuiltLayer(target, digest, bytecode)


def domain_layer(source: Path = DOMAIN_LAYER, build: Path = BUILD) -> BuiltLayer:
    """The folder to ship as the domain layer: the kefu package (`python/kefu/…`) and its bytecode."""
    return _compiled_copy(source, build / "layers", "domain", code_root="python", mounted_at=LAYER_MOUNT)


def function_code(name: str, functions: Path = FUNCTIONS, build: Path = BUILD) -> BuiltLayer:
    """The folder to ship as a function's code: its folder under functions/ and its bytecode."""
    return _compiled_copy(functions / name, build / "functions", name, code_root="", mounted_at=FUNCTION_MOUNT)


def shipped(relative: PurePosixPath) -> bool:
    """Whether a file of the source tree is shipped: never the synthesizing interpreter's bytecode or packaging
    leftovers."""
    parts = relative.parts
    return not any(part == "__pycache__" or part.endswith(".egg-info") for part in parts) and relative.suffix != ".pyc"


def _compiled_copy(source: Path, root: Path, name: str, *, code_root: str, mounted_at: str) -> BuiltLayer:
    files = sorted(p for p in source.rglob("*") if p.is_file() and shipped(PurePosixPath(p.relative_to(source))))
    compiler = bytecode_compiler()
    bytecode = compiler.tag if compiler else None
    hashed = hashlib.sha256(json.dumps([RECIPE, bytecode, code_root, mounted_at]).encode())
    for path in files:
        relative = path.relative_to(source).as_posix().encode()
        content = path.read_bytes()
        hashed.update(b"%d:%s%d:" % (len(relative), relative, len(content)) + content)
    digest = hashed.hexdigest()[:16]

    def make(staging: Path) -> Path:
        for path in files:
            copy = staging / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
        _compile(staging / code_root, mounted_at, compiler)
        return staging

    target = root / f"{name}-{digest}"
    _build_once(target, make)
    return BuiltLayer(target, digest, bytecode)


def _build_once(target: Path, make: Callable[[Path], Path]) -> None:
    """Build `target`, named by a digest of everything that goes into it, unless it is there already. One build at
    a time; `make` fills a staging folder and returns what becomes `target` by an atomic rename, so a file or
    folder under that name is always complete. Earlier builds of the same name are removed afterwards."""
    if target.exists():
        return
    root = target.parent
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / ".lock"):
        if target.exists():
            return
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        try:
            make(staging).rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            staging.with_suffix(".zip").unlink(missing_ok=True)
        name, _, _ = target.name.rpartition("-")
        for old in root.glob(f"{name}-*"):
            if old == target or not old.name.removeprefix(f"{name}-").partition(".")[0].isalnum():
                continue
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def _digest(requirements: list[str], constraints: str, bytecode: str | None) -> str:
    recipe = {
        "recipe": RECIPE,
        "platform": PLATFORM,
        "python": PYTHON_VERSION,
        "bytecode": bytecode,
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
        "--no-compile",  # this interpreter's bytecode would be useless to 3.13: _compile writes 3.13's
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


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One build at a time across processes (pytest-xdist workers synthesize concurrently)."""
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: The modules of kefu's prepared configuration readers (kefu.deployment.prepared_per_document): the synth prepares
#: what each of them makes of the deployment document (tests/infra/test_prepared_configuration.py checks that none
#: is missing).
CONFIGURATION_MODULES = (
    "kefu.deployment",
    "kefu.knowledge.config",
    "kefu.notifications.config",
    "kefu.qa.config",
    "kefu.revisits.config",
    "kefu.routing.config",
    "kefu.sla.config",
    "kefu.surveys.config",
)
DEPLOYMENT_DOCUMENT = "kefu-deployment.json"
#: Beside the document: what the configuration readers make of it (kefu.deployment.prepare).
PREPARED_CONFIGURATION = "kefu-deployment.pickle"
_PREPARE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
from kefu import deployment
sys.stdout.buffer.write(deployment.prepare(sys.stdin.buffer.read()))
"""


def deployment_document(document: dict, code: str, build: Path = BUILD) -> BuiltLayer:
    """A layer folder holding `kefu-deployment.json`, which Lambda mounts as /opt/kefu-deployment.json, and beside
    it what kefu's configuration readers make of it (`kefu-deployment.pickle`), made with the domain layer whose
    digest is `code`: a cold start unpickles those instead of validating the document again."""
    text = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    digest = hashlib.sha256(text + code.encode()).hexdigest()[:16]
    folder = build / "deployment" / digest
    if not _holds(folder / DEPLOYMENT_DOCUMENT, text) or not (folder / PREPARED_CONFIGURATION).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_deployment(folder, text, prepared_configuration(text))
    return BuiltLayer(folder, digest)


def write_deployment(folder: Path, text: bytes, prepared: bytes) -> None:
    """Write a deployment document's text into `folder` as the deployment layer holds it, and beside it what the
    domain code makes of it (`prepared_configuration`). Each file is replaced whole."""
    for name, content in ((PREPARED_CONFIGURATION, prepared), (DEPLOYMENT_DOCUMENT, text)):
        partial = folder.parent / f".{folder.name}.{name}.{os.getpid()}.tmp"  # outside the layer folder
        partial.write_bytes(content)
        partial.replace(folder / name)


def prepared_configuration(text: bytes) -> bytes:
    """What kefu's configuration readers make of a deployment document's text (kefu.deployment.prepare), made by the
    domain code in a child process with a fixed hash seed: sets are pickled in their iteration order, which the
    seed decides, and the same document and code must give the same bytes (else every synth changes the layer)."""
    done = subprocess.run(
        [sys.executable, "-c", _PREPARE, *CONFIGURATION_MODULES],
        input=text,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(DOMAIN_LAYER / "python")},
        check=False,
    )
    if done.returncode != 0:
        raise LayerBuildError("preparing the deployment's configuration failed:\n" + done.stderr.decode().strip())
    return done.stdout


def _holds(path: Path, content: bytes) -> bool:
    return path.is_file() and path.read_bytes() == content
