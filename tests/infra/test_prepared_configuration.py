"""The deployment layer's prepared configuration (kefu_infra.layers.prepared_configuration): made by the domain code
from the stage's document, it gives each prepared reader exactly what validating the document gives it."""

from __future__ import annotations

import importlib
import json
import pickle
import re
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import BaseModel

from kefu import deployment
from kefu_infra import config, layers
from kefu_infra.paths import DOMAIN_LAYER

STAGES = ("dev", "prod")
for module in layers.CONFIGURATION_MODULES:  # their readers registered here too, as in the synth's child process
    importlib.import_module(module)


def same(prepared: Any, validated: Any, where: str = "") -> None:
    """`prepared` is `validated` to the last attribute: each object of the same type, models with the same fields,
    fields set, extras and private values (and nothing else kept, such as a cached property's value)."""
    assert type(prepared) is type(validated), f"{where}: {type(prepared)} != {type(validated)}"
    if isinstance(validated, BaseModel):
        assert prepared.model_fields_set == validated.model_fields_set, where
        assert prepared.__pydantic_extra__ == validated.__pydantic_extra__, where
        assert prepared.__pydantic_private__ == validated.__pydantic_private__, where
        same(vars(prepared), vars(validated), f"{where}.{type(validated).__name__}")
    elif isinstance(validated, dict | MappingProxyType):
        assert list(prepared) == list(validated), where
        for key in validated:
            same(prepared[key], validated[key], f"{where}[{key!r}]")
    elif isinstance(validated, list | tuple):
        assert len(prepared) == len(validated), where
        for index, (mine, theirs) in enumerate(zip(prepared, validated, strict=True)):
            same(mine, theirs, f"{where}[{index}]")
    else:
        assert prepared == validated, where


def text_of(stage: str) -> bytes:
    """The stage's document as the synth writes it into the deployment layer."""
    document = config.load(stage).for_functions(stage)
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


@pytest.mark.parametrize("stage", STAGES)
def test_each_prepared_reader_gets_what_validating_the_stages_document_gives(stage):
    text = text_of(stage)

    prepared = pickle.loads(layers.prepared_configuration(text))

    assert prepared["document"] == deployment._digest(text)
    # Every prepared reader is in the file (their modules are imported here, as in the synth's child process).
    assert set(prepared["readers"]) == set(deployment._PREPARED)
    for key, read in deployment._PREPARED.items():
        same(pickle.loads(prepared["readers"][key]), read(json.loads(text)), key)


def test_the_same_document_and_code_give_the_same_prepared_file():
    # Sets (a model's fields set) are pickled in iteration order: the child's fixed hash seed makes it one order.
    text = text_of("dev")

    assert layers.prepared_configuration(text) == layers.prepared_configuration(text)


def test_every_module_with_a_prepared_reader_is_prepared_by_the_synth():
    package = DOMAIN_LAYER / "python"
    declaring = {
        ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if re.search(r"(@|= )(deployment\.)?prepared_per_document\b", path.read_text(encoding="utf-8"))
    }

    assert declaring == set(layers.CONFIGURATION_MODULES)
    assert {key.partition(":")[0] for key in deployment._PREPARED} <= set(layers.CONFIGURATION_MODULES)


def test_a_document_delivered_with_its_prepared_file_is_read_from_it(tmp_path: Path, monkeypatch):
    from kefu.routing.config import routing_config
    from kefu.sla.config import sla_config

    text = text_of("prod")
    layers.write_deployment(tmp_path, text, layers.prepared_configuration(text))
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(tmp_path / layers.DEPLOYMENT_DOCUMENT))
    deployment.reload()
    try:
        delivered = deployment._delivered(str(tmp_path / layers.DEPLOYMENT_DOCUMENT))
        assert set(delivered.prepared) == set(deployment._PREPARED)
        same(routing_config(), deployment._PREPARED["kefu.routing.config:routing_config"](json.loads(text)))
        assert sla_config().calendar("business").since(date(2026, 12, 1)).time_zone == "Asia/Shanghai"
    finally:
        monkeypatch.delenv("KEFU_DEPLOYMENT_FILE")
        deployment.reload()
