"""Fixtures that start `kefu local up` (see local_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .local_stack import LocalStackProcess, new_stack


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """The stack of the default configuration, one per test process, shared by every module that uses it: a start
    costs ~9 s of CPU, and a stack alive costs more while it polls. The modules using it are in the DEFAULT_STACK
    xdist group, so under `--dist loadgroup` one worker starts it once. Its tests see each other's data: each works
    with subjects, customers and agents of its own, and counts only those."""
    stack = new_stack(tmp_path_factory.mktemp("kefu-local"))
    stack.start()
    yield stack
    stack.stop_if_running()


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[LocalStackProcess]:
    """A stack of the test's own, not started yet; killed at the end if still running."""
    stack = new_stack(tmp_path)
    yield stack
    stack.kill()
