"""The prepared configuration beside the deployment document (kefu.deployment.prepare): its readers' values are
unpickled from it when it was made from this very document, and validated from the document otherwise, the log
saying why when a prepared file is there but cannot count."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import MappingProxyType

import pytest

from kefu import deployment
from kefu.routing.config import RoutingConfig, routing_config
from kefu.sla.config import SlaConfig, sla_config
from kefu.tickets.access import AgentScope, access_settings

DOCUMENT = {
    "groups": {"l1": {"name": "First line", "kind": "general"}},
    "routing": {"default_group": "l1", "repeat_threshold": 2},
    "sla": {"auto_close_after": "3d"},
    "access": {"agents": "groups"},
}


def write(folder: Path, document: dict, prepared_from: dict | None = None) -> Path:
    """The document at `folder/kefu-deployment.json`, and beside it what the readers make of `prepared_from`
    (the document itself by default)."""
    text = json.dumps(document).encode()
    path = folder / "kefu-deployment.json"
    path.write_bytes(text)
    prepared = deployment.prepare(json.dumps(prepared_from).encode() if prepared_from is not None else text)
    path.with_suffix(deployment.PREPARED_SUFFIX).write_bytes(prepared)
    return path


@pytest.fixture
def deliver(monkeypatch):
    def use(path: Path) -> None:
        monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployment.reload()

    yield use
    monkeypatch.delenv("KEFU_DEPLOYMENT_FILE", raising=False)
    deployment.reload()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]


def unpickled_for(path: Path) -> set[str]:
    """The readers whose values the prepared file beside `path` holds."""
    return set(pickle.loads(path.with_suffix(deployment.PREPARED_SUFFIX).read_bytes())["readers"])


def test_the_prepared_file_holds_each_prepared_readers_value_and_not_the_others(tmp_path):
    path = write(tmp_path, DOCUMENT)

    held = unpickled_for(path)

    prepared = {"kefu.routing.config:routing_config", "kefu.sla.config:sla_config", "kefu.deployment:configured_groups"}
    assert prepared <= held
    # The access scope validates its one-field model: cheaper than loading the prepared file for it (the API's case).
    assert "kefu.tickets.access:access_settings" not in held


def test_readers_take_their_values_from_the_prepared_file_made_from_this_document(tmp_path, deliver, caplog):
    path = write(tmp_path, DOCUMENT)
    # A prepared file whose value differs from what the document validates to shows which one is read.
    made = pickle.loads(path.with_suffix(deployment.PREPARED_SUFFIX).read_bytes())
    made["readers"]["kefu.routing.config:routing_config"] = pickle.dumps(RoutingConfig(repeat_threshold=7))
    path.with_suffix(deployment.PREPARED_SUFFIX).write_bytes(pickle.dumps(made))
    deliver(path)

    assert routing_config().repeat_threshold == 7
    assert sla_config() == SlaConfig.model_validate(DOCUMENT["sla"])
    assert access_settings().agents is AgentScope.GROUPS
    assert warnings(caplog) == []


def test_a_prepared_file_made_from_another_document_is_not_used_and_the_log_says_so(tmp_path, deliver, caplog):
    other = {**DOCUMENT, "routing": {"default_group": "l1", "repeat_threshold": 5}}
    deliver(write(tmp_path, DOCUMENT, prepared_from=other))

    assert routing_config().repeat_threshold == 2
    assert sla_config().auto_close_after == "3d"
    [warning] = warnings(caplog)
    assert "made from another document" in warning


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps({"readers": {}})])
def test_an_unreadable_prepared_file_is_not_used_and_the_log_says_so(tmp_path, deliver, caplog, content):
    path = write(tmp_path, DOCUMENT)
    path.with_suffix(deployment.PREPARED_SUFFIX).write_bytes(content)
    deliver(path)

    assert routing_config() == RoutingConfig.model_validate(DOCUMENT["routing"])
    [warning] = warnings(caplog)
    assert "cannot be read" in warning


def test_a_prepared_value_that_cannot_be_unpickled_is_validated_from_the_document(tmp_path, deliver, caplog):
    path = write(tmp_path, DOCUMENT)
    made = pickle.loads(path.with_suffix(deployment.PREPARED_SUFFIX).read_bytes())
    made["readers"]["kefu.sla.config:sla_config"] = b"\x80\x05damaged"
    path.with_suffix(deployment.PREPARED_SUFFIX).write_bytes(pickle.dumps(made))
    deliver(path)

    assert sla_config() == SlaConfig.model_validate(DOCUMENT["sla"])
    [warning] = warnings(caplog)
    assert warning.startswith("kefu.sla.config:sla_config: its prepared configuration cannot be read")
    assert routing_config().repeat_threshold == 2


def test_without_a_prepared_file_the_document_is_validated_and_nothing_is_logged(tmp_path, deliver, caplog):
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    deliver(path)

    assert routing_config() == RoutingConfig.model_validate(DOCUMENT["routing"])
    assert warnings(caplog) == []


def test_after_a_reload_the_new_document_and_its_prepared_file_are_read(tmp_path, deliver):
    deliver(write(tmp_path, DOCUMENT))
    assert routing_config().repeat_threshold == 2

    deliver(write(tmp_path, {**DOCUMENT, "routing": {"default_group": "l1", "repeat_threshold": 3}}))

    assert routing_config().repeat_threshold == 3


def test_the_configured_groups_are_prepared_as_a_read_only_mapping(tmp_path, deliver):
    deliver(write(tmp_path, DOCUMENT))

    groups = deployment.configured_groups()

    assert list(groups) == ["l1"] and groups["l1"].name == "First line"
    with pytest.raises(TypeError):
        groups["l2"] = groups["l1"]  # type: ignore[index]


def attribute_names(value: object) -> list[str]:
    """The attribute names of every object reachable from `value` through containers and attributes."""
    names, seen, pending = [], set(), [value]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, dict | MappingProxyType):
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(attributes := getattr(item, "__dict__", None), dict):
            names += list(attributes)
            pending.extend(attributes.values())
    return names


def test_prepared_values_read_their_attributes_by_interned_names(tmp_path, deliver):
    # Unpickled, an object's attribute names are new strings; Python reads attributes by interned names, and every
    # read of an object whose names are not missed its fast path (~3x slower): a warm opening reads the routing
    # rules and the calendars on every ticket.
    import sys

    deliver(write(tmp_path, DOCUMENT))

    for value in (routing_config(), sla_config(), deployment.configured_groups()):
        names = attribute_names(value)
        assert names, value
        assert [name for name in names if name is not sys.intern(name)] == [], type(value).__name__
