"""Third-party packages whose `__init__` only re-exports its submodules' names, imported so that each name loads
its own submodule on first use (PEP 562) instead of every submodule at once.

Powertools' `aws_lambda_powertools.event_handler` imports every resolver it has (AppSync, which imports asyncio;
Bedrock agents; VPC Lattice; the HTTP resolver...) and `aws_lambda_powertools.utilities.data_classes` every event
class (about forty modules): Python runs a package's `__init__` before any of its submodules, so even
`from aws_lambda_powertools.event_handler.api_gateway import ...` pays for all of them. The API uses one resolver
and a handful of event classes. phonenumbers' `__init__` likewise imports its as-you-type formatter, short numbers
and matcher, which parsing and formatting a number never use; and its data package the alternate formats only the
matcher reads (`defer_alternate_formats`).

`defer(package)` reads the package's `__init__` source (not its code) and, when it holds nothing but a docstring,
`from .sub import name` re-exports, `__all__`, dunder constants (`__version__`) and an `if __name__ == "__main__":`
block (checked on every import, so a release that changes that falls back to the normal import), installs a module
object in its place whose missing attributes are looked up in the submodule the `__init__` names for them (and the
submodules it imports, which are the real package's attributes too). What it exports is then the same objects,
loaded later; nothing else changes. tests/unit/test_lazy_packages.py fails when a package kefu defers stops
qualifying.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

#: Powertools' packages whose `__init__` imports every resolver (event_handler) or every event class (data_classes).
POWERTOOLS = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")
#: Powertools' idempotency, whose `__init__` imports its DynamoDB persistence layer and with it boto3 (about 80 M
#: instructions of a cold start), a layer kefu does not use (kefu.store.idempotency_records); deferred by
#: kefu.idempotency.
IDEMPOTENCY = "aws_lambda_powertools.utilities.idempotency"
#: phonenumbers, whose `__init__` imports its as-you-type formatter, its short-number rules and its matcher of
#: numbers in free text beside the parsing and formatting kefu uses (kefu.customers.contact); deferred there.
PHONENUMBERS = "phonenumbers"
#: phonenumbers' data package, whose `__init__` imports the alternate number formats of ~46 countries, a module each
#: (`from .alt_format_<country code> import PHONE_ALT_FORMAT_<country code>`), into `_ALT_NUMBER_FORMATS`, which only
#: its matcher of numbers in free text reads (phonenumbers.phonenumbermatcher); deferred by kefu.customers.contact.
PHONE_DATA = "phonenumbers.data"
ALTERNATE_FORMATS = "_ALT_NUMBER_FORMATS"
_ALT_MODULE = "alt_format_"
_ALT_NAME = "PHONE_ALT_FORMAT_"


class LazyPackage(ModuleType):
    """A package whose re-exported names are imported from their submodule on first access."""

    _kefu_exports: dict[str, tuple[str, str]]

    def __getattr__(self, name: str) -> Any:
        exports = self.__dict__.get("_kefu_exports", {})
        if name not in exports:
            if any(
                module == f"{self.__name__}.{name}" or module.startswith(f"{self.__name__}.{name}.")
                for module, _ in exports.values()
            ):
                # A submodule the real `__init__` imports (`data_classes.sqs_event`): an attribute of the package
                # there, so one here too, imported now.
                return importlib.import_module(f"{self.__name__}.{name}")
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        module, attribute = exports[name]
        value = getattr(importlib.import_module(module), attribute)
        setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_kefu_exports", {})))


#: What an `__init__` holds when it only re-exports: name → (submodule, name in it), its `__all__` if it has one,
#: and the dunder names it sets to a constant (`__version__ = "9.0.42"`).
Exports = tuple[dict[str, tuple[str, str]], list[str] | None, dict[str, Any]]


def exports_of(package: str, source: str) -> Exports | None:
    """What an `__init__` re-exports, its `__all__` and its dunder constants; None when it does more."""
    exports: dict[str, tuple[str, str]] = {}
    public: list[str] | None = None
    constants: dict[str, Any] = {}
    for index, node in enumerate(ast.parse(source).body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if _runs_as_script_only(node):
            continue  # `if __name__ == "__main__":` (a doctest run): never true for an imported package
        if isinstance(node, ast.ImportFrom) and node.module and not any(a.name == "*" for a in node.names):
            module = f"{package}.{node.module}" if node.level == 1 else node.module
            if node.level > 1 or not module.startswith(package + "."):
                return None  # a re-export from outside the package: keep the package as it is
            exports.update({alias.asname or alias.name: (module, alias.name) for alias in node.names})
            continue
        if (
            isinstance(node, ast.Assign)
            and [getattr(target, "id", None) for target in node.targets] == ["__all__"]
            and isinstance(node.value, ast.List | ast.Tuple)
            and all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.value.elts)
        ):
            public = [item.value for item in node.value.elts]  # type: ignore[attr-defined]
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(target := node.targets[0], ast.Name)
            and target.id.startswith("__")
            and target.id.endswith("__")
            and isinstance(node.value, ast.Constant)
        ):
            constants[target.id] = node.value.value
            continue
        return None
    return exports, public, constants


def _runs_as_script_only(node: ast.stmt) -> bool:
    """Whether `node` is an `if __name__ == "__main__":` with no `else`."""
    return (
        isinstance(node, ast.If)
        and not node.orelse
        and isinstance(test := node.test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
        and isinstance(value := test.comparators[0], ast.Constant)
        and value.value == "__main__"
    )


def lazy_module(name: str) -> ModuleType:
    """The module `name`, run on the first access to one of its attributes rather than now (importlib's LazyLoader):
    a module only some requests use, named where others are defined. Imported already, it is that module."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, module)
    return module


def defer(package: str) -> bool:
    """Install `package` as a LazyPackage unless it is imported already or its `__init__` does more than
    re-export; whether it was."""
    if package in sys.modules:
        return isinstance(sys.modules[package], LazyPackage)
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return False
    try:
        with open(spec.origin, encoding="utf-8") as init:
            found = exports_of(package, init.read())
    except (OSError, SyntaxError, ValueError):
        found = None
    if found is None:
        return False
    exports, public, constants = found
    module = LazyPackage(package)
    for name, value in constants.items():
        setattr(module, name, value)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = package
    module.__loader__ = spec.loader
    module._kefu_exports = exports
    if public is not None:
        module.__all__ = public  # type: ignore[attr-defined]
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, module)
    # A name that is also the name of its submodule (`event_source` in data_classes) would be shadowed by the module
    # as soon as the submodule is imported (the import system sets it on the package): resolved now instead.
    for name, (submodule, _) in exports.items():
        if submodule.rpartition(".")[2] == name:
            getattr(module, name)
    return True


