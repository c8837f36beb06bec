"""Cold start of every function to its first real piece of work, as a ratio to the boto3 floor of the same run.

Each sample is a fresh interpreter set up as tests/bench/test_cold_start.py sets one up (the venv's Python with
`-S -s`, Lambda's environment, only the function's folder, the kefu layer and the dependencies layer on `sys.path`,
bytecode shipped), timing `import handler` (the init phase) and then one invocation with the scenario's event
(tests/bench/scenarios.py): the authenticated `GET /tickets/{id}` for the API, one queued contact for intake, one
stored mail for inbound mail, and so on. What the init phase defers to the first invocation (a client made on first
use, a model loaded, a module imported late) is in the figure.

AWS is not there: each scenario's calls are recorded once against a moto server holding its data, then every timed
interpreter gets those recorded answers back from botocore's transport (tests/bench/replay.py), after botocore has
built and signed each request as it would for AWS. A timed run that makes another call than the one recorded fails.

baseline: `import boto3; boto3.client("dynamodb")`, the floor every Python function that talks to DynamoDB pays.
Kinds are interleaved in a rotating order; medians of ROUNDS. Figures go to build/bench/function_cold_start.json, and
each kind's child (code, environment, event, recorded answers) to build/bench/function_cold_start/, to profile by hand.
When valgrind is installed, each kind's child also runs once under callgrind: its instructions (import and first
work, up to the work done: not the interpreter's exit), as a ratio to the floor's, are the figure the machine's load
does not move. Each row says whether it meets
issue 22's goal (GOALS: on the instructions when counted); the assertion is a ceiling, on the instructions when
counted (INSTRUCTION_CEILINGS), else on the clock (CEILINGS).

The second bench here times kefu's own CPU per operation in a warm interpreter: the operation done twice against the
moto server (a cold then a warm invocation, their answers recorded), then OPERATIONS more times with the warm
invocation's answers replayed; p50 and p95 of `time.process_time()` per invocation, beside the floor of one replayed
GetItem through a warm boto3 client, botocore's share (it builds, signs and parses every call, stubbed or not:
measured from each call's first event to its last, tests/bench/replay.py) and kefu's own: the CPU less botocore's,
invocation by invocation, which the goals are held against. Figures go to
build/bench/cpu_per_operation.json; each replayed child's code and environment to build/bench/cpu_per_operation/
(`<kind>.warm.child.py`, `<kind>.warm.env.json`), to profile by hand.
"""

from __future__ import annotations

import email.policy
import json
import platform
import shutil
import socket
import statistics
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kefu_infra import layers
from tests.bench import replay, scenarios
from tests.bench.lambda_like import LambdaLike, Variant
from tests.bench.scenarios import Scenario
from tests.bench.test_cold_start import ROOT, child_env, child_result
from tests.conftest import AGENT, CUSTOMER
from tests.integration.conftest import desk, open_ticket  # noqa: F401 (desk: a fixture)
from tests.integration.mailroom import SUPPORT, as_stored_by_ses, mailroom_fixture  # noqa: F401 (a fixture)

pytestmark = pytest.mark.bench

