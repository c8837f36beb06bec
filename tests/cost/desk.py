"""The scenarios `make cost` prices, played against a local stack running in this process (kefu_local.stack), as
its users play them: customers and agents over the HTTP API with tokens of the local user pool, mail over SMTP,
the revisit campaign fired as its schedule fires it.

In this process rather than `kefu local up` in a child, so that tests/cost/meter.py sees every function invocation
and every AWS call. The local clock runs `SCALE` times faster (`KEFU_TIME_SCALE`): a ticket's life is played in
about a second (an hour or two of desk time: no SLA milestone comes due), the 7-day wait before a resolved
ticket closes passes in under a minute and a half, a complaint's 96-hour ladder in under a minute. Each scenario
runs alone and to its end (every wake it scheduled fired, every execution it started finished, no function running
for `QUIET_S`), so what was counted is its own.
The scheduler fires only the one-time schedules made per ticket: the escalation clocks' wakes (the
`kefu-dev-escalation` group) and the customer notices' wake-ups (`kefu-notice-…`: a notice deferred by quiet hours
or by its ticket's rate limit is mailed when it comes due). A life starts in the desk's day and its steps are
further apart than a ticket's notices' interval (`Desk.daytime`, `Desk.step`), so what a scenario mails does not
depend on the hour it is played at nor on how fast the machine answered. Campaigns, QA sampling and KPI refreshes
run on the clock, not per ticket (the revisit scenario fires its campaign itself, once).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import boto3
import requests

from tests.cost.bill import Usage
from tests.cost.meter import METER, Phase
from tests.waiting import wait_for

#: How many times faster than real time the local clock runs.
SCALE = 7200
#: Seconds without a function running after which a scenario's last effects are taken to have happened (the
#: stream readers poll 4 times a second, the queue pollers long-poll).
QUIET_S = 3.0
SUPPORT = "support@dev.kefu.example.com"
AGENT_SUB = "agent-li"
SUPERVISOR_SUB = "sup-wang"
#: The schedule group of the escalation clocks' wakes (kefu.escalation.wakes).
WAKES = "kefu-dev-escalation"
#: The longest a paced life takes on the local clock (its steps `Desk.step` apart, the calls between them): it is
#: started only where all of it falls outside the customer notices' quiet hours (`Desk.daytime`).
LIFE = timedelta(hours=4)


def per_ticket(group: str, name: str) -> bool:
    """Whether a schedule is one a ticket made: an escalation wake, or a deferred notice's wake-up
    (kefu.notifications.wakeups). Only these fire in the run."""
    from kefu.notifications import wakeups

    return group == WAKES or (group == wakeups.GROUP and name.startswith(wakeups.PREFIX))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_stack(workdir: Path) -> Iterator[Any]:
    """A local stack in this process on free ports, its clock `SCALE` times faster, its scheduler firing only the
    schedules tickets make (`per_ticket`); the environment as it was afterwards."""
    from kefu import clock
    from kefu.config import TIME_SCALE_VAR, reload_settings
    from kefu_local.config import LocalConfig
    from kefu_local.schedules import Scheduler
    from kefu_local.stack import LocalStack

    saved = dict(os.environ)
    ports = set()
    while len(ports) < 3:
        ports.add(free_port())
    api_port, aws_port, smtp_port = sorted(ports)
    os.environ[TIME_SCALE_VAR] = str(SCALE)
    stack = LocalStack(LocalConfig("127.0.0.1", api_port, aws_port, workdir / "state", smtp_port))
    stack.start()
    wakes = Scheduler(stack.config.aws_endpoint, only=per_ticket, poll_seconds=0.2)
    try:
        if stack.scheduler is not None:
            stack.scheduler.stop()
        wakes.start()
        yield stack
    finally:
        wakes.stop()
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        reload_settings()
        clock.reset()


@dataclass
class Desk:
    """The running stack as its users reach it, and what the driver needs to know when a scenario is over."""

    stack: Any
    http: requests.Session = field(default_factory=requests.Session)
    mails_received: int = 0
    mail_bytes_received: int = 0

    @property
    def url(self) -> str:
        return self.stack.config.api_url

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.stack.config.aws_endpoint, region_name="us-east-1")

    # --- people --------------------------------------------------------------------------------------------------

    def token(self, sub: str, *, email: str | None = None, groups: tuple[str, ...] = ()) -> str:
        return self.stack.user_pool.mint(sub, email=email, groups=list(groups), ttl_seconds=24 * 3600)

    def customer(self, name: str) -> str:
        return self.token(f"cost-{name}", email=f"{name}@example.com")

    @property
    def agent(self) -> str:
        return self.token(AGENT_SUB, groups=("agent",))

    @property
    def supervisor(self) -> str:
        return self.token(SUPERVISOR_SUB, groups=("agent", "supervisor"))

    # --- the pace of a ticket's life, on the local clock ----------------------------------------------------------
    # What a scenario mails its customers must not depend on the hour it is played at nor on how fast the machine
    # answered: a notice falling in the stage's quiet hours waits for their end, and one within its ticket's
    # `min_interval` of the last waits too, the newest of those waiting replacing the others
    # (kefu.notifications.decision). So a life starts in the desk's day, and its steps are further apart than the
    # interval: each of its notices is decided the same way in every run, as a ticket worked over a day is.

    def daytime(self) -> None:
        """Until a whole life (`LIFE`) from now on the local clock falls outside the notices' quiet hours."""
        from kefu import clock
        from kefu.notifications.config import notification_settings
        from kefu.revisits.quiet import in_quiet_hours

        quiet = notification_settings().quiet_hours

        def fits() -> bool:
            now = clock.now()
            return not in_quiet_hours(now, quiet) and not in_quiet_hours(now + LIFE, quiet)

        wait_for(fits, "the desk's day on the local clock", poll_s=0.05)

    def step(self) -> None:
        """A pause between a life's steps: five minutes longer than a ticket's notices' `min_interval`."""
        from kefu.notifications.config import notification_settings

        pause = notification_settings().min_interval + timedelta(minutes=5)
        time.sleep(pause.total_seconds() / SCALE)

    def call(self, method: str, path: str, token: str | None, body: dict | None = None, status: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = self.http.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=120)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def mail(self, sender: str, subject: str, text: str) -> None:
        """A mail to the desk, through the local SMTP server (the SES receiving path)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
        message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
        message.set_content(text)
        raw = message.as_bytes()
        with smtplib.SMTP("127.0.0.1", self.stack.config.smtp_port, timeout=60) as smtp:
            smtp.starttls()
            smtp.sendmail(sender, [SUPPORT], raw)
        self.mails_received += 1
        self.mail_bytes_received += len(raw)

    # --- the stack's state, read from the driving thread (never counted) ------------------------------------------

    def executions(self) -> dict[str, str]:
        """Every execution of every state machine: ARN → status."""
        states = self.client("stepfunctions")
        found = {}
        for machine in self.stack.state_machines.values():
            for page in states.get_paginator("list_executions").paginate(stateMachineArn=machine.arn):
                found.update({e["executionArn"]: e["status"] for e in page["executions"]})
        return found

    def transitions(self, arns: set[str]) -> int:
        """The Standard state transitions of these executions: each state entered is one."""
        states = self.client("stepfunctions")
        entered = 0
        for arn in arns:
            for page in states.get_paginator("get_execution_history").paginate(executionArn=arn):
                entered += sum(1 for event in page["events"] if event["type"].endswith("StateEntered"))
        return entered

    def wakes(self) -> set[str]:
        """The one-time schedules tickets made (`per_ticket`) not fired yet, by group and name."""
        scheduler = self.client("scheduler")
        found: set[str] = set()
        for page in scheduler.get_paginator("list_schedules").paginate():
            found.update(
                f"{group}/{s['Name']}"
                for s in page["Schedules"]
                if per_ticket(group := s.get("GroupName") or "default", s["Name"])
            )
        return found

    def settle(self, started_before: set[str] | None = None) -> None:
        """Until no execution runs and no wake is pending (only those made since `started_before`, execution ARNs
        and wake names, if given) and no function has run for QUIET_S."""

        def settled() -> bool:
            running = {arn for arn, status in self.executions().items() if status == "RUNNING"} | self.wakes()
            if started_before is not None:
                running -= started_before
            return not running and METER.idle_for() >= QUIET_S

        wait_for(settled, "the scenario's executions ended and its functions went quiet", poll_s=0.5)

    def sent_mails(self) -> list[str]:
        """The text of every mail SES (moto) accepted: raw ones (answers, surveys) parsed, simple ones (escalation
        notices) as their body."""
        from moto.ses.models import ses_backends

        from tests.integration.capacity import ACCOUNT, REGION

        parser = BytesParser(policy=default_policy)
        texts = []
        for message in ses_backends[ACCOUNT][REGION].sent_messages:
            raw = getattr(message, "raw_data", None)
            if raw is None:
                texts.append(str(getattr(message, "body", "")))
                continue
            body = parser.parsebytes(raw.encode()).get_body(("plain", "html"))
            texts.append(body.get_content() if body is not None else "")
        return texts

    def stream_readers(self) -> int:
        """Functions reading the table's Kinesis stream (each takes every change off it)."""
        return sum(1 for poller in self.stack.stream_pollers if poller.mapping.shape == "kinesis")


