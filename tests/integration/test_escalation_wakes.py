"""A ticket clock's wakes as kefu runs them: one-time EventBridge Scheduler schedules in moto, created and deleted by
`functions/escalation_watcher` reading the table's stream through the template's event source mapping (filter, batch
size, bisect, partial failures), fired at their time by the local stack's scheduler (kefu_local.schedules), which
invokes `functions/escalation` asynchronously with the wake's plan, as Scheduler does; the task schedules the next.

Time is compressed twice: the SLA targets are minutes (tests/integration/sla_desk.py: a complaint is answered
within 20 min and resolved within 40) and the local clock runs SCALE times faster, the scheduler's included, so a
complaint's four milestones (15, 20, 30 and 40 min) come 1.5, 2, 3 and 4 seconds after it is opened.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from kefu.clock import now
from kefu.config import (
    ESCALATION_DEAD_LETTERS_VAR,
    ESCALATION_FUNCTION_VAR,
    ESCALATION_SCHEDULE_GROUP_VAR,
    ESCALATION_SCHEDULER_ROLE_VAR,
    ESCALATION_TOPIC_VAR,
    reload_settings,
)
from kefu.escalation import service as escalation
from kefu.escalation import wakes
from kefu.escalation.plan import Plan, wake_time
from kefu.identity import Caller
from kefu.model.ticket_requests import CustomerRef, NewTicket
from kefu.model.tickets import Category, EntryKind
from kefu.store import agents as agent_store
from kefu.store import tickets as store
from kefu.tickets import service as tickets
from kefu.tickets.sla import clock_of
from kefu_local import references
from kefu_local.lambdas import dispatching, function_arn
from kefu_local.resources import FUNCTION, ResourceBuilder
from kefu_local.schedules import Scheduler
from kefu_local.stepfunctions import as_templates
from kefu_local.streams import StreamPoller, stream_mappings
from kefu_local.templates import cloud_assembly
from tests.conftest import ADMIN, AGENT, CUSTOMER, EVENTS, Api, LambdaContext, load_function
from tests.integration.sla_desk import DOCUMENT, run_clock_fast, use_short_targets
from tests.waiting import wait_for

SCALE = 600
WATCHER = "kefu-test-escalation-watcher"
#: The escalation task as the wakes' schedules invoke it, and their group.
TASK = "kefu-test-escalation"
WAKES = "kefu-test-escalation"
AS_AGENT = Caller(sub=AGENT.sub, groups=frozenset({"agent"}))


def eventually(condition: Callable[[], Any]) -> Any:
    """The first truthy value of `condition()` (a hang guard, not a speed check: tests/waiting.py)."""
    return wait_for(condition, lambda: f"the condition at line {condition.__code__.co_firstlineno}", poll_s=0.05)


@dataclass
class Step:
    """The task function as the wakes invoke it; it can fail once after doing its work, as when Lambda times out
    at its end (the asynchronous invocation is then retried)."""

    handler: Callable[[dict, Any], Any]
    lose_next_answer: bool = False
    calls: list[dict] = field(default_factory=list)
    #: each call's answer, beside `calls` (None for a call that failed)
    answers: list[dict | None] = field(default_factory=list)
    #: the (virtual) moment each call began, beside `calls`
    began: list[datetime] = field(default_factory=list)

    def __call__(self, event: dict, context: Any) -> Any:
        self.calls.append(event)
        self.began.append(now())
        try:
            result = self.handler(event, context)
        except Exception:
            self.answers.append(None)
            raise
        self.answers.append(result)
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise TimeoutError("the task's answer was lost after its work was done")
        return result


@dataclass
class Watcher:
    handler: Callable[[dict, Any], Any]
    events: list[dict] = field(default_factory=list)

    def __call__(self, event: dict, context: Any) -> Any:
        self.events.append(event)
        return self.handler(event, context)


@dataclass
class Desk:
    api: Api
    step: Step
    watcher: Watcher
    notifications_url: str
    scheduler: Scheduler

    def wakes(self, ticket_id: str) -> dict[str, dict]:
        """The ticket's pending wakes (one-time schedules) by name: their input, the plan."""
        client = boto3.client("scheduler")
        listed = client.list_schedules(GroupName=WAKES, NamePrefix=f"{ticket_id}-")["Schedules"]
        found = {}
        for summary in listed:
            try:
                described = client.get_schedule(Name=summary["Name"], GroupName=WAKES)
            except client.exceptions.ResourceNotFoundException:
                continue  # fired (or deleted) since it was listed
            found[summary["Name"]] = json.loads(described["Target"]["Input"])
        return found

    def fired(self, ticket_id: str) -> list[str]:
        """The names of the ticket's wakes the scheduler fired, in order."""
        return [name for name, _ in self.scheduler.fired if name.startswith(f"{ticket_id}-")]

    def complaint(self, group: str = "l1") -> str:
        request = NewTicket(
            subject="The courier threw my parcel over the fence",
            description="I want to complain about the delivery of order 1042.",
            category=Category.COMPLAINT,
            customer=CustomerRef(email="alice@example.com"),
        )
        return tickets.open_ticket(AS_AGENT, request, group=group).id

    def ladder_run(self, ticket_id: str, keys: int = 4) -> None:
        """Until the ticket's clock has escalated `keys` milestones, no wake of it is pending and the task has
        finished (the last run records its milestone before it publishes the step's notifications)."""
        eventually(
            lambda: (
                len(store.get(ticket_id).sla.escalated) >= keys
                and not self.wakes(ticket_id)
                and len(self.step.answers) == len(self.step.calls)
            )
        )

    def only_wake(self, ticket_id: str, generation: int) -> dict:
        """The plan of the ticket's one pending wake, once it is the only one and of this clock generation."""

        def one() -> list[dict]:
            found = list(self.wakes(ticket_id).values())
            return found if len(found) == 1 and found[0]["generation"] == generation else []

        (plan,) = eventually(one)
        return plan

    def first_wake(self, ticket_id: str) -> dict:
        """The plan of the ticket's first wake, taken away before it fires (the test runs the task itself)."""
        plan = self.only_wake(ticket_id, 1)
        wakes.cancel(Plan.model_validate(plan), "the test runs the task itself")
        return plan

    def calls_of(self, ticket_id: str) -> list[dict]:
        return [call for call in self.step.calls if call["ticketId"] == ticket_id]

    def escalations(self, ticket_id: str) -> list[dict]:
        entries = self.api("GET", f"/tickets/{ticket_id}/timeline", who=AGENT, query={"limit": "100"}).json["items"]
        return [e for e in entries if e["kind"] == EntryKind.ESCALATION]

    def notifications(self) -> list[dict]:
        sqs = boto3.client("sqs")
        found = []
        while batch := sqs.receive_message(QueueUrl=self.notifications_url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.notifications_url, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture(scope="module")
def cdk_out() -> Path:
    return cloud_assembly()


@pytest.fixture
def escalation_desk(desk: Api, cdk_out: Path, monkeypatch, tmp_path) -> Iterator[Desk]:
    undo_targets = use_short_targets(monkeypatch, tmp_path)
    undo_clock = run_clock_fast(monkeypatch, SCALE)
    assert desk("PUT", f"/agents/{AGENT.sub}/availability", who=AGENT, body={"availability": "online"}).status == 200
    step = Step(load_function("escalation").lambda_handler)
    watcher = Watcher(load_function("escalation_watcher").lambda_handler)
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="kefu-test-escalations")["TopicArn"]
    queue = sqs.create_queue(QueueName="kefu-test-escalation-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv(ESCALATION_TOPIC_VAR, topic)
    use_wakes(monkeypatch)
    reload_settings()
    with dispatching({WATCHER: watcher, TASK: step}):
        poller = StreamPoller(watcher_mapping(cdk_out), None)
        # The local stack's scheduler: it fires each wake at its time, invoking the task with the plan.
        scheduler = Scheduler(None, poll_seconds=0.1)
        poller.start()
        scheduler.start()
        try:
            yield Desk(desk, step, watcher, queue, scheduler)
        finally:
            scheduler.stop()
            poller.stop()
    undo_clock()
    undo_targets()


def use_wakes(monkeypatch) -> None:
    """The wakes' schedule group, dead-letter queue and Scheduler role, as the deployment names them."""
    boto3.client("scheduler").create_schedule_group(Name=WAKES)
    sqs = boto3.client("sqs")
    dead_letters = sqs.create_queue(QueueName="kefu-test-escalation-wakes-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv(ESCALATION_SCHEDULE_GROUP_VAR, WAKES)
    monkeypatch.setenv(ESCALATION_DEAD_LETTERS_VAR, arn)
    monkeypatch.setenv(ESCALATION_SCHEDULER_ROLE_VAR, "arn:aws:iam::123456789012:role/kefu-test-escalation-wakes")
    monkeypatch.setenv(ESCALATION_FUNCTION_VAR, function_arn(TASK))


def watcher_mapping(cdk_out: Path):
    """The template's stream mapping of the watcher, reading the test table's stream."""
    templates = as_templates(cdk_out)
    ResourceBuilder(templates, None)  # type: ignore[arg-type]  # names and ARNs resolved as the local stack does
    references.extend(templates)
    (function,) = [f for f in templates.resources(FUNCTION) if f.construct_path.startswith("Escalation-Watcher")]
    (mapping,) = stream_mappings(templates, {function.logical_id: WATCHER})
    stream = boto3.client("dynamodb").describe_table(TableName="kefu-test")["Table"]["LatestStreamArn"]
    return dataclasses.replace(mapping, stream_arn=stream)


def attribute(notification: dict, name: str) -> str:
    return notification["MessageAttributes"][name]["Value"]


def moment_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the four scenarios --------------------------------------------------------------------------------------


def test_an_unanswered_complaint_reaches_each_escalation_level_in_order(escalation_desk):
    ticket_id = escalation_desk.complaint()
    opened = store.get(ticket_id)
    assert (opened.assigneeId, opened.groupId) == (AGENT.sub, "l1")

    escalation_desk.ladder_run(ticket_id)

    entries = escalation_desk.escalations(ticket_id)
    assert [(e["data"]["key"], e["data"]["action"], e["data"]["level"]) for e in entries] == [
        ("first_response:75", "warn_owner", 0),
        ("first_response:100", "notify_supervisor", 0),
        ("first_response:100", "raise_level", 1),
        ("resolution:75", "warn_owner", 1),
        ("resolution:100", "notify_supervisor", 1),
        ("resolution:100", "raise_level", 2),
        ("resolution:100", "move_to_group", 2),
    ]
    at = {"first_response:75": 15, "first_response:100": 20, "resolution:75": 30, "resolution:100": 40}
    for entry in entries:  # never early
        assert moment_of(entry["createdAt"]) >= opened.createdAt + timedelta(minutes=at[entry["data"]["key"]])
    assert (entries[-1]["data"]["fromGroup"], entries[-1]["data"]["toGroup"]) == ("l1", "complaints")
    escalated = store.get(ticket_id)
    assert escalated.escalationLevel == 2
    assert (escalated.groupId, escalated.assigneeId, escalated.ownerId) == ("complaints", None, AGENT.sub)
    assert escalated.sla.breaches == ["first_response", "resolution"]
    assert agent_store.get_agent(AGENT.sub).load == 0  # moved away from them like a transfer
    # Every wake was of the first generation, each fired once, and the last run found nothing left to wait for.
    fired = escalation_desk.fired(ticket_id)
    assert fired and all(name.startswith(f"{ticket_id}-1-") for name in fired) and len(set(fired)) == len(fired)
    assert escalation_desk.step.answers[-1] == {"ticketId": ticket_id, "generation": 1, "done": True}
    # Milestones passed by the time the task runs are escalated in that run: the next wake it asks for is always
    # later than the run began. (How many wakes that takes is not fixed: on a loaded machine the first wake can come
    # late enough for two milestones, and one planned from the ticket as opened can find its target moved since.)
    runs = list(zip(escalation_desk.step.began, escalation_desk.step.answers, strict=True))
    asked = [(began, answer["wakeAt"]) for began, answer in runs if answer and not answer["done"]]
    assert all(moment_of(wake_at) > began for began, wake_at in asked), asked
    # (On a machine loaded enough that the first wake came after the last milestone, its one run escalated them all.)
    assert asked or len(runs) == 1, runs


def test_each_escalation_step_is_notified_once_with_the_attributes_subscriptions_filter_on(escalation_desk):
    ticket_id = escalation_desk.complaint()
    escalation_desk.ladder_run(ticket_id)

    notifications = escalation_desk.notifications()

    sent = [(attribute(n, "milestone"), attribute(n, "action")) for n in notifications]
    written = [(e["data"]["key"], e["data"]["action"]) for e in escalation_desk.escalations(ticket_id)]
    assert sorted(sent) == sorted(written)
    warn = next(n for n in notifications if attribute(n, "action") == "warn_owner")
    assert warn["MessageAttributes"]["ticketId"]["Value"] == ticket_id
    assert warn["MessageAttributes"]["ownerId"]["Value"] == AGENT.sub
    assert warn["MessageAttributes"]["groupId"]["Value"] == "l1"
    assert warn["Subject"] == f"kefu {ticket_id}: first_response:75 warn_owner"
    assert json.loads(warn["Message"])["subject"] == "The courier threw my parcel over the fence"
    moved = next(n for n in notifications if attribute(n, "action") == "move_to_group")
    assert moved["MessageAttributes"]["groupId"]["Value"] == "complaints"


def test_a_complaint_answered_and_resolved_in_time_reaches_no_escalation(escalation_desk):
    ticket_id = escalation_desk.complaint()
    reply = escalation_desk.api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body={"body": "We are on it."})
    assert reply.status == 201
    body = {"to": "resolved", "resolution": {"kind": "reship"}}
    assert escalation_desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200

    # Deleted by the watcher: the first wake when the ticket was answered, the second (for the resolution
    # milestones) when it was resolved; or, on a machine slow enough that a milestone woke first, ending with its task
    # seeing the ticket answered or resolved. Either way without an escalation. The resolved clock's only wake is
    # the close after the quiet period.
    closing = escalation_desk.only_wake(ticket_id, 3)
    assert closing["milestone"] == "close"
    assert escalation_desk.escalations(ticket_id) == []
    assert store.get(ticket_id).escalationLevel == 0
    assert escalation_desk.notifications() == []


def test_a_complaint_resolved_midway_ends_its_execution_without_a_further_escalation(
    escalation_desk, monkeypatch, tmp_path
):
    # Two hours to resolve it: its resolution's milestones (90 and 120 min) come 7 and 10 s after its first response's
    # breach (20 min) at this scale, time enough to resolve it between them on a loaded machine (with the shared 40
    # min, 1 s was not always).
    targets(monkeypatch, tmp_path, resolution="2h")
    ticket_id = escalation_desk.complaint()
    eventually(lambda: store.get(ticket_id).escalationLevel >= 1)  # its first response breached (20 min)

    body = {"to": "resolved", "resolution": {"kind": "refund", "amount": 20, "currency": "CNY"}}
    assert escalation_desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200

    # Its pending wake deleted by the stream, or (when it fired in the same instant) ending with its task seeing the
    # ticket resolved: either way without a further escalation (below; how soon is not a test's to time).
    closing = escalation_desk.only_wake(ticket_id, 2)
    resolved = store.get(ticket_id)
    past_its_target = resolved.createdAt + timedelta(minutes=125)
    eventually(lambda: now() > past_its_target)
    # A task that was still running as the ticket was resolved (a loaded machine) may make its next wake after the
    # stream cancelled its generation's: that wake fires at its time, finds the ticket resolved, and is gone.
    eventually(lambda: list(escalation_desk.wakes(ticket_id).values()) == [closing])
    entries = escalation_desk.escalations(ticket_id)
    assert [e["data"]["key"] for e in entries][:3] == ["first_response:75", "first_response:100", "first_response:100"]
    assert all(moment_of(e["createdAt"]) <= resolved.sla.resolvedAt for e in entries)  # none after it
    assert "resolution:100" not in resolved.sla.escalated
    # The resolved generation only waits to close the ticket (7 days).
    assert closing["milestone"] == "close"


def test_a_paused_complaint_moves_its_deadlines_by_the_time_it_waited(escalation_desk):
    ticket_id = escalation_desk.complaint()
    reply = escalation_desk.api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body={"body": "Send a photo?"})
    assert reply.status == 201  # answered: the resolution milestones (30 and 40 min) remain
    body = {"to": "pending", "note": "waiting for the photo"}
    assert escalation_desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200
    # Deleted by the watcher at the answer and at the pause; or, on a machine slow enough that a milestone woke
    # first, ending with its task seeing the ticket answered or paused (or, slower still, the reply coming after the
    # first response's 75% milestone: its warning). The paused clock waits for nothing.
    eventually(lambda: not escalation_desk.wakes(ticket_id))
    time.sleep(1)  # ten minutes on hold
    tickets.relay_customer_message(AS_AGENT, ticket_id, "Here is the photo.")  # their answer resumes the clock

    ticket = store.get(ticket_id)
    clock = clock_of(ticket)
    assert clock is not None and clock.generation == 4  # opened, answered, paused, resumed
    ((paused, resumed),) = clock.clock.pauses
    held = resumed - paused
    assert held >= timedelta(minutes=9)
    assert ticket.sla.resolutionDue == ticket.createdAt + timedelta(minutes=40) + held

    def of_the_resolution() -> list[dict]:
        return [e for e in escalation_desk.escalations(ticket_id) if e["data"]["key"].startswith("resolution:")]

    # The resumed clock's first escalation (a loaded machine may be slow enough to see its 100% as well).
    (entry, *_) = eventually(of_the_resolution)
    (started, *_) = [call for call in escalation_desk.calls_of(ticket_id) if call["generation"] == 4]
    assert started["wakeAt"] == wake_time(ticket.createdAt + timedelta(minutes=30) + held)
    assert entry["data"]["key"] == "resolution:75"
    assert moment_of(entry["data"]["due"]) == ticket.sla.resolutionDue
    assert moment_of(entry["createdAt"]) >= ticket.createdAt + timedelta(minutes=30) + held
    # None for generation 3: the paused clock had nothing to wait for.
    assert not [name for name in escalation_desk.fired(ticket_id) if name.startswith(f"{ticket_id}-3-")]
    assert {call["generation"] for call in escalation_desk.calls_of(ticket_id)} <= {1, 2, 4}