BENCH = ROOT / "build" / "bench"
REPORT = BENCH / "function_cold_start.json"
WORK = BENCH / "function_cold_start"
ROUNDS = 9
#: Goals of issue 22: the API's first request within 1.3 × the floor, every other function's first work within 1.5 ×.
#: Reported beside each row, judged on the instructions when valgrind counts them (they do not move with the
#: machine's load: the same code measured 1.63 and 1.88 × on the clock at load averages 14 and 9), else on the clock.
#: Counted up to the work done, not the interpreter's exit after it (a Lambda invocation never waits for it): the
#: floor is 1,038 M so (1,144 with its exit, 106 of it tearing down boto3's modules). Where the API's 1,439 M went
#: (marked steps, whole-process figures of session 16, roughly): interpreter start 81, botocore's import ~535, session
#: 56 and client ~217 (kefu's loader parses botocore's JSON into dicts: ~100 less, kefu.store.service_models); then
#: pydantic's import ~322 (pydantic_core 105, pydantic.main 130, fields and types 86), Powertools ~113 (logger,
#: metrics, tracer 48, the resolver 32, typing_extensions 20), X-Ray 44, pynamodb 57, kefu's own ~99 (the table's
#: kinds of a ticket read and settings 35, ticket models ~32, config 11, identity 10, the request's own work ~37 and
#: its DynamoDB call ~12). The libraries alone were more than 1.3 × the floor left; what made room (session 18) is
#: botocore's own data: the clients' models trimmed to kefu's operations and endpoints.json to kefu's services
#: (~66 M off every cold start, the floor's boto3 reading it whole).
#: Intake and inbound mail open a ticket with the knowledge base's suggestions, as deployed: the S3 client (its
#: rule set; its model, trimmed, ~70 M less since session 18) and the index; a first Chinese question loads jieba's
#: dictionary (~440 M) besides.
#: The history of these figures is in the commits.
GOALS = {"api": 1.3}
DEFAULT_GOAL = 1.5
#: What is asserted on the clock when valgrind is not there to count instructions: today's figures with room for a
#: loaded machine (medians of 9 with 2 cores shared by many: api 1.6-1.9, intake and inbound mail 2.0-2.6, the
#: others 1.5-2.3; before one DynamoDB client per process, inbound mail, outbound mail and revisit were over 5), so
#: that a change that brings back a client per model, or an import that doubles init, fails the bench.
CEILINGS = {"api": 2.5}
DEFAULT_CEILING = 3.0
#: And on the instructions, closer, since they do not move with the load: the ratios measured after session 17's
#: merges (the clients' models trimmed, kefu.store.service_models; lighter first work for intake and inbound mail)
#: with about 0.1 of room, about 100 M: an import of that size fails it. Measured: api 1.35, intake 1.88 and inbound
#: mail 1.90 with the knowledge base, outbound mail 1.46, the others 1.34-1.45. Since botocore's endpoints are read
#: from kefu's copy with its services only and the API's request bodies' models are made on first use (session 18):
#: api 1.29 (1,340 M: its goal, 1.3, met), intake 1.82, inbound mail 1.84, outbound mail 1.39, watcher 1.28,
#: escalation 1.38, revisit 1.39, kpis 1.36; the API's ceiling at its ratio plus 0.05 (about 50 M). With S3's model
#: trimmed too: intake 1.75, inbound mail 1.77; their ceilings and the others' at today's ratio plus about 0.1.
#: With phonenumbers imported name by name, compact endpoint rule sets, the knowledge base's request models apart and
#: botocore's event names aliased by kefu's QuickAliaser: intake 1.67 (1,734 M), inbound mail 1.71 (1,773 M), api
#: 1.28, outbound mail 1.36, watcher 1.27, escalation 1.35, revisit 1.37, kpis 1.34; intake's and inbound mail's
#: ceilings, and the others' (the highest, revisit, 1.37), at today's ratio plus 0.1.
#: With kefu's botocore session registering its builtin handlers through QuickAliaser (~32 M off every function),
#: pydantic's default factories that are no builtins, the index read without a HeadObject first, intake's request
#: not validated twice and one S3 client for inbound mail's raw mail and index: intake 1.61 (1,667 M), inbound mail
#: 1.62 (1,684 M), api 1.25 (1,297 M), outbound mail 1.33, watcher 1.23, escalation 1.31, revisit 1.33, kpis 1.29;
#: every ceiling at today's ratio plus 0.1 (the others': the highest, 1.33), the API's plus 0.05.
#: With the knowledge base's kinds and models split by concern (an opening defines the replies' only) and inbound
#: mail's reply text, HTML converter and rarer patterns made on first use: intake 1.59 (1,650 M), inbound mail 1.58
#: (1,636 M), the others as before; intake's and inbound mail's ceilings at today's ratio plus 0.1. With the larger
#: configurations prepared by the synth (kefu.deployment.prepared_per_document): intake 1.57 (1,628 M), inbound mail
#: 1.56 (1,615 M), watcher 1.22, escalation 1.30, revisit 1.32, kpis 1.29; the api and outbound mail as before.
#: With the knowledge index in the table (kefu.store.kb_index: intake makes no S3 client), phonenumbers' alternate
#: formats on first use, an opening's calendars neither validated nor dumped through pydantic, and kefu's botocore
#: session checking handlers by their code's flags and taking the environment's keys without botocore's whole
#: credential chain (session 21): intake 1.49 (1,550 M: its goal met), inbound mail 1.54 (1,595 M: not met), api
#: 1.24 (1,283 M), outbound mail 1.31, watcher 1.20, escalation 1.28, revisit 1.31, kpis 1.26; intake's and inbound
#: mail's ceilings, and the others' (the highest, 1.31), at today's ratio plus 0.1, the API's as before.
#: With inbound mail's rarer patterns compiled on first use, records made from evaluated annotations (no ForwardRef
#: compiled per field), the mail settings a named tuple and botocore's data copies read as marshal data (session 22):
#: inbound mail 1.49 (1,546 M: its goal met), intake 1.48 (1,539 M), api 1.23 (1,276 M), outbound mail 1.29, watcher
#: 1.20, escalation 1.27, revisit 1.30, kpis 1.25; inbound mail's ceiling at today's ratio plus 0.1, the others as
#: before.
INSTRUCTION_CEILINGS = {"api": 1.30, "intake": 1.59, "email_inbound": 1.59}
DEFAULT_INSTRUCTION_CEILING = 1.41

_PRELUDE = """
import sys, time
sys.path[:0] = {sys_path!r}
"""

_BASELINE = """
_bench_replay_begin()
t0 = time.perf_counter()
import boto3
boto3.client("dynamodb")
t1 = time.perf_counter()
result = {"ms": (t1 - t0) * 1000, "calls": _bench_replay_done()}
"""