@dataclass
class Measured:
    usage: Usage
    phase: Phase
    #: Anything worth saying about the run (the ladder's wakes…).
    notes: list[str] = field(default_factory=list)


def measure(desk: Desk, tickets: int, play: Any, *, own_executions_only: bool = False) -> Measured:
    """Play a scenario from a quiet stack and price what it used: `play()` returns notes."""
    from kefu_local.stack import API_FUNCTION_NAME

    before = set(desk.executions()) | desk.wakes()
    METER.take()
    mails, mail_bytes = desk.mails_received, desk.mail_bytes_received
    notes = play() or []
    desk.settle(before if own_executions_only else None)
    phase = METER.take()
    started = set(desk.executions()) - before
    scheduled = phase.calls[("scheduler", "CreateSchedule")]
    usage = Usage(
        tickets=tickets,
        invocations=phase.invocations,
        api_requests=sum(1 for i in phase.invocations if i.function == API_FUNCTION_NAME),
        calls=phase.calls,
        write_units=phase.units.writes,
        read_units=phase.units.reads,
        cdc_units=phase.cdc_units,
        change_kb=phase.change_kb,
        stream_readers=desk.stream_readers(),
        transitions=desk.transitions(started),
        mails_received=desk.mails_received - mails,
        mail_bytes_received=desk.mail_bytes_received - mail_bytes,
    )
    return Measured(usage, phase, [f"{len(started)} executions", f"{scheduled} wakes scheduled", *notes])


