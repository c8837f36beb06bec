"""Load against `kefu local up` (started as a user starts it, tests/e2e/local_stack.py): intake messages on the
intake queue, mails through the local SMTP server (the SES receiving path) and ticket creates on the HTTP API, all
at once, with a share of each malformed. Then every one is accounted for — a ticket, or the intake dead-letter queue
with its reason, or the mail's quarantine record with its reason, or a 4xx problem answer — with none lost and none
ticketed twice.

Throughput per path is reported as a ratio to a no-op handler behind the same local pollers, measured in the same
run against the same stack before the load: a `kefu_local.pollers.QueuePoller` with the path's batch size and window
over a queue of the stack's endpoint (intake, and the mail notifications' queue), and `GET /health` through the same
gateway and API function at the same concurrency. Nothing is asserted about speed; the counts are asserted.

Sizes: KEFU_LOAD_INTAKE (2,000), KEFU_LOAD_MAILS (300), KEFU_LOAD_CREATES (1,000), KEFU_LOAD_MALFORMED (0.05).
"""

from __future__ import annotations

import json
import os
import smtplib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.local_stack import LocalStackProcess, new_stack
from tests.waiting import wait_for

pytestmark = pytest.mark.bench

INTAKE = int(os.environ.get("KEFU_LOAD_INTAKE", "2000"))
MAILS = int(os.environ.get("KEFU_LOAD_MAILS", "300"))
CREATES = int(os.environ.get("KEFU_LOAD_CREATES", "1000"))
MALFORMED = float(os.environ.get("KEFU_LOAD_MALFORMED", "0.05"))
#: Client threads per path (the API's requests in flight at once; the senders of messages and mails).
CLIENTS = 8
#: A message a handler failed on comes back this soon (seconds) rather than after the template's timeout.
VISIBILITY_S = "10"
SUPPORT = "support@dev.kefu.example.com"
#: How long the counts must stand still, with every queue empty, before what is missing is called lost.
STILL_S = 30.0
#: How long the stack may take to stop after the load. It finishes the batches in flight and saves its state (every
#: item of the ~3,300 tickets and their queues) before it exits: on a busy 2-core machine that took more than the
#: 60 s the journeys allow a stack with a few dozen tickets (the full-size run of 2026-12-04, at load average 8).
LOADED_STOP_S = 600.0


def every() -> int:
    return round(1 / MALFORMED) if MALFORMED > 0 else 0


def malformed(i: int, total: int) -> bool:
    """Whether item i of total is one of the malformed share, spread evenly through the load."""
    return every() > 0 and i % every() == every() - 1


