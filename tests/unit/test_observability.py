"""The X-Ray SDK's centralized-sampling clients are built on first use, not on import (cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "kefu" / "python"

PROBE = textwrap.dedent(
    """
    import json
    import botocore.session

    created = []
    create_client = botocore.session.Session.create_client

    def counting(self, service_name, *args, **kwargs):
        created.append(service_name)
        return create_client(self, service_name, *args, **kwargs)

    botocore.session.Session.create_client = counting
    import kefu.observability
    from aws_xray_sdk.core.sampling.connector import ServiceConnector

    on_import = list(created)
    client = ServiceConnector()._xray_client
    service = client.meta.service_model.service_name  # first use builds it
    print(json.dumps({"on_import": on_import, "lazy": type(client).__name__, "service": service,
                      "tracer_enabled": not kefu.observability.tracer.disabled}))
    """
)


def run_probe() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(AWS_LAMBDA_FUNCTION_NAME="kefu-api", LAMBDA_TASK_ROOT=str(LAYER), PYTHONPATH=str(LAYER))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_sampling_client_is_not_built_when_the_tracer_is_set_up_but_is_built_on_first_use():
    # Given a fresh interpreter in a Lambda-like environment with tracing on
    # When the observability singletons are imported and the sampling client is then used
    result = run_probe()
    # Then the tracer is active, the client was deferred, and it is a working X-Ray client once used
    assert result["tracer_enabled"] is True
    assert "xray" not in result["on_import"]
    assert result["lazy"] == "_LazyXrayClient"
    assert result["service"] == "xray"
