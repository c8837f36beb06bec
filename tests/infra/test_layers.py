"""The dependencies layer is built by pip for arm64 / CPython 3.13 from the pinned list, once per input."""

from __future__ import annotations

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