def second_kind(i: int) -> bool:
    """Every other malformed item is malformed the second way."""
    return bool(every()) and (i // every()) % 2 == 1


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = new_stack(tmp_path_factory.mktemp("kefu-load"), {"KEFU_LOCAL_VISIBILITY_TIMEOUT": VISIBILITY_S})
    stack.start()
    yield stack
    stack.stop_if_running(timeout=LOADED_STOP_S)


# --- the stack's queues and items -------------------------------------------------------------------------------


def queue_url(stack: LocalStackProcess, part: str, dead: bool = False) -> str:
    urls = stack.client("sqs").list_queues().get("QueueUrls", [])
    found = [u for u in urls if part in u.rsplit("/", 1)[-1] and (("DeadLetter" in u) == dead)]
    assert len(found) == 1, f"one {'dead-letter ' if dead else ''}queue named like {part}: {urls}"
    return found[0]


def in_queue(stack: LocalStackProcess, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def table_items(stack: LocalStackProcess) -> list[dict[str, Any]]:
    """The domain table's tickets and mail records (pk MAIL#…), as stored."""
    dynamodb = stack.client("dynamodb")
    (table,) = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-Table")]
    items = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#k = :ticket OR begins_with(pk, :mail)",
        ExpressionAttributeNames={"#k": "kind"},
        ExpressionAttributeValues={":ticket": {"S": "ticket"}, ":mail": {"S": "MAIL#"}},
    ):
        items.extend(page["Items"])
    return items


def text(item: dict[str, Any], name: str) -> str:
    return item.get(name, {}).get("S", "")


def drain_dead_letters(stack: LocalStackProcess, url: str) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    found: dict[str, dict[str, Any]] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return list(found.values())
        found.update({m["MessageId"]: m for m in batch})


# --- the three paths --------------------------------------------------------------------------------------------


@dataclass
class Load:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    api_statuses: Counter = field(default_factory=Counter)
    api_problems: int = 0
    finished: dict[str, float] = field(default_factory=dict)

    def marker(self, path: str, i: int) -> str:
        return f"load-{self.run}-{path}-{i:05d}"


def intake_message(load: Load, i: int) -> str:
    if malformed(i, INTAKE):
        # Half not JSON at all, half JSON that is no intake message (no channel, no customer).
        return "{not json" if second_kind(i) else json.dumps({"externalId": load.marker("intake", i), "body": "?"})
    body = {
        "channel": "phone",
        "externalId": load.marker("intake", i),
        "customer": {"phone": f"+86139{i:08d}"},
        "subject": load.marker("intake", i),
        "body": "The parcel has not arrived.",
    }
    return json.dumps(body)


def send_messages(stack: LocalStackProcess, url: str, bodies: list[str]) -> None:
    sqs = stack.client("sqs")
    chunks = [bodies[start : start + 10] for start in range(0, len(bodies), 10)]

    def send(chunk: list[str]) -> None:
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)]
        failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        assert not failed, failed

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, chunks))


def mail_of(load: Load, i: int) -> tuple[str, bytes]:
    message = EmailMessage()
    sender = f"load-{load.run}-{i}@example.com"
    # Malformed: a From header with no address (the envelope's sender is fine), which kefu quarantines.
    message["From"] = "undisclosed sender" if malformed(i, MAILS) else sender
    message["To"], message["Subject"] = SUPPORT, load.marker("mail", i)
    message["Message-ID"] = f"<{load.marker('mail', i)}@example.com>"
    message.set_content("The lid arrived cracked.")
    return sender, message.as_bytes()


def send_mails(stack: LocalStackProcess, load: Load) -> None:
    def send(indexes: list[int]) -> None:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=120) as smtp:
            smtp.starttls()
            for i in indexes:
                sender, raw = mail_of(load, i)
                smtp.sendmail(sender, [SUPPORT], raw)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, [list(range(n, MAILS, CLIENTS)) for n in range(CLIENTS)]))


def create_tickets(stack: LocalStackProcess, load: Load, tokens: list[str]) -> None:
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=CLIENTS))
    lock = threading.Lock()

    def create(i: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "Idempotency-Key": load.marker("api", i)}
        if malformed(i, CREATES):
            body: Any = "{not json" if second_kind(i) else {"description": "no subject"}
        else:
            body = {"subject": load.marker("api", i), "description": "Order 1042 has not arrived."}
        if isinstance(body, str):
            answer = session.post(
                f"{stack.url}/tickets", data=body, headers=headers | {"Content-Type": "application/json"}, timeout=600
            )
        else:
            answer = session.post(f"{stack.url}/tickets", json=body, headers=headers, timeout=600)
        with lock:
            load.api_statuses[answer.status_code] += 1
            if answer.status_code >= 400 and answer.headers.get("content-type") == "application/problem+json":
                load.api_problems += 1

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(create, range(CREATES)))


# --- the no-op baselines ------------------------------------------------------------------------------------------


class NoOp:
    """A function that does nothing, as the local pollers invoke one."""

    name = "noop"

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": []}


