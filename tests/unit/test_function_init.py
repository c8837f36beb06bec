"""Each function's init phase runs without the cyclic garbage collector, and turns it back on when it ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/handler.py"))
LAYER = ROOT / "layers" / "kefu" / "python"

PROBE = textwrap.dedent(
    """
    import gc, importlib.util, json, sys
    # The module is compiled first (Lambda gets it compiled: the bytecode is shipped), so only its body is watched
    spec = importlib.util.find_spec("handler")
    code = spec.loader.get_code("handler")
    module = importlib.util.module_from_spec(spec)
    sys.modules["handler"] = module
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    gc.collect()  # a collection before the import is counted, so the counter is seen to work
    before = len(collections)
    frozen_before = gc.get_freeze_count()
    exec(code, module.__dict__)
    during = len(collections) - before
    gc.collect()
    print(json.dumps({"before": before, "during": during, "enabled": gc.isenabled(),
                      "frozen": gc.get_freeze_count() - frozen_before, "after": len(collections) - before - during}))
    """
)


def test_every_function_is_checked():
    assert len(FUNCTIONS) >= 7 and "api" in FUNCTIONS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_functions_init_triggers_no_collection_and_leaves_the_collector_on_with_init_frozen(name: str):
    # Given a fresh interpreter set up as Lambda sets up the function
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
    # When its handler module is run (the init phase)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=function, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then no collection ran during it (an import this size triggers dozens otherwise), the collector is on again,
    # what init allocated is frozen out of its generations, and a later collection runs as usual
    assert result["before"] == 1
    assert result["during"] == 0
    assert result["enabled"] is True
    assert result["frozen"] > 10_000
    assert result["after"] == 1