# --- the scenarios ----------------------------------------------------------------------------------------------


def web_life(desk: Desk, name: str, *, category: str | None = None) -> str:
    """Opened by its customer on the web, answered by an agent, the customer's reply, resolved; in the desk's day
    (`Desk.daytime`), its steps paced (`Desk.step`). A scenario's tickets live one after the other, as on a desk of
    10,000 tickets a month (about one every four minutes): no stream batch holds two of them."""
    customer = desk.customer(name)
    body = {"subject": "Where is my order?", "description": "Order 1042 has not arrived yet."}
    if category:
        body = {
            "subject": "A complaint about the courier",
            "description": "The courier was rude.",
            "category": category,
        }
    desk.daytime()
    ticket = desk.call("POST", "/tickets", customer, body, status=201)["id"]
    answer_and_resolve(desk, ticket, customer)
    return ticket


def answer_and_resolve(desk: Desk, ticket: str, customer: str | None, staff: str | None = None) -> None:
    """The rest of a life, its steps paced (`Desk.step`); started in the desk's day (`Desk.daytime`)."""
    staff = staff or desk.agent
    desk.step()
    desk.call("POST", f"/tickets/{ticket}/messages", staff, {"body": "It ships today."}, status=201)
    if customer is not None:
        desk.step()
        desk.call("POST", f"/tickets/{ticket}/messages", customer, {"body": "Thank you!"}, status=201)
    desk.step()
    resolve = {"to": "resolved", "resolution": {"kind": "answer"}}
    desk.call("POST", f"/tickets/{ticket}/transition", staff, resolve)


def web(desk: Desk, tickets: int) -> Measured:
    run = uuid.uuid4().hex[:6]

    def play() -> list[str]:
        opened = [web_life(desk, f"web-{run}-{i}") for i in range(tickets)]
        desk.settle()
        return breaches_of(opened)

    return measure(desk, tickets, play)