def template_batching(part: str) -> tuple[int, float]:
    """The batch size and window of the template's SQS event source mapping of the function named like `part`."""
    from kefu_local.resources import FUNCTION
    from kefu_local.templates import Templates, cloud_assembly

    templates = Templates(cloud_assembly())
    functions = {f.logical_id for f in templates.resources(FUNCTION) if f.construct_path.startswith(part)}
    for mapping in templates.resources("AWS::Lambda::EventSourceMapping"):
        props = mapping.properties
        function = props.get("FunctionName", {})
        if isinstance(function, dict) and function.get("Ref") in functions and "BatchSize" in props:
            return int(props["BatchSize"]), float(props.get("MaximumBatchingWindowInSeconds", 0))
    raise LookupError(f"no SQS event source mapping for a function under {part}")


def noop_rate(stack: LocalStackProcess, part: str, count: int) -> float:
    """Messages a second a no-op handler takes off a queue of the stack behind kefu_local's poller with the batch
    size and window of the `part` function's mapping."""
    from kefu_local.pollers import QueuePoller
    from kefu_local.resources import QueueMapping

    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"noop-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    batch, window = template_batching(part)
    poller = QueuePoller(QueueMapping("noop", url, arn, batch, window, True), NoOp(), stack.aws_endpoint)  # type: ignore[arg-type]
    started = time.perf_counter()
    poller.start()
    try:
        send_messages(stack, url, [json.dumps({"n": i}) for i in range(count)])
        wait_for(lambda: in_queue(stack, url) == 0, f"the no-op poller drained {count} messages", poll_s=0.1)
    finally:
        poller.stop()
    return count / (time.perf_counter() - started)


def health_rate(stack: LocalStackProcess, count: int) -> float:
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=CLIENTS))
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda _: session.get(f"{stack.url}/health", timeout=600).status_code, range(count)))
    assert set(statuses) == {200}
    return count / (time.perf_counter() - started)


# --- the run ------------------------------------------------------------------------------------------------------


def timed(load: Load, path: str, work: Callable[[], None], started: float) -> Callable[[], None]:
    def run() -> None:
        work()
        load.finished[path] = time.perf_counter() - started

    return run


