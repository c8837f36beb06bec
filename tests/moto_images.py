"""Set-ups of the moto AWS that many tests start from, built once per test process and restored for each test.

Building a staffed desk (the tables, then groups and agents through the API, as an admin would) costs ~0.2 s of
CPU, more than many tests' own work; the bad-input desk's records for the portal, survey and QA routes cost up to
1.3 s. What a build leaves behind is moto's backends: Python objects, so the first build is pickled and every later
test gets the same backends back from the pickle in milliseconds. The build itself stays what it was (API calls,
domain calls): the first test of every process still makes it.

An image is restored only onto the state it was built on: the images applied since the mock started (in order), in
the same environment (kefu's settings, the deployment document), with no call to a captured service in between.
Otherwise the set-up is built as before and nothing is saved. State outside moto (kefu's per-process caches) is not
in an image: the autouse fixtures in tests/conftest.py clear those for every test, as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import botocore.handlers

from kefu_local import persistence

ACCOUNT, REGION = "123456789012", "us-east-1"
#: The services an image may hold; a call to any of them outside an image's build ends restoring for the test.
CAPTURED = frozenset({"dynamodb", "s3", "stepfunctions"})
#: Variables that differ between tests without changing what a build writes: each test's own survey secret, and the
#: deployment document's path (a folder of each test's own: the document counts by its content, below).
_PER_TEST = {"KEFU_SURVEY_SECRET_ARN", "KEFU_DEPLOYMENT_FILE"}
T = TypeVar("T")


class _Calls:
    """Calls to the captured services, counted by a botocore hook registered before any client exists."""

    count = 0

    def __call__(self, model: Any, **_: Any) -> None:
        if model.service_model.service_name in CAPTURED:
            _Calls.count += 1


botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _Calls()))


class _Lineage:
    """The images applied since the mock started (which saving of each), and the call count after the last one."""

    names: ClassVar[list[str]] = []
    mark = 0


def begin() -> None:
    """A new mock (empty backends): no image applied yet."""
    _Lineage.names = []
    _Lineage.mark = _Calls.count


def _holders(service: str) -> list[Any]:
    """The objects holding a service's state: its backend in the tests' account and region (S3's is global, and S3
    also keeps beside its accounts' backends which account owns which bucket)."""
    from moto.backends import get_backend

    backends = get_backend(service)  # type: ignore[call-overload]
    if service == "s3":
        return [backends, backends[ACCOUNT]["aws"]]
    return [backends[ACCOUNT][REGION]]


def _environment() -> str:
    """What in the environment a build depends on, as a key: kefu's and Powertools' variables, and the deployment
    document by its content (each test writes it to a folder of its own)."""
    parts = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(("KEFU_", "POWERTOOLS_")) and name not in _PER_TEST
    )
    document = os.environ.get("KEFU_DEPLOYMENT_FILE")
    if document and Path(document).is_file():
        parts.append(("deployment", hashlib.sha256(Path(document).read_bytes()).hexdigest()))
    return repr(parts)


class MotoImage:
    """The state of some moto services after a build, and what the build returned, restored instead of rebuilt."""

    def __init__(self, name: str, *services: str) -> None:
        assert set(services) <= CAPTURED, f"{set(services) - CAPTURED} must be in CAPTURED"
        self.name = name
        self.services = services
        self._saved: dict[tuple[tuple[str, ...], str], bytes] = {}

    def restore_or_build(self, build: Callable[[], T]) -> T:
        """The services as `build` leaves them, and its result: restored if this image was saved on the same state,
        else built (and saved, if the state it is built on is one an image can be restored onto)."""
        if _Calls.count != _Lineage.mark:
            return build()  # something else changed the AWS since the last image: nothing to restore onto
        key = (tuple(_Lineage.names), _environment())
        saved = self._saved.get(key)
        if saved is None:
            value = build()
            state = [vars(holder) for service in self.services for holder in _holders(service)]
            self._saved[key] = persistence.dumps((state, value))
        else:
            state, value = pickle.loads(saved)
            holders = [holder for service in self.services for holder in _holders(service)]
            for holder, attributes in zip(holders, state, strict=True):
                vars(holder).update(attributes)
        # The image as restored here, not just its name: the same image saved in another environment is other state.
        _Lineage.names.append(f"{self.name} #{list(self._saved).index(key)}")
        _Lineage.mark = _Calls.count
        return value
