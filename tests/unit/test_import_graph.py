"""Dependencies point one way: handlers → domain → store, with the shared values (`kefu.model`) at the bottom. The
graph is read from the source with `ast`, imports inside functions included (a lazy import is still a dependency),
so a cycle between kefu's packages, or a handler reaching into the store, fails here before anyone imports it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEFU = ROOT / "layers" / "kefu" / "python" / "kefu"
FUNCTIONS = ROOT / "functions"


def imported(path: Path, module: str) -> Iterator[str]:
    """Every module name `path` (the module `module`) imports, at any depth of its code, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def unit_graph(package_dir: Path) -> dict[str, set[str]]:
    """The package's units (each subpackage, each top-level module) and which other units each imports."""
    name = package_dir.name
    units = {p.stem if p.is_file() else p.name for p in package_dir.iterdir() if _is_unit(p)}
    graph: dict[str, set[str]] = {unit: set() for unit in units}
    for path in package_dir.rglob("*.py"):
        relative = path.relative_to(package_dir.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        if len(parts) < 2:
            continue  # the package's own __init__ belongs to no unit
        source = parts[1]
        for target in imported(path, ".".join(parts)):
            pieces = target.split(".")
            if pieces[0] == name and len(pieces) > 1 and pieces[1] in units and pieces[1] != source:
                graph[source].add(pieces[1])
    return graph


def _is_unit(path: Path) -> bool:
    if path.is_dir():
        return (path / "__init__.py").exists()
    return path.suffix == ".py" and path.name != "__init__.py"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one unit (Tarjan), each sorted: every cycle's units."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(graph[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return sorted(found)


def store_imports(functions_dir: Path) -> list[str]:
    """Handlers (functions/<name>/*.py) that import `kefu.store`: they should call the domain instead."""
    found = []
    for path in sorted(functions_dir.glob("*/*.py")):
        module = ".".join(path.relative_to(functions_dir).with_suffix("").parts)
        if any(name == "kefu.store" or name.startswith("kefu.store.") for name in imported(path, module)):
            found.append(str(path.relative_to(functions_dir)))
    return found


def test_no_two_of_kefus_packages_import_each_other_even_through_others_or_inside_functions():
    graph = unit_graph(KEFU)

    assert {"tickets", "store", "model", "agents"} <= graph.keys()  # the walk sees the real package
    assert cycles(graph) == []


def test_the_shared_values_and_the_store_import_no_domain_package():
    graph = unit_graph(KEFU)

    assert graph["model"] == set()
    assert graph["store"] <= {"model", "clock", "errors", "ids", "config"}


def test_handlers_call_the_domain_and_never_the_store():
    assert store_imports(FUNCTIONS) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"a/__init__.py": "", "a/x.py": "from pkg.b import y\n", "b/__init__.py": "", "b/y.py": "import pkg.c\n"},
            [],
            id="a chain",
        ),
        pytest.param(
            {
                "a/__init__.py": "",
                "a/x.py": "from pkg.b import y\n",
                "b/__init__.py": "",
                "b/y.py": "def later():\n    from pkg.a.x import thing\n",
            },
            [["a", "b"]],
            id="a cycle hidden in a function",
        ),
        pytest.param(
            {
                "a/__init__.py": "from .x import thing\n",
                "a/x.py": "from ..c import z\n",
                "b/__init__.py": "from pkg.a import thing\n",
                "c.py": "import pkg.b\n",
            },
            [["a", "b", "c"]],
            id="a cycle through relative imports and a top-level module",
        ),
    ],
)
def test_the_walk_finds_a_planted_cycle_and_only_that(tmp_path, files, expected):
    package = _write(tmp_path / "pkg", {"__init__.py": "", **files})

    assert cycles(unit_graph(package)) == expected


def test_the_walk_finds_a_handler_reaching_into_the_store(tmp_path):
    functions = _write(
        tmp_path / "functions",
        {
            "api/handler.py": "from kefu import tickets\n",
            "watcher/handler.py": "def handle(event):\n    from kefu.store.tickets import get\n",
        },
    )

    assert store_imports(functions) == ["watcher/handler.py"]