# --- retries and duplicates ------------------------------------------------------------------------------------


def test_a_retried_task_does_not_escalate_twice(escalation_desk):
    escalation_desk.step.lose_next_answer = True  # its first run escalates, then Lambda reports a failure
    ticket_id = escalation_desk.complaint()

    first = eventually(lambda: escalation_desk.step.calls and escalation_desk.step.calls[0])

    # Lambda retried the asynchronous invocation: the same wake, run again (a later wake may have fired between).
    def retried() -> list[int]:
        step = escalation_desk.step
        found = [i for i, call in enumerate(step.calls) if call == first]
        return found if len(found) >= 2 and len(step.answers) > found[1] else []  # both runs answered

    runs = eventually(retried)
    lost, answered = (escalation_desk.step.answers[i] for i in runs[:2])
    # Both runs planned past the 75% milestone (on a busy machine, later milestones may have come due as well)
    # (a run that found every milestone passed asks for no wake: it has no milestone)
    assert lost.get("milestone") != "first_response:75"
    assert answered.get("milestone") != "first_response:75"
    keys = [e["data"]["key"] for e in escalation_desk.escalations(ticket_id)]
    assert keys.count("first_response:75") == 1
    steps = [(e["data"]["key"], e["data"]["action"]) for e in escalation_desk.escalations(ticket_id)]
    assert len(steps) == len(set(steps))  # no ladder step of any milestone ran twice
    assert [attribute(n, "milestone") for n in escalation_desk.notifications()].count("first_response:75") == 1
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert escalation_desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200


