"""What a function's init imports: only what its work needs (each import is paid on every cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "kefu" / "python"
PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"


def modules_after_init(name: str) -> set[str]:
    function = ROOT / "functions" / name
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(
        AWS_LAMBDA_FUNCTION_NAME=f"kefu-{name}",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        PYTHONPATH=os.pathsep.join([str(function), str(LAYER)]),
    )
    probe = "import json, sys, handler; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=function, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", ["intake", "email_inbound", "notifications"])
def test_a_queue_consumers_init_leaves_out_powertools_parser_models_of_every_event_source(name: str):
    # Given the function's folder, when its handler module is imported (the init phase)
    modules = modules_after_init(name)
    # then its record model did not bring in Powertools' parser models (one per event source, all built at import)
    assert "aws_lambda_powertools.utilities.batch" in modules
    assert PARSER_MODELS not in modules


def test_the_apis_init_leaves_out_the_qa_checks_routing_and_boto3():
    # Given the API function, when its handler module is imported
    modules = modules_after_init("api")
    # then the QA routes are there without the automatic checks (and the routing and SLA settings they read), and
    # boto3 (the first request reads DynamoDB through pynamodb's botocore client) is not imported
    assert "qa_routes" in modules and "kefu.qa.model" in modules
    assert not {"kefu.qa.checks", "kefu.routing", "kefu.sla", "boto3"} & modules