_FIRST_WORK = """
_bench_replay_begin()
t0 = time.perf_counter()
import handler
t1 = time.perf_counter()
with open({event_file!r}) as _f:
    event = _json.load(_f)


class Context:
    function_name = {function_name!r}
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def get_remaining_time_in_millis(self):
        return 29_000


t2 = time.perf_counter()
answer = handler.lambda_handler(event, Context())
t3 = time.perf_counter()
result = {{
    "ms": (t1 - t0 + t3 - t2) * 1000,
    "init_ms": (t1 - t0) * 1000,
    "work_ms": (t3 - t2) * 1000,
    "calls": _bench_replay_done(),
    "answer": answer,
}}
"""

#: The work is done: `os.getppid()` marks it for callgrind (Functions.instructions counts up to this call, not the
#: interpreter's exit after it, which a Lambda invocation never waits for).
_WORK_DONE_MARK = "os_getppid"
_REPORT = """
import json as _json_out, os as _os_mark
_os_mark.getppid()
print("BENCH " + _json_out.dumps(result, default=str))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_child(sys_path: list[Path], root: Path, code: str, env: dict[str, str], what: str) -> dict[str, Any]:
    import subprocess
    import sys

    source = (
        _PRELUDE.format(sys_path=[str(p) for p in sys_path])
        + replay.CHILD_HOOK
        + "import json as _json\n"
        + textwrap.dedent(code)
        + _REPORT
    )
    done = subprocess.run(
        [sys.executable, "-S", "-s", "-c", source],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"{what} child failed:\n{done.stderr[-4000:]}"
    return child_result(done.stdout)


class Functions:
    """The compiled Lambda-like tree with every function's folder, and how to run a child for each kind."""

    def __init__(self, tree: LambdaLike, work: Path) -> None:
        self.variant: Variant = tree.compiled
        self.work = work
        self.folders = tree_functions(tree)
        self.scenarios: dict[str, Scenario] = {}
        #: The prepared configuration of each deployment document delivered so far, by the document's text.
        self.prepared: dict[bytes, bytes] = {}

    def env(self, kind: str, mode: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        base = child_env(self.variant)
        scenario = self.scenarios.get(kind)
        if scenario is not None:
            base.update(scenario.env)
            base.update(AWS_LAMBDA_FUNCTION_NAME=scenario.function_name, LAMBDA_TASK_ROOT=str(self.folders[kind]))
        if "KEFU_DEPLOYMENT_FILE" in base:  # kept beside the answers: the test's own folder goes with the test
            base["KEFU_DEPLOYMENT_FILE"] = self.deliver(Path(base["KEFU_DEPLOYMENT_FILE"]))
        base.update({replay.MODE_VAR: mode, replay.FILE_VAR: str(self.work / f"{kind}.answers.json")})
        base.update(extra or {})
        return base

    def deliver(self, document: Path) -> str:
        """The test's deployment document delivered into the work folder as the deployment layer delivers one: with
        what the domain code makes of it beside it (kefu_infra.layers.write_deployment). Its path."""
        text = document.read_bytes()
        if text not in self.prepared:
            self.prepared[text] = layers.prepared_configuration(text)
        layers.write_deployment(self.work, text, self.prepared[text])
        return str(self.work / layers.DEPLOYMENT_DOCUMENT)

    def sys_path(self, kind: str) -> list[Path]:
        return (
            [self.folders[kind], self.variant.layer, self.variant.site]
            if kind in self.folders
            else [
                self.variant.layer,
                self.variant.site,
            ]
        )

    def code(self, kind: str) -> str:
        if kind == "baseline":
            return _BASELINE
        scenario = self.scenarios[kind]
        event_file = scenarios.write_json(self.work / f"{kind}.event.json", scenario.event)
        return _FIRST_WORK.format(event_file=str(event_file), function_name=scenario.function_name)

    def record(self, kind: str, endpoint: str) -> dict[str, Any]:
        env = self.env(kind, "record", {"AWS_ENDPOINT_URL": endpoint})
        return run_child(self.sys_path(kind), self.work, self.code(kind), env, f"{kind} (recording)")

    def sample(self, kind: str) -> dict[str, Any]:
        if kind == "baseline":
            scenarios.write_json(self.work / "baseline.answers.json", [])
        return run_child(self.sys_path(kind), self.work, self.code(kind), self.env(kind, "replay"), kind)

    def keep(self, kind: str) -> None:
        """What a replayed child of `kind` runs, as files (to profile it by hand): its code, environment and path."""
        source = (
            _PRELUDE.format(sys_path=[str(p) for p in self.sys_path(kind)])
            + replay.CHILD_HOOK
            + "import json as _json\n"
            + textwrap.dedent(self.code(kind))
            + _REPORT
        )
        (self.work / f"{kind}.child.py").write_text(source)
        scenarios.write_json(self.work / f"{kind}.env.json", self.env(kind, "replay"))

    def instructions(self, kind: str) -> int:
        """The instructions the kept child of `kind` runs (import and first work, its answers replayed, up to its
        work done: not the interpreter's exit), counted by callgrind; a child that fails, or does not do its work,
        fails the bench."""
        import subprocess
        import sys
        import tempfile

        env = {**self.env(kind, "replay"), "PYTHONHASHSEED": "0"}  # the same sets' layout in every run
        with tempfile.TemporaryDirectory() as counts:
            out = Path(counts) / "callgrind.out"
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                # A count is written (and restarted) where the child marks its work done: the exit after is left out.
                f"--dump-before={_WORK_DONE_MARK}",
                sys.executable,
                "-S",
                "-s",
            ]
            done = subprocess.run(
                [*command, str(self.work / f"{kind}.child.py")],
                env=env,
                cwd=self.work,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{kind} child under callgrind failed:\n{done.stderr[-4000:]}"
            answer = child_result(done.stdout).get("answer")
            did = kind == "baseline" or succeeded(kind, answer)
            assert did, f"{kind} under callgrind did not do its work: {answer}"
            # One file per dump (callgrind.out.1, .2, ...: up to each call of the mark), the last (callgrind.out)
            # what ran after the last mark: the exit.
            parts = [path for path in Path(counts).iterdir() if path.name != out.name]
            mark = _WORK_DONE_MARK
            assert parts, f"callgrind wrote no count at {mark} for {kind} (no such symbol?):\n{done.stderr[-2000:]}"
            return sum(_callgrind_total(path.read_text()) for path in parts)


def _callgrind_total(dump: str) -> int:
    """The instructions a callgrind dump counted (its `summary:` line, or `totals:` in older formats)."""
    import re

    found = re.search(r"^(?:summary|totals): (\d+)", dump, re.MULTILINE)
    assert found, "a callgrind dump without its total"
    return int(found.group(1))


def tree_functions(tree: LambdaLike) -> dict[str, Path]:
    from tests.bench import lambda_like

    return lambda_like.add_functions(tree, ROOT / "functions")


def succeeded(kind: str, answer: Any) -> bool:
    if kind == "api":
        return 200 <= answer.get("statusCode", 0) < 300
    if isinstance(answer, dict) and "batchItemFailures" in answer:
        return answer["batchItemFailures"] == []
    return isinstance(answer, dict)


# --- setting the scenarios up in moto ------------------------------------------------------------------------------


def new_sender_mail() -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Li Lei <li.lei@example.cn>"
    message["To"] = SUPPORT
    message["Subject"] = "Order 1042 never arrived"
    message["Message-ID"] = "<bench-1042@example.cn>"
    message["Date"] = "Tue, 01 Dec 2026 09:00:00 +0800"
    message.set_content("Hello, my parcel for order 1042 has not arrived after nine days.\n\nLi Lei\n")
    return as_stored_by_ses(message)


def with_campaign(campaign_id: str) -> None:
    """The deployment document the mail room wrote, with a revisit campaign added."""
    import os

    from kefu import deployment

    path = Path(os.environ["KEFU_DEPLOYMENT_FILE"])
    document = json.loads(path.read_text())
    document["campaigns"] = [
        {
            "id": campaign_id,
            "schedule": {"cron": "0 11 * * ? *", "timezone": "Asia/Shanghai"},
            "select": {"complaint": False, "channels": ["web", "email"], "resolved_days_ago": {"min": 2, "max": 7}},
            "method": "email_survey",
        }
    ]
    path.write_text(json.dumps(document, ensure_ascii=False))
    deployment.reload()


def with_knowledge_base(desk, monkeypatch) -> None:  # noqa: F811 (a fixture's value)
    """The knowledge base the stack gives the API, intake and inbound mail (infra/kefu_infra/capabilities/knowledge.py:
    its bucket named in their environment), with the desk's articles published: a ticket they open reads its index
    and the reply catalogue and records its suggestions, as deployed. Without it the bench left that work out."""
    from kefu.config import KB_BUCKET_VAR
    from tests.integration.test_knowledge_opening import LOGISTICS_EN, LOGISTICS_ZH, publish_others, published_article

    monkeypatch.setenv(KB_BUCKET_VAR, "kefu-test-kb")  # the bucket publish_others makes
    publish_others(desk)
    for article in (LOGISTICS_ZH, LOGISTICS_EN):
        published_article(desk, **article)


def set_up(desk, mailroom, monkeypatch) -> dict[str, Scenario]:  # noqa: F811 (fixtures)
    from kefu.config import ESCALATION_TOPIC_VAR, REVISIT_BUCKET_VAR
    from kefu.escalation import watch
    from kefu.escalation.plan import Plan
    from kefu.sla.config import sla_config
    from kefu.store import tickets as ticket_store
    from tests.integration.mailroom import StreamReader, tickets_of
    from tests.integration.resolved import add_customer, add_resolved

    for name, value in scenarios.wakes("kefu-bench-escalation").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(ESCALATION_TOPIC_VAR, scenarios.topic("kefu-bench-escalations"))
    import boto3

    boto3.client("s3").create_bucket(Bucket="kefu-bench-revisits")
    monkeypatch.setenv(REVISIT_BUCKET_VAR, "kefu-bench-revisits")
    with_knowledge_base(desk, monkeypatch)
    with_campaign("bench-csat")
    stream = StreamReader()
    found: dict[str, Scenario] = {}

    ticket = open_ticket(desk, who=CUSTOMER)
    found["api"] = scenarios.api_get_ticket(desk, ticket["id"])
    found["intake"] = scenarios.intake_contact()
    found["email_inbound"] = scenarios.inbound_mail(mailroom, new_sender_mail())

    # An e-mail ticket, answered by an agent: the reply's stream record.
    other = new_sender_mail().replace(b"bench-1042@", b"bench-1043@").replace(b"li.lei@", b"han.mei@")
    mailroom.deliver(other)
    mail_ticket = tickets_of("han.mei@example.cn")[0]
    mailroom.skip_stream()
    reply = desk("POST", f"/tickets/{mail_ticket.id}/messages", who=AGENT, body={"body": "We are on it."})
    assert reply.status == 201, reply.text
    found["email_outbound"] = scenarios.outbound_reply(mailroom.stream_records())
    stream.read()

    # A complaint: its INSERT for the watcher, its first wake for the task.
    complaint = open_ticket(desk, who=CUSTOMER, category="complaint")
    found["escalation_watcher"] = scenarios.watcher_insert(stream.read(), complaint["id"])
    saved = ticket_store.get(complaint["id"])
    plan = watch.orders(None, saved, sla_config().escalation).start
    assert isinstance(plan, Plan), "a complaint's clock has an escalation to wait for"
    due = datetime.fromisoformat(plan.wakeAt.replace("Z", "+00:00")) + scenarios.WAKE_MARGIN
    found["escalation"] = scenarios.escalation_wake(plan.document(), due.timestamp())

    add_customer("CUST-BENCH-REVISIT")
    resolved_at = datetime.now().astimezone() - timedelta(days=3)
    add_resolved(resolved_at, "CUST-BENCH-REVISIT")
    found["revisit"] = scenarios.revisit_select("bench-csat", resolved_at.strftime("%Y-%m-%dT03:00:00Z"))
    found["kpis"] = scenarios.kpis_change(ticket["id"])
    for scenario in found.values():
        if not scenario.env:
            scenario.env = scenarios.deployment_env()
    return found


# --- the bench -----------------------------------------------------------------------------------------------------


@pytest.fixture
def functions(cold_start_tree: LambdaLike, request: pytest.FixtureRequest) -> Functions:
    """The children's files (events, recorded answers, and each kind's code and environment to profile it by hand)
    under build/bench/function_cold_start/ (the CPU bench's under build/bench/cpu_per_operation/), emptied first."""
    work = BENCH / "cpu_per_operation" if "cpu" in request.node.name else WORK
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return Functions(cold_start_tree, work)


@pytest.fixture
def moto_server(aws) -> Iterator[str]:
    """A moto server over the test's own moto backends (one process, one state)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def measure(functions: Functions, kinds: list[str], rounds: int) -> dict[str, list[dict[str, Any]]]:
    for kind in kinds:  # warm-up: the OS's file cache filled, discarded
        functions.sample(kind)
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for round_number in range(rounds):
        shift = round_number % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            samples[kind].append(functions.sample(kind))
    return samples


def show(figures: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Cold start to the first real work ({figures['rounds']} fresh interpreters each, medians)")
    for column, justify in (
        ("function", "left"),
        ("first work", "left"),
        ("calls", "right"),
        ("init ms", "right"),
        ("work ms", "right"),
        ("total ms", "right"),
        ("× baseline", "right"),
        ("M instr.", "right"),
        ("× (instr.)", "right"),
        ("goal", "right"),
        ("ceiling", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for kind, row in figures["kinds"].items():
        judged = row.get("instructions_ratio", row["ratio"])
        table.add_row(
            kind,
            row["work"],
            str(row["calls"]),
            f"{row['median_init_ms']:.0f}" if "median_init_ms" in row else "",
            f"{row['median_work_ms']:.0f}" if "median_work_ms" in row else "",
            f"{row['median_ms']:.0f}",
            f"{row['ratio']:.2f}",
            f"{row['instructions'] / 1e6:,.0f}" if "instructions" in row else "",
            f"{row['instructions_ratio']:.2f}" if "instructions_ratio" in row else "",
            (f"≤ {row['goal']}" + (" met" if judged <= row["goal"] else " not met")) if row.get("goal") else "",
            f"≤ {row['ceiling']}" + (f" / {row['instructions_ceiling']}" if "instructions_ratio" in row else "")
            if row.get("ceiling")
            else "",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)
    print(f"instructions: {figures['instructions']}; the goals are judged on them when counted, else on the clock")


def test_every_function_reaches_its_first_real_work_within_its_ceiling_of_the_boto3_floor(
    functions: Functions,
    moto_server: str,
    desk,  # noqa: F811 (the fixture)
    mailroom,
    monkeypatch,
):
    print()
    # Given each function's first real work set up in moto, its AWS answers recorded once by a cold interpreter,
    functions.scenarios = set_up(desk, mailroom, monkeypatch)
    recorded = {}
    for kind in functions.scenarios:
        first = functions.record(kind, moto_server)
        assert succeeded(kind, first["answer"]), f"{kind}: the recorded run did not do its work: {first['answer']}"
        recorded[kind] = first["calls"]
        functions.keep(kind)

    # when fresh interpreters import each handler and do that work against the recorded answers, interleaved with
    # the baseline,
    kinds = ["baseline", *functions.scenarios]
    samples = measure(functions, kinds, ROUNDS)
    # and each child once more under callgrind, when valgrind is installed (`make bench` installs it where it can),
    functions.keep("baseline")
    counted = count_instructions(functions, kinds) if shutil.which("valgrind") else {}

    # then each stays within its ceiling of the baseline (the table says which meet the goals).
    baseline = statistics.median(s["ms"] for s in samples["baseline"])
    figures: dict[str, Any] = {
        "rounds": ROUNDS,
        "python": platform.python_version(),
        "instructions": "callgrind, PYTHONHASHSEED=0" if counted else "not counted: valgrind is not installed",
        "kinds": {},
    }
    for kind, runs in samples.items():
        row: dict[str, Any] = {
            "work": functions.scenarios[kind].work if kind != "baseline" else 'import boto3; boto3.client("dynamodb")',
            "calls": recorded.get(kind, 0),
            "median_ms": statistics.median(s["ms"] for s in runs),
            "ratio": statistics.median(s["ms"] for s in runs) / baseline,
            "samples_ms": [round(s["ms"], 1) for s in runs],
        }
        if counted:
            row["instructions"] = counted[kind]
            row["instructions_ratio"] = counted[kind] / counted["baseline"]
        if kind != "baseline":
            row["median_init_ms"] = statistics.median(s["init_ms"] for s in runs)
            row["median_work_ms"] = statistics.median(s["work_ms"] for s in runs)
            row["goal"] = GOALS.get(kind, DEFAULT_GOAL)
            row["ceiling"] = CEILINGS.get(kind, DEFAULT_CEILING)
            row["instructions_ceiling"] = INSTRUCTION_CEILINGS.get(kind, DEFAULT_INSTRUCTION_CEILING)
            assert all(succeeded(kind, s["answer"]) for s in runs), f"{kind}: a replayed run failed its work"
        figures["kinds"][kind] = row
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    show(figures)
    # Judged on the instructions when they were counted: the clock's ratios are the fallback, and a machine busy
    # with other work moves them past any ceiling that would still catch a regression (intake measured 3.10 while
    # a test run shared the cores, its instructions unchanged at 1.94).
    if counted:
        over = {
            kind: f"{row['instructions_ratio']:.2f} > {row['instructions_ceiling']} (instructions)"
            for kind, row in figures["kinds"].items()
            if kind != "baseline" and row["instructions_ratio"] > row["instructions_ceiling"]
        }
    else:
        over = {
            kind: f"{row['ratio']:.2f} > {row['ceiling']}"
            for kind, row in figures["kinds"].items()
            if kind != "baseline" and row["ratio"] > row["ceiling"]
        }
    assert not over, f"over their ceiling of the boto3 floor: {over}; see {REPORT}"


def count_instructions(functions: Functions, kinds: list[str]) -> dict[str, int]:
    """Each kind's instructions (Functions.instructions), two children at a time: callgrind runs one about fifty
    times slower than it runs alone, and its count does not depend on what else the machine does."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(kinds, pool.map(functions.instructions, kinds), strict=True))


# --- kefu's own CPU per operation, warm ----------------------------------------------------------------------------

#: Invocations timed after the two the recording made (cold, then the first warm one), per operation.
OPERATIONS = 200
#: Goals of issue 22, CPU ms per operation at the median (reported, not asserted: they are not ratios).
#: Measured (the warm child repeating its operation, answers replayed, under callgrind: instructions per operation,
#: botocore's included): api_create 24.6 M -> 18.2, intake 30.1 -> 23.7, api_get 5.5 -> 4.8, api_list 14.3 -> 12.6,
#: api_reply 11.6 -> 10.0, inbound mail 41.7 -> 34.3, from a calendar's open spans and a clock's due times kept, no
#: X-Ray subsegment around a call in an unsampled trace, KefuItem's own item building, serializing and reading, the
#: roster read without pynamodb's `kind IN (every kind)` filter, fewer reads of the system's randomness, routing's
#: keywords and the API's route owners checked without a call each. Kefu's own p50, two runs at load 2.7-3.5:
#: api_create 1.77/1.75 ms (was 2.34/2.62 on a quiet machine), intake 1.76/1.70 (was 2.75/4.26). Merged, four runs
#: on a quiet machine (load 0.5-0.8, the GetItem floor 0.49-0.51 ms each time): api_create 1.42/2.16/1.90/1.97,
#: intake 1.51/2.15/1.82/2.02: at the goal, not reliably under it.
CPU_GOALS = {"email_inbound": 10.0}
DEFAULT_CPU_GOAL = 2.0

_WARM = """
import time as _time
_bench_replay_begin()
import handler
with open({events_file!r}) as _f:
    events = _json.load(_f)


class Context:
    function_name = {function_name!r}
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def get_remaining_time_in_millis(self):
        return 29_000


cpu, sdk, wall, answers = [], [], [], []
for event in events:
    _bench_replay_begin()
    c0, s0, w0 = _time.process_time(), _bench_sdk_seconds(), _time.perf_counter()
    answers.append(handler.lambda_handler(event, Context()))
    c1, s1, w1 = _time.process_time(), _bench_sdk_seconds(), _time.perf_counter()
    cpu.append((c1 - c0) * 1000)
    sdk.append((s1 - s0) * 1000)
    wall.append((w1 - w0) * 1000)
result = {{
    "cpu_ms": cpu,
    "sdk_ms": sdk,
    "wall_ms": wall,
    "calls": _bench_replay_done(),
    "answers": answers[:2] + answers[-1:],
}}
"""

_WARM_BASELINE = """
import time as _time
_bench_replay_begin()
import boto3
client = boto3.client("dynamodb")
with open({events_file!r}) as _f:
    events = _json.load(_f)
cpu, sdk, wall, answers = [], [], [], []
for key in events:
    _bench_replay_begin()
    c0, s0, w0 = _time.process_time(), _bench_sdk_seconds(), _time.perf_counter()
    answers.append(client.get_item(TableName={table!r}, Key=key)["Item"]["pk"])
    c1, s1, w1 = _time.process_time(), _bench_sdk_seconds(), _time.perf_counter()
    cpu.append((c1 - c0) * 1000)
    sdk.append((s1 - s0) * 1000)
    wall.append((w1 - w0) * 1000)
result = {{"cpu_ms": cpu, "sdk_ms": sdk, "wall_ms": wall, "calls": _bench_replay_done(), "answers": answers[-1:]}}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_scenarios(desk, mailroom, monkeypatch) -> dict[str, tuple[str, str, list[Any]]]:  # noqa: F811 (fixtures)
    """kind -> (function, what, the events: the first two recorded, the last one's answers replayed for the rest).
    With the knowledge base deployed: every opening computes its suggestions from the index the function holds."""
    from kefu.config import settings

    with_knowledge_base(desk, monkeypatch)
    ticket = open_ticket(desk, who=CUSTOMER)
    path = f"/tickets/{ticket['id']}"
    create = desk.event("POST", "/tickets", who=CUSTOMER, body={"subject": "Lid cracked", "description": "Order 7"})
    get = desk.event("GET", path, who=AGENT)
    listing = desk.event("GET", "/tickets", who=AGENT, query={"group": "l1"})
    reply = desk.event("POST", f"{path}/messages", who=AGENT, body={"body": "We are on it."})
    contacts = [scenarios.intake_contact().event for _ in range(2)]
    mails = [
        scenarios.inbound_mail(mailroom, new_sender_mail().replace(b"bench-1042@", f"bench-{n}@".encode())).event
        for n in range(2)
    ]
    key = {"pk": {"S": f"TICKET#{ticket['id']}"}, "sk": {"S": "TICKET"}}
    return {
        "baseline": ("", f"GetItem, warm boto3 client ({settings().table_name})", [key]),
        "api_create": ("api", "POST /tickets (customer)", [create]),
        "api_get": ("api", "GET /tickets/{id} (agent)", [get]),
        "api_list": ("api", "GET /tickets?group=l1 (agent)", [listing]),
        "api_reply": ("api", "POST /tickets/{id}/messages (agent)", [reply]),
        "intake": ("intake", "one contact, known customer", contacts),
        "email_inbound": ("email_inbound", "one mail, known sender, new ticket", mails),
    }


def test_kefus_own_cpu_per_operation_with_aws_answers_replayed(
    functions: Functions,
    moto_server: str,
    desk,  # noqa: F811 (the fixture)
    mailroom,
    monkeypatch,
):
    print()

    # Given each operation done twice against moto by one warm interpreter, its AWS answers recorded,
    figures: dict[str, Any] = {"operations": OPERATIONS, "kinds": {}}
    for kind, (function, what, events) in cpu_scenarios(desk, mailroom, monkeypatch).items():
        recorded_events = (events * 2)[:2]
        first = warm_child(functions, kind, function, "record", recorded_events, moto_server)
        # when the same interpreter repeats it OPERATIONS times more with those answers replayed,
        runs = warm_child(functions, kind, function, "replay", recorded_events + [recorded_events[-1]] * OPERATIONS)
        for answer in first["answers"] + runs["answers"]:
            assert answer and (kind == "baseline" or succeeded(function, answer)), f"{kind}: {answer}"
        cpu, sdk, wall = runs["cpu_ms"][2:], runs["sdk_ms"][2:], runs["wall_ms"][2:]
        own = [c - s for c, s in zip(cpu, sdk, strict=True)]
        figures["kinds"][kind] = {
            "function": function,
            "what": what,
            "calls": first["calls"],
            "cpu_p50_ms": statistics.median(cpu),
            "cpu_p95_ms": percentile(cpu, 0.95),
            "sdk_p50_ms": statistics.median(sdk),
            "kefu_p50_ms": statistics.median(own),
            "kefu_p95_ms": percentile(own, 0.95),
            "wall_p50_ms": statistics.median(wall),
            "wall_p95_ms": percentile(wall, 0.95),
            "goal_ms": None if kind == "baseline" else CPU_GOALS.get(kind, DEFAULT_CPU_GOAL),
        }

    # then each operation's CPU is reported, p50 and p95, beside the floor of one replayed call, and kefu's own:
    # the CPU less botocore's, measured call by call (tests/bench/replay.py). Was estimated as the CPU less the
    # operation's calls times the floor's one GetItem, which overstated kefu's share: botocore builds, signs and
    # parses a transaction of eight items or a Query's page for much more than one GetItem.
    floor = figures["kinds"]["baseline"]["cpu_p50_ms"]
    for row in figures["kinds"].values():
        row["cpu_p50_over_one_call"] = row["cpu_p50_ms"] / floor
    (BENCH / "cpu_per_operation.json").write_text(json.dumps(figures, indent=2) + "\n")
    show_cpu(figures)


def warm_child(
    functions: Functions, kind: str, function: str, mode: str, events: list[Any], endpoint: str | None = None
) -> dict[str, Any]:
    """One warm interpreter doing `events` in turn (the baseline's: GetItems), recording or replaying its answers."""
    from kefu.config import settings

    if function:
        sys_path = [functions.folders[function], functions.variant.layer, functions.variant.site]
        code, name = _WARM, f"kefu-{function.replace('_', '-')}"
    else:
        sys_path, code, name = [functions.variant.layer, functions.variant.site], _WARM_BASELINE, "kefu-baseline"
    events_file = scenarios.write_json(functions.work / f"{kind}.warm.{mode}.json", events)
    env = {**child_env(functions.variant), **scenarios.deployment_env()}
    env.update({replay.MODE_VAR: mode, replay.FILE_VAR: str(functions.work / f"{kind}.warm.answers.json")})
    env.update(AWS_LAMBDA_FUNCTION_NAME=name, **({"AWS_ENDPOINT_URL": endpoint} if endpoint else {}))
    if "KEFU_DEPLOYMENT_FILE" in env:  # kept beside the answers: the test's own folder goes with the test
        env["KEFU_DEPLOYMENT_FILE"] = functions.deliver(Path(env["KEFU_DEPLOYMENT_FILE"]))
    source = code.format(events_file=str(events_file), function_name=name, table=settings().table_name)
    if mode == "replay":  # kept as files, to profile by hand: the child's code, environment and path
        kept = _PRELUDE.format(sys_path=[str(p) for p in sys_path]) + replay.CHILD_HOOK + "import json as _json\n"
        (functions.work / f"{kind}.warm.child.py").write_text(kept + textwrap.dedent(source) + _REPORT)
        scenarios.write_json(functions.work / f"{kind}.warm.env.json", env)
    return run_child(sys_path, functions.work, source, env, f"{kind} ({mode})")


def cpu_goal(row: dict[str, Any]) -> str:
    """The goal of an operation's row and whether kefu's own CPU (p50) meets it."""
    if not row["goal_ms"]:
        return ""
    return f"≤ {row['goal_ms']:g} ms {'met' if row['kefu_p50_ms'] <= row['goal_ms'] else 'not met'}"


def show_cpu(figures: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"kefu's CPU per operation, warm, AWS answers replayed ({figures['operations']} each)")
    for column in (
        "operation",
        "calls",
        "CPU p50 ms",
        "CPU p95 ms",
        "× one call",
        "botocore p50 ms",
        "kefu's own p50 ms",
        "kefu's own p95 ms",
        "goal (kefu's own p50)",
    ):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for kind, row in figures["kinds"].items():
        table.add_row(
            f"{kind}: {row['what']}",
            str(row["calls"]),
            f"{row['cpu_p50_ms']:.2f}",
            f"{row['cpu_p95_ms']:.2f}",
            f"{row['cpu_p50_over_one_call']:.1f}",
            f"{row['sdk_p50_ms']:.2f}",
            f"{row['kefu_p50_ms']:.2f}",
            f"{row['kefu_p95_ms']:.2f}",
            cpu_goal(row),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    console.print(table)
