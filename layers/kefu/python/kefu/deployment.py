"""The deployment's configuration as `cdk deploy` delivered it (KEFU_DEPLOYMENT_FILE, a JSON document).

Support groups declared there exist without being stored: reading one costs no DynamoDB call, and an operator
changes them only by deploying. Groups an admin adds through the API are stored and come second.

The larger configurations read from the document (`prepared_per_document`: the routing, the SLA, the groups, …)
are validated with the models the synth validated the stage's file with; validating them again built those models'
schemas on every cold start (~13 M instructions each for the routing and the SLA configuration, callgrind). So the
synth also writes, beside the document, what each such reader makes of it (`prepare`: `kefu-deployment.pickle`
beside `kefu-deployment.json`), and the reader unpickles its value from there instead. That file is trusted as the
code is: both come from the same synth, in the same deployment. It counts only for the document it was made from
(its hash is inside). Without it (tests, a hand-written document) a reader validates the document; when it is there
but made from another document or unreadable, the readers validate too, and say so in the log.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kefu.config import reload_settings, settings

if TYPE_CHECKING:
    from kefu.model.agents import Group

_DEPLOYED_AT = datetime(1970, 1, 1, tzinfo=UTC)
#: The prepared file's name beside a document named `<name>.json`: `<name>.pickle`.
PREPARED_SUFFIX = ".pickle"

T = TypeVar("T")

#: The prepared readers (`prepared_per_document`) of the modules imported, by "module:name": what `prepare` runs.
_PREPARED: dict[str, Callable[[dict[str, Any]], Any]] = {}


class _Delivered:
    """A deployment document as read, and what the synth's readers made of it."""

    def __init__(self, path: str | None) -> None:
        self._text = b""
        self._prepared_file: Path | None = None
        self.document: dict[str, Any] = {}
        if path:
            self._text = Path(path).read_bytes()
            self._prepared_file = Path(path).with_suffix(PREPARED_SUFFIX)
            self.document = json.loads(self._text.decode("utf-8"))

    @cached_property
    def prepared(self) -> Mapping[str, bytes]:
        """What each reader made of this document at synth, pickled, by reader; empty without a prepared file."""
        if self._prepared_file is None:
            return {}
        try:
            made = self._prepared_file.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            prepared = _unpickled(made)
            if prepared["document"] == _digest(self._text):
                return cast(Mapping[str, bytes], prepared["readers"])
            problem = "it was made from another document"
        except Exception as err:  # whatever is wrong with it, the document itself is read
            problem = f"it cannot be read ({err!r})"
        _fallen_back(f"{self._prepared_file}: {problem}: the configuration is validated from the document instead")
        return {}


def document() -> dict[str, Any]:
    """The document at KEFU_DEPLOYMENT_FILE (the settings'), read once; empty when no file is named."""
    return _delivered(settings().deployment_file).document


@cache
def _delivered(path: str | None) -> _Delivered:
    return _Delivered(path)


def _unpickled(data: bytes) -> Any:
    # pickle's C accelerator, which `pickle.loads` is: importing `pickle` itself also builds its pure-Python
    # Pickler and Unpickler, ~4 M instructions more (callgrind) than loading needs. Imported here: a function whose
    # document has no prepared file (tests, a hand-written document) never loads it.
    from _pickle import loads

    return loads(data)


