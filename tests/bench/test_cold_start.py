"""Cold start of the API function, as a ratio to the floor every Python Lambda that talks to DynamoDB pays.

Each sample is a fresh interpreter (the venv's), with the environment and `sys.path` Lambda gives the function,
timing inside the child with `time.perf_counter()`:

- baseline:      `import boto3; boto3.client("dynamodb")`
- init:          `import handler` (the init phase)
- first request: `import handler`, then the first `GET /health` through `lambda_handler`

Kinds are interleaved, in a rotating order, so drift on the machine falls on all of them alike. Interpreter
start-up is outside every timing. Figures go to build/bench/cold_start.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "functions" / "api"
LAYER = ROOT / "layers" / "kefu" / "python"
REPORT = ROOT / "build" / "bench" / "cold_start.json"
ROUNDS = 15
TARGET_RATIO = 1.5

# What Lambda sets for the function (the deployed environment, with active tracing) plus fake credentials.
LAMBDA_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIDBENCHBENCHBENCH0",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_SESSION_TOKEN": "bench-token",
    "AWS_LAMBDA_FUNCTION_NAME": "kefu-api",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "LAMBDA_TASK_ROOT": str(FUNCTION),
    "_X_AMZN_TRACE_ID": "Root=1-6740f1a2-0b1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled=0",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "KEFU_STAGE": "bench",
    "KEFU_TABLE": "kefu-bench",
    "KEFU_IDEMPOTENCY_TABLE": "kefu-bench-idempotency",
    "POWERTOOLS_SERVICE_NAME": "kefu",
    "POWERTOOLS_METRICS_NAMESPACE": "kefu",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

_PRELUDE = f"""
import sys, time
sys.path[:0] = [{str(FUNCTION)!r}, {str(LAYER)!r}]
"""

_REPORT = """
import json
print("BENCH " + json.dumps(result))
"""

CHILDREN = {
    "baseline": """
        t0 = time.perf_counter()
        import boto3
        boto3.client("dynamodb")
        t1 = time.perf_counter()
        result = {"ms": (t1 - t0) * 1000}
    """,
    "init": """
        t0 = time.perf_counter()
        import handler
        t1 = time.perf_counter()
        result = {"ms": (t1 - t0) * 1000}
    """,
    # The chosen stack alone, no kefu code: what any function on it pays before doing anything of its own.
    "stack_floor": """
        t0 = time.perf_counter()
        from aws_lambda_powertools import Logger, Metrics, Tracer
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
        from aws_lambda_powertools.event_handler.openapi.params import Query
        import pynamodb.models, pynamodb.transactions
        Logger(service="floor"); Tracer(service="floor"); Metrics(namespace="floor")
        resolver = APIGatewayHttpResolver(enable_validation=True)

        @resolver.get("/probe")
        def probe(q: Query = None):
            return {}
        t1 = time.perf_counter()
        result = {"ms": (t1 - t0) * 1000}
    """,
    "first_request": f"""
        t0 = time.perf_counter()
        import handler
        t1 = time.perf_counter()
        import json as _json
        event = _json.loads(open({str(ROOT / "events" / "apigw_v2_get_ticket_agent.json")!r}).read())
        event.update(rawPath="/health", rawQueryString="", body=None, isBase64Encoded=False)
        event["requestContext"]["http"].update(method="GET", path="/health")

        class Context:
            function_name = "kefu-api"
            memory_limit_in_mb = 512
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kefu-api"
            aws_request_id = "00000000-0000-0000-0000-000000000001"

            def get_remaining_time_in_millis(self):
                return 29_000

        context = Context()
        t2 = time.perf_counter()
        answer = handler.lambda_handler(event, context)
        t3 = time.perf_counter()
        assert answer["statusCode"] == 200, answer
        result = {{"ms": (t1 - t0 + t3 - t2) * 1000, "init_ms": (t1 - t0) * 1000, "request_ms": (t3 - t2) * 1000}}
    """,
}


def child_env() -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {**keep, **LAMBDA_ENV}


def sample(kind: str) -> dict[str, float]:
    code = _PRELUDE + textwrap.dedent(CHILDREN[kind]) + _REPORT
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(),
        cwd=FUNCTION,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{kind} child failed:\n{done.stderr[-3000:]}"
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def measure(rounds: int) -> dict[str, list[dict[str, float]]]:
    kinds = list(CHILDREN)
    for kind in kinds:  # warm-up: byte-code caches written, discarded
        sample(kind)
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for round_number in range(rounds):
        shift = round_number % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            samples[kind].append(sample(kind))
    return samples


def median_ms(samples: list[dict[str, float]], key: str = "ms") -> float:
    return statistics.median(s[key] for s in samples)


def show(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Cold start of functions/api ({figures['rounds']} fresh interpreters each, medians)")
    table.add_column("what is timed")
    table.add_column("median ms", justify="right")
    table.add_column("min–max ms", justify="right")
    table.add_column("× baseline", justify="right")
    for kind, label in (
        ("baseline", 'import boto3; boto3.client("dynamodb")'),
        ("stack_floor", "Powertools resolver+validation, Logger/Tracer/Metrics, pynamodb"),
        ("init", "import handler (init phase)"),
        ("first_request", "import handler + first GET /health"),
    ):
        row = figures["kinds"][kind]
        table.add_row(
            label, f"{row['median_ms']:.0f}", f"{row['min_ms']:.0f}–{row['max_ms']:.0f}", f"{row['ratio']:.2f}"
        )
    Console().print(table)
    first = figures["kinds"]["first_request"]
    print(f"first request alone: median {first['median_request_ms']:.0f} ms; target init ratio ≤ {TARGET_RATIO}")


def test_the_api_functions_cold_start_stays_within_one_and_a_half_times_the_boto3_floor():
    # Given fresh interpreters set up as Lambda sets them up, interleaved,
    # when the handler is imported (and answers a first request) and when only boto3 and a client are made,
    # then the handler's init phase costs at most 1.5 times the baseline's
    samples = measure(ROUNDS)
    baseline = median_ms(samples["baseline"])
    figures = {
        "rounds": ROUNDS,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "target_ratio": TARGET_RATIO,
        "kinds": {
            kind: {
                "median_ms": median_ms(runs),
                "min_ms": min(s["ms"] for s in runs),
                "max_ms": max(s["ms"] for s in runs),
                "ratio": median_ms(runs) / baseline,
                "samples_ms": [round(s["ms"], 2) for s in runs],
            }
            for kind, runs in samples.items()
        },
    }
    figures["kinds"]["first_request"]["median_request_ms"] = median_ms(samples["first_request"], "request_ms")
    figures["kinds"]["first_request"]["median_init_ms"] = median_ms(samples["first_request"], "init_ms")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    show(figures)

    ratio = figures["kinds"]["init"]["ratio"]
    assert ratio <= TARGET_RATIO, f"init is {ratio:.2f}× the boto3 floor (target ≤ {TARGET_RATIO}); see {REPORT}"