def test_two_runs_of_the_task_at_once_escalate_a_milestone_once(escalation_desk, monkeypatch):
    ticket_id = escalation_desk.complaint()
    opened = store.get(ticket_id)
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    monkeypatch.setattr(escalation, "now", lambda: opened.createdAt + timedelta(minutes=16))
    escalation_desk.first_wake(ticket_id)  # the runs below stand in for it
    plans, start = [], threading.Barrier(2)

    def run() -> None:
        start.wait()
        plans.append(escalation.run_due_milestones(ticket_id, 1))

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    assert [e["data"]["key"] for e in escalation_desk.escalations(ticket_id)] == ["first_response:75"]
    assert [p.milestone for p in plans] == ["first_response:100", "first_response:100"]
    assert [attribute(n, "action") for n in escalation_desk.notifications()] == ["warn_owner"]
    assert escalation_desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200


def test_an_agent_a_move_frees_takes_other_work_not_the_ticket_just_moved(escalation_desk, monkeypatch):
    also_complaints = {"name": AGENT.sub, "groupIds": ["l1", "complaints"], "capacity": 5, "skills": ["orders"]}
    assert escalation_desk.api("PUT", f"/agents/{AGENT.sub}", who=ADMIN, body=also_complaints).status == 200
    ticket_id = escalation_desk.complaint()
    escalation_desk.first_wake(ticket_id)  # the run below stands in for it
    monkeypatch.setattr(escalation, "now", lambda: store.get(ticket_id).createdAt + timedelta(minutes=41))

    plan = escalation.run_due_milestones(ticket_id, 1)

    moved = store.get(ticket_id)
    assert plan.done and moved.sla.escalated[-1] == "resolution:100"
    assert (moved.groupId, moved.assigneeId, moved.ownerId) == ("complaints", None, AGENT.sub)
    assert agent_store.get_agent(AGENT.sub).load == 0