class _Later:
    """Where phonenumbers' data `__init__` is given a country's alternate formats while `defer_alternate_formats`
    runs it: a placeholder that supports no use (iterating it or taking its length fails), so an `__init__` that
    did anything with the formats but file them would fail and be imported as usual instead."""

    __slots__ = ("country_code",)

    def __init__(self, country_code: int) -> None:
        self.country_code = country_code


def defer_alternate_formats(name: str = PHONE_DATA) -> bool:
    """Import phonenumbers' data package (`name`) with its alternate formats loaded on the first use of
    `_ALT_NUMBER_FORMATS` (or of one `PHONE_ALT_FORMAT_<code>`) rather than at once; whether it was.

    Importing the package runs its `__init__`, which registers the loaders of every region's metadata (loaded per
    region on use) and imports the alternate formats of ~46 countries, a module each: ~20 M instructions (callgrind)
    of intake's first phone number, which parsing, validating and formatting it never read. The package's own
    bytecode is run here as the import system would run it, except that its `from .alt_format_<code> import
    PHONE_ALT_FORMAT_<code>` statements are answered with placeholders (its `__import__` is kefu's for that run; any
    other import goes to the builtin one). Then, only if the placeholders are exactly the values of
    `_ALT_NUMBER_FORMATS` (by country code) and of their own names, and nowhere else among the module's values, they
    are taken out and the module's `__getattr__` (PEP 562) imports the real modules on the first use of any of those
    names: `from .data import _ALT_NUMBER_FORMATS` in the matcher gets the dict the `__init__` would have made, the
    same lists in the same order. Anything else (no placeholder asked for, one used, an error) and the package is
    imported again as usual. Imported already, it is left as it is (the answer: whether its formats are still to
    load). tests/unit/test_lazy_packages.py runs the matcher both ways and fails if the installed phonenumbers stops
    qualifying.

    Not a patch of phonenumbers' files: the same bytecode runs, the formats are the same objects once read, and the
    only difference a caller can see is when their modules are imported."""
    existing = sys.modules.get(name)
    if existing is not None:
        return ALTERNATE_FORMATS not in existing.__dict__ and "__getattr__" in existing.__dict__
    spec = importlib.util.find_spec(name)
    get_code = getattr(spec.loader, "get_code", None) if spec is not None else None
    if spec is None or get_code is None:
        return False
    code = get_code(name)
    if code is None:
        return False
    later: dict[int, _Later] = {}

    def answered_later(module: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        country = module.removeprefix(_ALT_MODULE)
        if level == 1 and country != module and country.isdigit() and tuple(fromlist or ()) == (_ALT_NAME + country,):
            later[int(country)] = _Later(int(country))
            return SimpleNamespace(**{_ALT_NAME + country: later[int(country)]})
        return builtins.__import__(module, globals, locals, fromlist, level)

    module = importlib.util.module_from_spec(spec)
    namespace = module.__dict__
    namespace["__builtins__"] = {**builtins.__dict__, "__import__": answered_later}
    sys.modules[name] = module
    try:
        exec(code, namespace)
        deferred = _placeholders_only_filed(namespace, later)
    except Exception:
        deferred = False
    namespace["__builtins__"] = builtins.__dict__
    if not deferred:
        del sys.modules[name]
        importlib.import_module(name)
        return False
    order = list(namespace.pop(ALTERNATE_FORMATS))
    for country in order:
        del namespace[f"{_ALT_NAME}{country}"]
    namespace["__getattr__"] = _alternate_formats_loader(name, namespace, order)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system sets a submodule on its package
    return True


def _placeholders_only_filed(namespace: dict[str, Any], later: dict[int, _Later]) -> bool:
    """Whether the placeholders are `_ALT_NUMBER_FORMATS`' values by country code and their own names' values, in
    no other name and no other container among the module's values."""
    formats = namespace.get(ALTERNATE_FORMATS)
    if not later or not isinstance(formats, dict) or formats.keys() != later.keys():
        return False
    if any(formats[country] is not placeholder for country, placeholder in later.items()):
        return False
    if any(namespace.get(f"{_ALT_NAME}{country}") is not placeholder for country, placeholder in later.items()):
        return False
    filed = {ALTERNATE_FORMATS, *(f"{_ALT_NAME}{country}" for country in later)}
    for key, value in namespace.items():
        if key in filed:
            continue
        inside = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple | set) else ()
        if isinstance(value, _Later) or any(isinstance(item, _Later) for item in inside):
            return False
    return True


def _alternate_formats_loader(name: str, namespace: dict[str, Any], order: list[int]) -> Callable[[str], Any]:
    """The data package's `__getattr__`: the alternate formats, imported on the first use of any of their names."""
    names = {ALTERNATE_FORMATS, *(f"{_ALT_NAME}{country}" for country in order)}

    def __getattr__(attribute: str) -> Any:
        if attribute not in names:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        formats = {
            country: getattr(importlib.import_module(f"{name}.{_ALT_MODULE}{country}"), f"{_ALT_NAME}{country}")
            for country in order
        }
        namespace.update({f"{_ALT_NAME}{country}": value for country, value in formats.items()})
        namespace[ALTERNATE_FORMATS] = formats
        return namespace[attribute]

    return __getattr__
