"""kefu's pydantic fields take their new lists from kefu.model.defaults: pydantic inspects a default factory's
signature at every schema build, and a builtin type's costs a tokenize and an ast parse each time."""

from __future__ import annotations

import importlib
import pkgutil

from pydantic import BaseModel

import kefu
from kefu.model.defaults import empty_list

# Builtins whose signature inspect.signature parses from text (dict's raises at once: cheap, and kept).
_PARSED_SIGNATURES = (list, set, frozenset, tuple)


def _models() -> set[type[BaseModel]]:
    for module in pkgutil.walk_packages(kefu.__path__, "kefu."):
        importlib.import_module(module.name)
    found, todo = set(), [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("kefu.") and sub not in found:
                found.add(sub)
            todo.append(sub)
    return found


def test_no_kefu_model_field_makes_its_default_with_a_builtin_whose_signature_is_parsed():
    # Given every pydantic model kefu defines, when their fields' default factories are read
    models = _models()
    builtin = sorted(
        f"{model.__module__}.{model.__qualname__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if field.default_factory in _PARSED_SIGNATURES
    )
    # then none is such a builtin, and kefu's own factory is among them
    assert len(models) > 100
    assert builtin == []
    assert any(field.default_factory is empty_list for model in models for field in model.model_fields.values())


def test_the_empty_list_factory_makes_a_new_list_each_time():
    first, second = empty_list(), empty_list()
    assert first == second == [] and first is not second