def test_a_redelivered_stream_record_schedules_no_second_wake(escalation_desk):
    ticket_id = escalation_desk.complaint()
    first = escalation_desk.only_wake(ticket_id, 1)
    (opening,) = [
        event
        for event in escalation_desk.watcher.events
        for record in event["Records"]
        if record["eventName"] == "INSERT" and record["dynamodb"]["Keys"]["pk"]["S"] == f"TICKET#{ticket_id}"
    ]

    answer = escalation_desk.watcher(opening, LambdaContext())

    assert answer == {"batchItemFailures": []}
    assert list(escalation_desk.wakes(ticket_id).values()) == [first]


def test_a_record_the_watcher_could_not_act_on_is_reported_as_a_batch_item_failure(escalation_desk, monkeypatch):
    ticket_id = escalation_desk.complaint()
    escalation_desk.first_wake(ticket_id)
    (opening,) = [
        event
        for event in escalation_desk.watcher.events
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == f"TICKET#{ticket_id}" for r in event["Records"])
    ]
    monkeypatch.delenv(ESCALATION_SCHEDULER_ROLE_VAR)  # the schedule cannot be made
    reload_settings()

    answer = escalation_desk.watcher(opening, LambdaContext())

    sequence = opening["Records"][0]["dynamodb"]["SequenceNumber"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence}]}


