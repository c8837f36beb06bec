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


CALL_PROBE = textwrap.dedent(
    """
    import json
    import botocore.session
    from botocore.stub import Stubber

    import kefu.observability
    from aws_xray_sdk.core import xray_recorder

    begun = []
    begin = xray_recorder.begin_subsegment

    def counting(name, namespace="local"):
        begun.append(name)
        return begin(name, namespace)

    xray_recorder.begin_subsegment = counting
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="probe", aws_secret_access_key="probe"
    )
    stub = Stubber(client)
    stub.add_response("list_tables", {"TableNames": ["kefu"]})
    stub.activate()
    handler = xray_recorder.begin_subsegment("## handler")
    answer = client.list_tables()["TableNames"]
    xray_recorder.end_subsegment()
    print(json.dumps({"begun": begun, "answer": answer, "handler_sampled": handler.sampled}))
    """
)


def run_call_probe(sampled: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(AWS_LAMBDA_FUNCTION_NAME="kefu-api", LAMBDA_TASK_ROOT=str(LAYER), PYTHONPATH=str(LAYER))
    env.update(_X_AMZN_TRACE_ID=f"Root=1-6740f1a2-0b1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled={sampled}")
    env.update(AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR", AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9")  # nothing listens
    done = subprocess.run([sys.executable, "-c", CALL_PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_aws_call_gets_its_subsegment_in_a_sampled_trace_and_none_in_an_unsampled_one():
    # Given the tracer set up in a Lambda-like environment, and a handler's subsegment open
    # When an AWS call is made in a sampled trace, then in an unsampled one
    sampled, unsampled = run_call_probe(1), run_call_probe(0)
    # Then the sampled call is recorded in a subsegment of its own; the unsampled one (whose dummy subsegment would
    # never be sent) is made without one; both answer
    assert sampled["handler_sampled"] is True and sampled["begun"] == ["## handler", "dynamodb"]
    assert unsampled["handler_sampled"] is False and unsampled["begun"] == ["## handler"]
    assert sampled["answer"] == unsampled["answer"] == ["kefu"]


REFRESH_PROBE = textwrap.dedent(
    """
    import json
    import os
    import kefu.observability
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.models import trace_header

    parsed = []
    parse = trace_header.TraceHeader.from_header_str.__func__

    def counting(cls, header):
        parsed.append(header)
        return parse(cls, header)

    trace_header.TraceHeader.from_header_str = classmethod(counting)
    first = xray_recorder.get_trace_entity()
    subsegment = xray_recorder.begin_subsegment("## handler")
    lookups = [xray_recorder.get_trace_entity() is subsegment for _ in range(5)]
    first_parses = len(parsed)
    # A new invocation: another trace header
    os.environ["_X_AMZN_TRACE_ID"] = "Root=1-6740f1a2-111111111111111111111111;Parent=53995c3f42cd8ad9;Sampled=1"
    second = xray_recorder.get_trace_entity()
    again = xray_recorder.get_trace_entity()
    print(json.dumps({
        "first_trace": first.trace_id, "second_trace": second.trace_id, "same_again": again is second,
        "lookups": lookups, "first_parses": first_parses, "parses": len(parsed),
        "second_subsegments": len(xray_recorder.context._local.entities),
    }))
    """
)


def test_the_lambda_context_parses_an_invocations_trace_header_once_and_a_new_one_starts_a_new_segment():
    # Given the tracer set up in a Lambda-like environment, in an invocation's trace
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(AWS_LAMBDA_FUNCTION_NAME="kefu-api", LAMBDA_TASK_ROOT=str(LAYER), PYTHONPATH=str(LAYER))
    env.update(_X_AMZN_TRACE_ID="Root=1-6740f1a2-0b1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled=1")
    env.update(AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR", AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9")
    # When the current entity is looked up again and again, then after the header changed (the next invocation)
    done = subprocess.run([sys.executable, "-c", REFRESH_PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then the invocation's lookups find its open subsegment, its header parsed twice in all (X-Ray's refresh and
    # kefu's check of the segment it kept), not at every lookup
    assert result["lookups"] == [True] * 5
    assert result["first_parses"] == 2
    # And the next invocation's header makes a new segment for its trace, the last one's subsegments left behind
    assert result["first_trace"] == "1-6740f1a2-0b1c2d3e4f5a6b7c8d9e0f1a"
    assert result["second_trace"] == "1-6740f1a2-111111111111111111111111"
    assert result["same_again"] is True and result["second_subsegments"] == 0
    assert result["parses"] == 4
