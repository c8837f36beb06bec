"""Cold start of the API function, as a ratio to the floor every Python Lambda that talks to DynamoDB pays.

Each sample is a fresh interpreter (the venv's, started with `-S -s`: no site-packages, no .pth files) whose
`sys.path` holds only what a deployed function has, built afresh under build/bench/lambda/ by `lambda_like`: the
function's folder, the kefu domain layer and the runtime closure of `[project].dependencies`. The environment is
Lambda's, with `PYTHONDONTWRITEBYTECODE=1` (Lambda's file system is read-only). The tree exists twice: `compiled`,
with `unchecked-hash` bytecode beside every module as deployment ships it, and `source`, sources alone. Timing is
inside the child with `time.perf_counter()`:

- baseline:        `import boto3; boto3.client("dynamodb")`, compiled (every ratio is to this)
- stack floor:     Powertools resolver with validation, Logger/Tracer/Metrics, pynamodb, compiled
- init:            `import handler` (the init phase), compiled — the target applies to this one
- first request:   `import handler`, then the first `GET /health` through `lambda_handler`, compiled
- init, source:    `import handler` with layers and function shipped without bytecode
- baseline, source: `import boto3; boto3.client("dynamodb")` without bytecode

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

from tests.bench.lambda_like import LambdaLike, Variant

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "functions" / "api"
LAYER = ROOT / "layers" / "kefu" / "python"
PYPROJECT = ROOT / "pyproject.toml"
BENCH = ROOT / "build" / "bench"
TREE = BENCH / "lambda"
REPORT = BENCH / "cold_start.json"
ROUNDS = 15
TARGET_RATIO = 1.5
#: Bytecode must at least halve the init: if the compiled variant compiled from source, this would catch it.
BYTECODE_RATIO = 0.5

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
    "_X_AMZN_TRACE_ID": "Root=1-6740f1a2-0b1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled=0",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "KEFU_STAGE": "bench",
    "KEFU_TABLE": "kefu-bench",
    "KEFU_IDEMPOTENCY_TABLE": "kefu-bench-idempotency",
    "POWERTOOLS_SERVICE_NAME": "kefu",
    "POWERTOOLS_METRICS_NAMESPACE": "kefu",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
    # Lambda mounts code read-only: Python never writes bytecode there, so the source variant compiles every time.
    "PYTHONDONTWRITEBYTECODE": "1",
}

_PRELUDE = """
import sys, time
sys.path[:0] = {sys_path!r}
"""

_REPORT = """
import json
print("BENCH " + json.dumps(result))
"""

_BOTO3 = """
    t0 = time.perf_counter()
    import boto3
    boto3.client("dynamodb")
    t1 = time.perf_counter()
    result = {"ms": (t1 - t0) * 1000}
"""

_INIT = """
    t0 = time.perf_counter()
    import handler
    t1 = time.perf_counter()
    result = {"ms": (t1 - t0) * 1000}
