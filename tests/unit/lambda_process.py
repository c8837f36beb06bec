"""A fresh interpreter set up as Lambda sets up one of kefu's functions (its folder and the layer on the path, its
name and region in the environment), for tests of what the init phase does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/handler.py"))
LAYER = ROOT / "layers" / "kefu" / "python"


def run_in_function(name: str, code: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -c code` in function `name`'s folder, its environment as Lambda's (tracing off, dummy tables)."""
    function = ROOT / "functions" / name
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(
        AWS_LAMBDA_FUNCTION_NAME=f"kefu-{name}",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        LAMBDA_TASK_ROOT=str(function),
        PYTHONPATH=os.pathsep.join([str(function), str(LAYER)]),
        KEFU_TABLE="kefu-test",
        KEFU_IDEMPOTENCY_TABLE="kefu-test-idempotency",
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=function, capture_output=True, text=True, timeout=timeout
    )