def test_a_wake_for_a_ticket_that_no_longer_exists_schedules_nothing_more(escalation_desk):
    plan = json.loads((EVENTS / "scheduler_escalation_wake.json").read_text())  # a ticket never stored here
    task = load_function("escalation")

    answer = task.lambda_handler(plan, LambdaContext(invoked_function_arn=function_arn(TASK)))

    assert answer == {"ticketId": plan["ticketId"], "generation": 1, "done": True}
    assert escalation_desk.wakes(plan["ticketId"]) == {}


# --- resolved tickets close on their own -------------------------------------------------------------------------


def quiet_period(monkeypatch, folder: Path, quiet: str) -> None:
    """The short targets with a short quiet period before a resolved ticket closes."""
    deliver(monkeypatch, folder, {**DOCUMENT["sla"], "auto_close_after": quiet})


def targets(monkeypatch, folder: Path, *, resolution: str) -> None:
    """The short targets with another resolution target for complaints."""
    (complaint, *others) = DOCUMENT["sla"]["policies"]
    assert complaint["name"] == "complaint"
    deliver(monkeypatch, folder, {**DOCUMENT["sla"], "policies": [{**complaint, "resolution": resolution}, *others]})


def deliver(monkeypatch, folder: Path, sla: dict) -> None:
    """`sla` as the deployment's SLA settings (the document is cached: the fixture's undo reloads it)."""
    from kefu import deployment

    path = folder / "kefu-deployment-sla.json"
    path.write_text(json.dumps({"sla": sla}), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()


def resolve(desk: Desk, ticket_id: str) -> None:
    assert desk.api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body={"body": "Sent again."}).status == 201
    body = {"to": "resolved", "resolution": {"kind": "reship"}}
    assert desk.api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200


