"""The deployment's configuration as `cdk deploy` delivered it (KEFU_DEPLOYMENT_FILE, a JSON document).

Support groups declared there exist without being stored: reading one costs no DynamoDB call, and an operator
changes them only by deploying. Groups an admin adds through the API are stored and come second.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from kefu.config import reload_settings, settings

if TYPE_CHECKING:
    from kefu.model.agents import Group

_DEPLOYED_AT = datetime(1970, 1, 1, tzinfo=UTC)

T = TypeVar("T")


def document() -> dict[str, Any]:
    """The document at KEFU_DEPLOYMENT_FILE (the settings'), read once; empty when no file is named."""
    return _read(settings().deployment_file)


@cache
def _read(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def reload() -> None:
    """Read the document again on next use (and the settings that name it)."""
    reload_settings()
    _read.cache_clear()


def per_document(read: Callable[[dict[str, Any]], T]) -> Callable[[], T]:
    """`read` (a configuration read from the deployment document) made a function of no argument that reads it once
    per deployment document: after `reload()` its next call reads the new one."""
    loaded: tuple[dict[str, Any], T] | None = None

    def current() -> T:
        nonlocal loaded
        delivered = document()
        if loaded is None or loaded[0] is not delivered:
            loaded = (delivered, read(delivered))
        return loaded[1]

    current.__name__, current.__qualname__, current.__doc__ = read.__name__, read.__qualname__, read.__doc__
    return current


@per_document
def configured_groups(document: dict[str, Any]) -> Mapping[str, Group]:
    """The groups the deployment declares, by id: built once per deployment document (a ticket's opening asks for
    them several times: its group, its roster's assignment mode), read-only as every caller shares them."""
    # Imported here: what else reads the document (the access scope a ticket read checks) needs no group model.
    from kefu.model.agents import Group, GroupSpec

    return MappingProxyType(
        {
            group_id: Group(id=group_id, updatedAt=_DEPLOYED_AT, **GroupSpec.model_validate(spec).model_dump())
            for group_id, spec in document.get("groups", {}).items()
        }
    )
