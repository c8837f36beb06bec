"""The Lambda-like tree both cold-start benches time (tests/bench/lambda_like.py), built once a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import lambda_like
from tests.bench.lambda_like import LambdaLike

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cold_start_tree() -> LambdaLike:
    """The tree of functions/api, its layers and dependencies, rebuilt on every run so it is never stale."""
    return lambda_like.build(
        ROOT / "build" / "bench" / "lambda",
        ROOT / "pyproject.toml",
        ROOT / "functions" / "api",
        ROOT / "layers" / "kefu" / "python",
    )