def test_a_resolved_ticket_closes_on_its_own_after_the_quiet_period(escalation_desk, monkeypatch, tmp_path):
    quiet_period(monkeypatch, tmp_path, "20m")  # 2 s at this scale
    ticket_id = escalation_desk.complaint()
    resolve(escalation_desk, ticket_id)

    eventually(lambda: store.get(ticket_id).status.value == "closed")

    closed = store.get(ticket_id)
    # The resolved generation's close fired once. Beside it, only a milestone's wake that beat the agent's reply or
    # the resolve (a loaded machine: 15 minutes are 1.5 s here) may have fired.
    fired = escalation_desk.fired(ticket_id)
    assert len([name for name in fired if name.startswith(f"{ticket_id}-3-")]) == 1, fired
    assert all(name.startswith((f"{ticket_id}-1-", f"{ticket_id}-2-", f"{ticket_id}-3-")) for name in fired), fired
    assert eventually(lambda: not escalation_desk.wakes(ticket_id))  # deleted once it fired
    assert closed.status.value == "closed"
    assert closed.sla.closedAt >= closed.sla.resolvedAt + timedelta(minutes=20)
    timeline = escalation_desk.api("GET", f"/tickets/{ticket_id}/timeline", who=ADMIN, query={"limit": "100"})
    (entry,) = [e for e in timeline.json["items"] if e["kind"] == "status" and e["data"]["to"] == "closed"]
    assert entry["visibility"] == "public"
    assert entry["data"]["reason"].startswith("closed automatically: resolved 20 minutes")