def _digest(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def _fallen_back(message: str) -> None:
    # Imported here: only a damaged deployment gets here, and the Logger is not this module's to make.
    from kefu.observability import logger

    logger.warning(message)


def reload() -> None:
    """Read the document again on next use (and the settings that name it)."""
    reload_settings()
    _delivered.cache_clear()


def per_document(read: Callable[[dict[str, Any]], T]) -> Callable[[], T]:
    """`read` (a configuration read from the deployment document) made a function of no argument that reads it once
    per deployment document: after `reload()` its next call reads the new one."""
    return _once_per_document(read, None)


def prepared_per_document(read: Callable[[dict[str, Any]], T]) -> Callable[[], T]:
    """`per_document`, for a reader the synth also runs (`prepare`): on a cold start, what it made of the document
    is unpickled from the prepared file instead of validating the document again.

    For readers that validate larger models (schemas of several M instructions to build): loading the prepared file
    costs ~2 M (pickle's loader, the file, its hash), more than validating a model of a field or two (the access
    scope, which the API reads alone) or no model (the desk's time zone)."""
    key = f"{read.__module__}:{read.__qualname__}"
    _PREPARED[key] = read
    return _once_per_document(read, key)


def _once_per_document(read: Callable[[dict[str, Any]], T], key: str | None) -> Callable[[], T]:
    loaded: tuple[_Delivered, T] | None = None

    def current() -> T:
        nonlocal loaded
        delivered = _delivered(settings().deployment_file)
        if loaded is None or loaded[0] is not delivered:
            loaded = (delivered, read(delivered.document) if key is None else _made(key, read, delivered))
        return loaded[1]

    current.__name__, current.__qualname__, current.__doc__ = read.__name__, read.__qualname__, read.__doc__
    return current


def _made(key: str, read: Callable[[dict[str, Any]], T], delivered: _Delivered) -> T:
    prepared = delivered.prepared.get(key)
    if prepared is not None:
        try:
            made: T = _with_interned_names(_unpickled(prepared))
        except Exception as err:  # the document itself is read instead
            _fallen_back(f"{key}: its prepared configuration cannot be read ({err!r}): validated from the document")
        else:
            return made
    return read(delivered.document)


#: Values holding no attributes, most of a configuration (its keywords, its times): passed over at once.
_PLAIN = (str, int, float, type(None), date, time, timedelta, Enum)


def _with_interned_names(value: T) -> T:
    """`value` with the attribute names of every object in it interned, as a class's own names are.

    Unpickling makes each object's `__dict__` keys new strings. Python reads an attribute by its interned name, and
    on a dict whose keys are not interned that read leaves its fast path: ~3x slower per read (measured on the
    routing configuration), which a warm ticket's opening paid on every rule and keyword it read (kefu's own
    instructions per API create +1.1%, per intake contact +1.9%, callgrind)."""
    seen: set[int] = set()
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _PLAIN) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict | MappingProxyType):
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(attributes := getattr(item, "__dict__", None), dict) and not isinstance(item, type):
            if any(name is not sys.intern(name) for name in attributes):  # else its names are the class's already
                object.__setattr__(item, "__dict__", {sys.intern(name): held for name, held in attributes.items()})
            pending.extend(attributes.values())
    return value


def prepare(text: bytes) -> bytes:
    """The prepared file for a deployment document's text: what each prepared reader of the modules imported makes of
    it, pickled, with the text's hash. The synth writes it beside the document with the code it ships
    (infra/kefu_infra/layers.py); a reader whose module was not imported is left out, and validates the document."""
    import pickle

    delivered = json.loads(text.decode("utf-8"))
    readers = {key: _pickled(read(delivered)) for key, read in sorted(_PREPARED.items())}
    return pickle.dumps({"document": _digest(text), "readers": readers}, protocol=5)


def _pickled(value: Any) -> bytes:
    import pickle

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    # A read-only view (configured_groups) cannot be pickled as it is: it is written as the view of its mapping.
    pickler.dispatch_table = {MappingProxyType: lambda view: (read_only, (dict(view),))}
    pickler.dump(value)
    return buffer.getvalue()


def read_only(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view of `mapping` (what a prepared read-only view is unpickled with)."""
    return MappingProxyType(mapping)


@prepared_per_document
def configured_groups(document: dict[str, Any]) -> Mapping[str, Group]:
    """The groups the deployment declares, by id: built once per deployment document (a ticket's opening asks for
    them several times: its group, its roster's assignment mode), read-only as every caller shares them."""
    # Imported here: what else reads the document (the access scope a ticket read checks) needs no group model.
    from kefu.model.agents import Group, GroupSpec

    return read_only(
        {
            group_id: Group(id=group_id, updatedAt=_DEPLOYED_AT, **GroupSpec.model_validate(spec).model_dump())
            for group_id, spec in document.get("groups", {}).items()
        }
    )