"""

#: kind -> (variant, child code)
CHILDREN: dict[str, tuple[str, str]] = {
    "baseline": ("compiled", _BOTO3),
    "init": ("compiled", _INIT),
    # The chosen stack alone, no kefu code: what any function on it pays before doing anything of its own.
    "stack_floor": (
        "compiled",
        """
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
    ),
    "first_request": (
        "compiled",
        f"""
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
    ),
    "init_source": ("source", _INIT),
    "baseline_source": ("source", _BOTO3),
}

LABELS = {
    "baseline": 'import boto3; boto3.client("dynamodb")',
    "stack_floor": "Powertools resolver+validation, Logger/Tracer/Metrics, pynamodb",
    "init": "import handler (init phase)",
    "first_request": "import handler + first GET /health",
    "init_source": "import handler, layers shipped as source only (compiled on every cold start)",
    "baseline_source": 'import boto3; boto3.client("dynamodb"), source only',
}

# Which files the modules of a child come from, and which modules it compiled from source: `source_to_code` is
# what the import system calls when it has no usable bytecode.
_WHERE_FROM = """
    import _frozen_importlib_external as _external
    compiled_from_source = []
    _to_code = _external.SourceLoader.source_to_code

    def _counting(self, data, path, *args, **kwargs):
        compiled_from_source.append(path)
        return _to_code(self, data, path, *args, **kwargs)

    _external.SourceLoader.source_to_code = _counting
    import handler, kefu, botocore
    files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
    result = {
        "handler": handler.__file__,
        "kefu": kefu.__file__,
        "botocore": botocore.__file__,
        "files": files,
        "compiled_from_source": compiled_from_source,
        "stdlib": [p for p in sys.path if p.startswith(sys.base_prefix)],
    }
"""


def child_env(variant: Variant) -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {**keep, **LAMBDA_ENV, "LAMBDA_TASK_ROOT": str(variant.function)}


def run_child(variant: Variant, body: str, what: str) -> dict:
    code = _PRELUDE.format(sys_path=[str(p) for p in variant.sys_path]) + textwrap.dedent(body) + _REPORT
    done = subprocess.run(
        [sys.executable, "-S", "-s", "-c", code],
        env=child_env(variant),
        cwd=variant.function,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{what} child ({variant.name} variant) failed:\n{done.stderr[-3000:]}"
    return child_result(done.stdout)


def child_result(stdout: str) -> dict:
    """What a child reported: its last `BENCH <json>` line."""
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def sample(tree: LambdaLike, kind: str) -> dict[str, float]:
    variant, body = CHILDREN[kind]
    return run_child(tree.variant(variant), body, kind)


def where_from(tree: LambdaLike, variant: Variant) -> dict:
    """Fail unless every module a child imports for the handler comes from the variant's tree or the stdlib."""
    found = run_child(variant, _WHERE_FROM, "import check")
    for name, folder in (("handler", variant.function), ("kefu", variant.layer), ("botocore", variant.site)):
        assert Path(found[name]).is_relative_to(folder), f"{name} imported from {found[name]}, not from {folder}"
    allowed = [variant.root, *map(Path, found["stdlib"])]
    strays = [f for f in found["files"] if not any(Path(f).is_relative_to(root) for root in allowed)]
    assert not strays, f"{variant.name} variant imported modules from outside its tree: {strays[:10]}"
    ours = [f for f in found["compiled_from_source"] if Path(f).is_relative_to(variant.root)]
    if variant.name == "compiled":
        # Only the few files compileall could not compile may be compiled at import.
        unexpected = [f for f in ours if str(Path(f).relative_to(tree.compiled.root)) not in tree.uncompiled]
        assert not unexpected, f"the compiled variant compiled {len(unexpected)} modules from source: {unexpected[:10]}"
    else:
        assert ours, "the source variant compiled nothing from source: is bytecode leaking into it?"
    checked = {
        "handler": found["handler"],
        "kefu": found["kefu"],
        "botocore": found["botocore"],
        "modules_from_tree": sum(Path(f).is_relative_to(variant.root) for f in found["files"]),
        "compiled_from_source": len(ours),
    }
    print(
        f"{variant.name} variant: "
        + ", ".join(f"{name} from {Path(found[name]).relative_to(ROOT)}" for name in ("handler", "kefu", "botocore"))
        + f"; {checked['modules_from_tree']} modules from its tree, {len(ours)} compiled from source at import"
    )
    return checked


def measure(tree: LambdaLike, rounds: int) -> dict[str, list[dict[str, float]]]:
    kinds = list(CHILDREN)
    for kind in kinds:  # warm-up: the OS's file cache filled, discarded
        sample(tree, kind)
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for round_number in range(rounds):
        shift = round_number % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            samples[kind].append(sample(tree, kind))
    return samples


def median_ms(samples: list[dict[str, float]], key: str = "ms") -> float:
    return statistics.median(s[key] for s in samples)


def show(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Cold start of functions/api ({figures['rounds']} fresh interpreters each, medians)")
    table.add_column("what is timed")
    table.add_column("bytecode")
    table.add_column("median ms", justify="right")
    table.add_column("min–max ms", justify="right")
    table.add_column("× baseline", justify="right")
    for kind, label in LABELS.items():
        row = figures["kinds"][kind]
        table.add_row(
            label,
            "shipped" if row["variant"] == "compiled" else "none",
            f"{row['median_ms']:.0f}",
            f"{row['min_ms']:.0f}–{row['max_ms']:.0f}",
            f"{row['ratio']:.2f}",
        )
    console = Console()
    if not console.is_terminal:  # pytest -s into a pipe or a file: rich would assume 80 columns
        console = Console(width=120)
    console.print(table)
    kinds = figures["kinds"]
    build = figures["build"]
    print(
        f"first request alone: median {kinds['first_request']['median_request_ms']:.0f} ms; "
        f"target init ratio ≤ {TARGET_RATIO}"
    )
    print(
        f"without bytecode: init {figures['init_source_over_init']:.2f}× slower "
        f"(target init ≤ {BYTECODE_RATIO} × init without bytecode), "
        f"baseline {kinds['baseline_source']['median_ms'] / kinds['baseline']['median_ms']:.2f}× slower"
    )
    print(
        f"tree: {len(build['distributions'])} distributions, {build['python_files']} .py files, "
        f"{len(build['uncompiled'])} without bytecode (compileall exit {build['compileall_status']})"
        + (f": {', '.join(build['uncompiled'][:5])}" if build["uncompiled"] else "")
    )


@pytest.fixture(scope="module")
def tree(cold_start_tree: LambdaLike) -> LambdaLike:
    """The Lambda-like tree (tests/bench/conftest.py), rebuilt once a run so it is never stale."""
    assert cold_start_tree.compiled.root.parent == TREE
    return cold_start_tree


def test_the_api_functions_cold_start_stays_within_one_and_a_half_times_the_boto3_floor(tree: LambdaLike):
    print()
    # Given fresh interpreters set up as Lambda sets them up, importing only from the function's folder and its
    # layers (with bytecode shipped, or sources alone), interleaved,
    imports = {variant.name: where_from(tree, variant) for variant in (tree.compiled, tree.source)}

    # when the handler is imported (and answers a first request) and when only boto3 and a client are made,
    samples = measure(tree, ROUNDS)

    # then the handler's init phase costs at most 1.5 times the baseline's, and bytecode at least halves it
    baseline = median_ms(samples["baseline"])
    figures = {
        "rounds": ROUNDS,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "target_ratio": TARGET_RATIO,
        "bytecode_ratio": BYTECODE_RATIO,
        "build": {
            "tree": str(TREE),
            "distributions": tree.distributions,
            "python_files": tree.python_files,
            "compileall_status": tree.compileall_status,
            "uncompiled": tree.uncompiled,
            "imports": imports,
        },
        "kinds": {
            kind: {
                "label": LABELS[kind],
                "variant": CHILDREN[kind][0],
                "median_ms": median_ms(runs),
                "min_ms": min(s["ms"] for s in runs),
                "max_ms": max(s["ms"] for s in runs),
                "ratio": median_ms(runs) / baseline,
                "samples_ms": [round(s["ms"], 2) for s in runs],
            }
            for kind, runs in samples.items()
        },
    }
    kinds = figures["kinds"]
    kinds["first_request"]["median_request_ms"] = median_ms(samples["first_request"], "request_ms")
    kinds["first_request"]["median_init_ms"] = median_ms(samples["first_request"], "init_ms")
    figures["init_source_over_init"] = kinds["init_source"]["median_ms"] / kinds["init"]["median_ms"]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    show(figures)

    ratio = kinds["init"]["ratio"]
    assert ratio <= TARGET_RATIO, f"init is {ratio:.2f}× the boto3 floor (target ≤ {TARGET_RATIO}); see {REPORT}"
    init, init_source = kinds["init"]["median_ms"], kinds["init_source"]["median_ms"]
    assert init <= BYTECODE_RATIO * init_source, (
        f"init with bytecode ({init:.0f} ms) is more than {BYTECODE_RATIO} × init without ({init_source:.0f} ms): "
        f"is the shipped bytecode used? see {REPORT}"
    )
