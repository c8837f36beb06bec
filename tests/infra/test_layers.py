"""The dependencies layer is built by pip for arm64 / CPython 3.13 from the pinned list, once per input."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kefu_infra import layers
from kefu_infra.paths import PYPROJECT


def test_the_layer_holds_exactly_the_projects_runtime_dependencies():
    assert layers.runtime_requirements() and all("==" in r or ">=" in r for r in layers.runtime_requirements())
    assert "pynamodb==6.1.0" in layers.runtime_requirements(PYPROJECT)


def fake_project(folder: Path, pin: str) -> tuple[Path, Path]:
    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["six"]\n')
    constraints = folder / "constraints.txt"
    constraints.write_text(f"six=={pin}\n")
    return pyproject, constraints


def test_a_built_layer_is_reused_until_an_input_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    installs = []

    def pretend_pip(requirements: list[str], constraints: Path, target: Path) -> None:
        installs.append(constraints.read_text())
        (target / "six.py").parent.mkdir(parents=True)
        (target / "six.py").write_text("")

    monkeypatch.setattr(layers, "_pip_install", pretend_pip)
    monkeypatch.setattr(layers, "bytecode_compiler", lambda: None)
    pyproject, constraints = fake_project(tmp_path, "1.16.0")

    first = layers.dependencies_layer(pyproject, constraints, tmp_path / "build")
    again = layers.dependencies_layer(pyproject, constraints, tmp_path / "build")
    constraints.write_text("six==1.17.0\n")
    changed = layers.dependencies_layer(pyproject, constraints, tmp_path / "build")

    assert first == again and changed.digest != first.digest
    assert installs == ["six==1.16.0\n", "six==1.17.0\n"]
    assert zipfile.ZipFile(changed.path).namelist() == ["python/six.py"] and not first.path.exists()


def test_a_failed_install_leaves_no_layer_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def failing_pip(requirements: list[str], constraints: Path, target: Path) -> None:
        target.mkdir(parents=True)
        raise layers.LayerBuildError("no network")

    monkeypatch.setattr(layers, "_pip_install", failing_pip)
    pyproject, constraints = fake_project(tmp_path, "1.16.0")

    with pytest.raises(layers.LayerBuildError):
        layers.dependencies_layer(pyproject, constraints, tmp_path / "build")
    assert [p.name for p in (tmp_path / "build" / "layers").iterdir()] == [".lock"]


def test_function_code_is_rebuilt_when_a_source_changes_and_the_old_build_is_removed(tmp_path: Path):
    functions = tmp_path / "functions"
    (functions / "probe").mkdir(parents=True)
    (functions / "probe" / "handler.py").write_text("ANSWER = 1\n")
    (functions / "probe" / "__pycache__").mkdir()
    (functions / "probe" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"not shipped")

    first = layers.function_code("probe", functions, tmp_path / "build")
    again = layers.function_code("probe", functions, tmp_path / "build")
    (functions / "probe" / "handler.py").write_text("ANSWER = 2\n")
    changed = layers.function_code("probe", functions, tmp_path / "build")

    assert first == again and changed.digest != first.digest
    assert not first.path.exists() and (changed.path / "handler.py").read_text() == "ANSWER = 2\n"
    assert not (changed.path / "__pycache__" / "handler.cpython-311.pyc").exists()


def test_without_a_313_interpreter_code_ships_as_sources_and_is_built_apart_from_compiled_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    functions = tmp_path / "functions"
    (functions / "probe").mkdir(parents=True)
    (functions / "probe" / "handler.py").write_text("ANSWER = 1\n")
    monkeypatch.setattr(layers, "bytecode_compiler", lambda: None)

    built = layers.function_code("probe", functions, tmp_path / "build")

    assert built.bytecode is None
    assert sorted(p.name for p in built.path.rglob("*")) == ["handler.py"]


@pytest.mark.skipif(layers.bytecode_compiler() is None, reason="no CPython 3.13 on this machine to write bytecode")
def test_shipped_bytecode_is_313s_unchecked_and_records_the_path_lambda_mounts_the_code_at(tmp_path: Path):
    functions = tmp_path / "functions"
    (functions / "probe" / "inner").mkdir(parents=True)
    (functions / "probe" / "handler.py").write_text("def lambda_handler(event, context):\n    return 1\n")
    (functions / "probe" / "inner" / "part.py").write_text("PART = 1\n")

    built = layers.function_code("probe", functions, tmp_path / "build")
    compiled = built.path / "inner" / "__pycache__" / "part.cpython-313.pyc"
    header = compiled.read_bytes()[:16]
    # marshal's format changes between versions, so the 3.13 interpreter itself reads the code object back
    read_back = subprocess.run(
        [str(layers.bytecode_compiler().interpreter), "-I", "-c",
         f"import marshal; print(marshal.loads(open({str(compiled)!r}, 'rb').read()[16:]).co_filename)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert built.bytecode == "cpython-313"
    assert header[:4] == (3571).to_bytes(2, "little") + b"\r\n"
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source never checked
    assert read_back.stdout.strip() == "/var/task/inner/part.py"


def test_a_chosen_bytecode_interpreter_that_is_not_313_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(layers.BYTECODE_PYTHON, sys.executable if sys.version_info[:2] != (3, 13) else "/bin/false")
    layers.bytecode_compiler.cache_clear()
    try:
        with pytest.raises(layers.LayerBuildError, match=r"is not a CPython 3\.13 interpreter"):
            layers.bytecode_compiler()
    finally:
        monkeypatch.delenv(layers.BYTECODE_PYTHON)
        layers.bytecode_compiler.cache_clear()