def test_a_mixed_load_is_all_accounted_for_with_none_lost_and_none_twice(stack: LocalStackProcess):
    intake_url = queue_url(stack, "Intake")
    intake_dlq = queue_url(stack, "Intake", dead=True)
    mail_queue = queue_url(stack, "Email-Inbound")
    tokens = [
        stack.token("--role", "customer", "--sub", f"load-{n}", "--email", f"load-{n}@example.com") for n in range(8)
    ]

    baseline = {
        "intake": noop_rate(stack, "Intake-Function", INTAKE),
        "mail": noop_rate(stack, "Email-InboundFunction", MAILS) if MAILS else 0.0,
        "api": health_rate(stack, CREATES),
    }

    load = Load()
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=timed(
                load,
                "sent intake",
                lambda: send_messages(stack, intake_url, [intake_message(load, i) for i in range(INTAKE)]),
                started,
            )
        ),
        threading.Thread(target=timed(load, "sent mail", lambda: send_mails(stack, load), started)),
        threading.Thread(target=timed(load, "api", lambda: create_tickets(stack, load, tokens), started)),
    ]
    for thread in threads:
        thread.start()

    def drained(url: str, path: str) -> Callable[[], bool]:
        def check() -> bool:
            if f"sent {path}" in load.finished and in_queue(stack, url) == 0:
                load.finished.setdefault(path, time.perf_counter() - started)
                return True
            return False

        return check

    intake_done, mail_done = drained(intake_url, "intake"), drained(mail_queue, "mail")

    def remaining() -> tuple[int, ...]:
        answered = sum(load.api_statuses.values())
        return (in_queue(stack, intake_url), in_queue(stack, mail_queue), answered, len(load.finished))

    # The full load takes longer than tests/waiting.py's hang guard on a small machine: the guard applies to each
    # stretch without progress (a queue's depth or the API's answers unchanged), not to the whole run.
    while not all([intake_done(), mail_done(), "api" in load.finished]):
        before = remaining()
        wait_for(
            lambda before=before: all([intake_done(), mail_done(), "api" in load.finished]) or remaining() != before,
            "the load taken in (no progress)",
            poll_s=0.2,
        )
    for thread in threads:
        thread.join()

    # Then what came of each, once the counts stand still (stream readers and late retries have had their turn).
    last: list[Any] = [None, time.monotonic()]

    def still() -> list[dict[str, Any]] | None:
        items = table_items(stack)
        count = (len(items), in_queue(stack, intake_dlq))
        if count != last[0]:
            last[:] = [count, time.monotonic()]
            return None
        return items if time.monotonic() - last[1] >= STILL_S else None

    items = wait_for(still, "the tickets and records to stand still", poll_s=2)
    dead = drain_dead_letters(stack, intake_dlq)

    tickets = Counter(
        text(i, "subject") for i in items if text(i, "kind") == "ticket" and load.run in text(i, "subject")
    )
    mail_records = {
        text(i, "subject"): i for i in items if text(i, "pk").startswith("MAIL#") and load.run in text(i, "subject")
    }
    expected = {
        "intake": [load.marker("intake", i) for i in range(INTAKE) if not malformed(i, INTAKE)],
        "mail": [load.marker("mail", i) for i in range(MAILS) if not malformed(i, MAILS)],
        "api": [load.marker("api", i) for i in range(CREATES) if not malformed(i, CREATES)],
    }
    report = {}
    for path, markers in expected.items():
        report[path] = {
            "ticketed": sum(1 for m in markers if tickets[m] >= 1),
            "duplicates": sum(tickets[m] - 1 for m in markers if tickets[m] > 1),
            "lost": [m for m in markers if tickets[m] == 0],
        }
    reasons = Counter(
        m.get("MessageAttributes", {}).get("kefu-error", {}).get("StringValue", "retries exhausted") for m in dead
    )
    quarantined = Counter(
        (text(r, "outcome"), text(r, "reason")) for s, r in mail_records.items() if s not in expected["mail"]
    )
    bad_mails = [load.marker("mail", i) for i in range(MAILS) if malformed(i, MAILS)]
    bad_intake = INTAKE - len(expected["intake"])
    bad_api = CREATES - len(expected["api"])

    throughput = {
        "intake": INTAKE / load.finished["intake"],
        "mail": MAILS / load.finished["mail"] if MAILS else 0.0,
        "api": CREATES / load.finished["api"],
    }
    lines = [
        f"load: {INTAKE} intake messages, {MAILS} mails, {CREATES} API creates at once, {MALFORMED:.0%} malformed",
        *(
            f"  {path}: {throughput[path]:.1f}/s, {throughput[path] / baseline[path]:.3f}x a no-op handler "
            f"({baseline[path]:.1f}/s); ticketed {report[path]['ticketed']}/{len(expected[path])}, "
            f"duplicates {report[path]['duplicates']}, lost {len(report[path]['lost'])}"
            for path in ("intake", "mail", "api")
            if baseline[path]
        ),
        f"  intake dead-letter queue: {len(dead)} ({dict(reasons)}), malformed sent {bad_intake}",
        f"  mails quarantined or ignored: {sum(quarantined.values())} ({dict(quarantined)}), "
        f"malformed sent {len(bad_mails)}",
        f"  API answers: {dict(load.api_statuses)}, problem+json {load.api_problems}, malformed sent {bad_api}",
    ]
    report_text = "\n".join(lines)
    out = Path(__file__).resolve().parents[2] / "build" / "bench" / "load.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_text + "\n")
    print("\n" + report_text)

    for path in expected:
        assert report[path]["lost"] == [], f"{path}: lost {report[path]['lost'][:10]}"
        assert report[path]["duplicates"] == 0, path
    assert len(dead) == bad_intake and "retries exhausted" not in reasons, reasons
    assert sorted(
        s for s, r in mail_records.items() if s in bad_mails and text(r, "outcome") == "quarantine"
    ) == sorted(bad_mails)
    assert load.api_statuses[201] == len(expected["api"])
    assert sum(n for status, n in load.api_statuses.items() if 400 <= status < 500) == bad_api == load.api_problems