def test_a_customer_who_writes_before_the_close_reopens_the_ticket_and_cancels_the_close(
    escalation_desk, monkeypatch, tmp_path
):
    # 12 s at this scale: the customer's message and the stream that stops the close must land inside the quiet
    # period, and on a loaded machine (CI) 2 s (20 min) was not always enough.
    quiet_period(monkeypatch, tmp_path, "2h")
    ticket_id = escalation_desk.complaint()
    resolve(escalation_desk, ticket_id)
    closing = wakes.schedule_name(Plan.model_validate(escalation_desk.only_wake(ticket_id, 3)))

    # The complaint was opened for alice@example.com: CUSTOMER's verified address makes them that customer.
    said = escalation_desk.api("POST", f"/tickets/{ticket_id}/messages", who=CUSTOMER, body={"body": "Still broken"})
    assert said.status == 201, said.text

    assert eventually(lambda: closing not in escalation_desk.wakes(ticket_id))  # the watcher deleted it
    reopened_at = store.get(ticket_id).updatedAt
    eventually(lambda: now() > reopened_at + timedelta(hours=2, minutes=5))
    assert store.get(ticket_id).status.value == "open"
    assert closing not in escalation_desk.fired(ticket_id)  # the close never fired


# --- the wakes' schedules ------------------------------------------------------------------------------------------