def email(desk: Desk, tickets: int) -> Measured:
    """A new sender's mail, an agent's answer (mailed back), the customer's reply by mail, resolved."""
    from kefu.store import tickets as ticket_store
    from tests.integration.mailroom import tickets_of

    run = uuid.uuid4().hex[:6]

    def play() -> list[str]:
        opened = []
        for i in range(tickets):
            sender = f"mail-{run}-{i}@example.com"
            desk.daytime()
            desk.mail(sender, "Broken lid", "The lid of the kettle arrived cracked.")
            (ticket,) = wait_for(lambda sender=sender: tickets_of(sender), f"the ticket of {sender}'s mail")
            desk.step()
            desk.call("POST", f"/tickets/{ticket.id}/messages", desk.agent, {"body": "A new lid is on its way."}, 201)
            version = ticket_store.get(ticket.id).version
            desk.step()
            desk.mail(sender, f"Re: [{ticket.id}] Broken lid", "Thank you!")
            wait_for(lambda t=ticket.id, v=version: ticket_store.get(t).version > v, "the reply threaded")
            desk.step()
            desk.call(
                "POST",
                f"/tickets/{ticket.id}/transition",
                desk.agent,
                {"to": "resolved", "resolution": {"kind": "reship"}},
            )
            opened.append(ticket.id)
        desk.settle()
        return breaches_of(opened)

    return measure(desk, tickets, play)


def complaint(desk: Desk, tickets: int) -> Measured:
    """A complaint nobody answers until the whole ladder has run (96 hours), then answered, replied to, resolved."""
    from kefu.store import tickets as ticket_store

    run = uuid.uuid4().hex[:6]

    def play() -> list[str]:
        opened = []
        for i in range(tickets):
            customer = desk.customer(f"complaint-{run}-{i}")
            body = {"subject": "A complaint", "description": "The courier was rude to me.", "category": "complaint"}
            opened.append((desk.call("POST", "/tickets", customer, body, status=201)["id"], customer))
        desk.settle()  # the ladder has run to its end
        levels = [ticket_store.get(ticket).escalationLevel for ticket, _ in opened]
        for ticket, customer in opened:
            desk.daytime()
            answer_and_resolve(desk, ticket, customer, desk.supervisor)
        desk.settle()
        return [f"escalation levels reached: {levels}"]

    return measure(desk, tickets, play)


def revisit(desk: Desk, tickets: int) -> Measured:
    """Resolved web tickets two days later: the daily CSAT campaign fired once, each survey mailed and answered."""
    from kefu import clock
    from kefu.store import tickets as ticket_store
    from kefu_local.schedules import Deliverer, Schedule

    run = uuid.uuid4().hex[:6]
    resolved = [web_life(desk, f"revisit-{run}-{i}") for i in range(tickets)]
    moments = [ticket_store.get(ticket).sla.resolvedAt for ticket in resolved]
    assert all(moments), f"every revisit ticket resolved: {moments}"
    due = max(m for m in moments if m is not None) + timedelta(days=2, hours=2)
    wait_for(lambda: clock.now() >= due, "two days on the local clock since the tickets were resolved")
    scheduler = desk.client("scheduler")
    found = [s for s in scheduler.list_schedules()["Schedules"] if "csat" in s["Name"].lower()]
    assert found, "the daily CSAT campaign's schedule"
    described = scheduler.get_schedule(Name=found[0]["Name"], GroupName=found[0].get("GroupName") or "default")
    schedule = Schedule.from_api(described)
    mailed = len(desk.sent_mails())

    def play() -> list[str]:
        Deliverer(desk.stack.config.aws_endpoint).deliver(schedule, clock.now())
        links = wait_for(lambda: survey_links(desk.sent_mails()[mailed:], tickets), f"{tickets} survey mails")
        for link in links:
            desk.call("POST", link.removeprefix(desk.url), None, {"csat": 5, "nps": 9, "comment": "Quick!"}, 201)
        return [f"{len(links)} surveys answered"]

    measured = measure(desk, tickets, play, own_executions_only=True)
    measured.usage.calls[("scheduler", "Fire")] += 1
    return measured


SURVEY_LINK = re.compile(r"https?://[^\s<>\"']+/surveys/[^\s<>\"']+")


def survey_links(texts: list[str], expected: int) -> list[str] | None:
    links: list[str] = []
    for text in texts:
        links.extend(dict.fromkeys(SURVEY_LINK.findall(text)))
    return links if len(links) >= expected else None


def breaches_of(ticket_ids: list[str]) -> list[str]:
    """A note if any of the tickets breached its SLA while played (the scenario would not be the one meant)."""
    from kefu.store import tickets as ticket_store

    breached = {t: ticket_store.get(t).sla.breaches for t in ticket_ids if ticket_store.get(t).sla.breaches}
    return [f"SLA breached while played: {breached}"] if breached else []
