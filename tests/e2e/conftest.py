"""Fixtures that start `kefu local up` (see local_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .local_stack import LocalStackProcess, new_stack


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """One stack shared by a module's tests (each start costs seconds)."""
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