def test_a_wake_made_twice_is_one_schedule_and_cancelling_one_that_is_gone_is_no_error(escalation_desk):
    from kefu.escalation import wakes
    from kefu.escalation.plan import Plan

    plan = Plan(ticketId="TK-7F3K9Q2M", generation=3, wakeAt="2099-03-02T10:50:00Z", milestone="close")

    assert (
        wakes.schedule(plan, function_arn(TASK))
        == wakes.schedule(plan, function_arn(TASK))
        == wakes.schedule_name(plan)
    )

    (made,) = escalation_desk.wakes("TK-7F3K9Q2M").items()
    assert made == ("TK-7F3K9Q2M-3-20990302105000", plan.document())
    described = boto3.client("scheduler").get_schedule(Name=made[0], GroupName=WAKES)
    assert described["ScheduleExpression"] == "at(2099-03-02T10:50:00)"
    assert described["Target"]["Arn"] == function_arn(TASK)
    assert described["Target"]["DeadLetterConfig"]["Arn"].endswith(":kefu-test-escalation-wakes-dlq")
    assert described["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    wakes.cancel(plan, "the test is over")
    wakes.cancel(plan, "the test is over")
    assert escalation_desk.wakes("TK-7F3K9Q2M") == {}


def test_a_wake_that_comes_before_its_time_fails_so_that_lambda_retries_it(escalation_desk, monkeypatch, tmp_path):
    from kefu.escalation.plan import Plan

    quiet_period(monkeypatch, tmp_path, "2h")
    ticket_id = escalation_desk.complaint()
    resolve(escalation_desk, ticket_id)
    closing = escalation_desk.only_wake(ticket_id, 3)
    woken = Plan.model_validate(closing)

    with pytest.raises(escalation.WokeEarly):
        escalation.wake(woken, function_arn(TASK))

    assert store.get(ticket_id).status.value == "resolved"
    assert list(escalation_desk.wakes(ticket_id).values()) == [closing]  # nothing else scheduled


def test_a_wake_whose_time_has_passed_is_made_for_soon_and_keeps_its_name(escalation_desk):
    from kefu.escalation import wakes
    from kefu.escalation.plan import Plan
    from kefu_local.schedules import parse_expression

    overdue = Plan(ticketId="TK-OVERDUE1", generation=2, wakeAt="2020-01-01T00:00:00Z", milestone="resolution:75")

    name = wakes.schedule(overdue, function_arn(TASK))

    assert name == "TK-OVERDUE1-2-20200101000000"
    described = boto3.client("scheduler").get_schedule(Name=name, GroupName=WAKES)
    fires = parse_expression(described["ScheduleExpression"]).next_after(now() - timedelta(seconds=1))
    # A minute from now, and at least 2 real seconds on this clock (20 minutes at SCALE 600).
    assert fires is not None and now() < fires <= now() + timedelta(minutes=21)
    assert eventually(lambda: escalation_desk.fired("TK-OVERDUE1"))  # the local scheduler fires it
