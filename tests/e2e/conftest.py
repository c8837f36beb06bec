"""Fixtures that start `kefu local up` (see local_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .local_stack import (
    DEFAULT_STACK,
    LocalStackProcess,
    SharedStack,
    new_stack,
    shared_stack,
)


@pytest.fixture(scope="session")
def _default_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedStack]:
    with shared_stack(
        request.config, [DEFAULT_STACK], lambda: new_stack(tmp_path_factory.mktemp("kefu-local"))
    ) as shared:
        yield shared


@pytest.fixture(scope="module")
def running_stack(_default_stack: SharedStack) -> LocalStackProcess:
    """The stack of the default configuration, one per test process, shared by every module that uses it: a start
    costs ~9 s of CPU. The modules using it are in the DEFAULT_STACK xdist group, so under `--dist loadgroup` one
    worker starts it once, and stops it after the group's last test (SharedStack). Its tests see each other's data:
    each works with subjects, customers and agents of its own, and counts only those."""
    return _default_stack.running()


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[LocalStackProcess]:
    """A stack of the test's own, not started yet; killed at the end if still running."""
    stack = new_stack(tmp_path)
    yield stack
    stack.kill()
