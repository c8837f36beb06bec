"""A revisit campaign on the local stack, over 1,000 resolved tickets of 700 customers written straight to the
local table: the `daily-csat-survey` run (infra/config/dev.yaml) started on the local state machine finishes within
a minute, and each customer it may reach gets one survey and one mail, nobody else.

The local clock runs SCALE times faster, so the run's quiet-hours wait (up to 12 h, 21:00-09:00 in Shanghai) lasts
seconds whatever the time of day. The campaign schedules are disabled first: at that speed their cron would start
runs of their own (the run here starts by StartExecution, with the scheduled time the test chooses).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests

from kefu.clock import iso
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Status
from kefu.store import customers as customer_store
from kefu.store import tickets as ticket_store
from kefu_local.templates import cloud_assembly
from tests.integration.resolved import customer, resolved

from .local_stack import LocalStackProcess, new_stack

pytestmark = pytest.mark.e2e

SCALE = 3600
DEADLINE_S = 60
CAMPAIGN = "daily-csat-survey"
MACHINE = "kefu-dev-revisit-campaign"
SCHEDULE_GROUP = "kefu-dev-revisits"
DAY = timedelta(days=1)
#: dev.yaml's cycles: a customer revisited within these many days of the run is not revisited again.
CYCLE_DAYS = {Tier.VIP: 30, Tier.HIGH_VALUE: 60, Tier.STANDARD: 90}


@pytest.fixture(scope="module")
def campaign_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    cloud_assembly()  # synthesized here if stale, not within the stack's start-up time
    stack = new_stack(tmp_path_factory.mktemp("kefu-campaign"), {"KEFU_TIME_SCALE": str(SCALE)})
    stack.start()
    yield stack
    stack.stop_if_running()


@dataclass
class Desk:
    scheduled_at: datetime
    eligible: set[str]
    customers_with_tickets: int
    tickets: int


def desk_of_1000_tickets(scheduled_at: datetime, seed: int = 8) -> tuple[Desk, list[dict]]:
    """700 customers of every tier (a seventh revisited 10 days ago: within any cycle; some without an e-mail
    address) and 1,000 tickets (each customer one, 300 a second): most resolved 2-7 days before the run, the rest
    too recent or too old; some complaints, some by phone. Returns the desk, with the customers the campaign must
    reach worked out from the rules' meaning (not from kefu's code), and the items to write."""
    rng = random.Random(seed)
    items, tier_of, reachable = [], {}, {}
    for n in range(700):
        customer_id = f"CU-C{n:04d}"
        tier = Tier.VIP if n % 10 == 0 else Tier.HIGH_VALUE if n % 5 == 0 else Tier.STANDARD
        last = scheduled_at - 10 * DAY if n % 7 == 0 else scheduled_at - 120 * DAY if n % 7 == 1 else None
        record = customer(customer_id, tier, last_revisited_at=last)
        if n % 23 == 0:
            record = record.model_copy(update={"email": None})
        item = customer_store.new_items(record)[0]
        if last is not None:
            item.last_revisited_at = iso(last)
        items.append(item)
        tier_of[customer_id] = tier
        reachable[customer_id] = record.email is not None and (
            last is None or scheduled_at - last >= CYCLE_DAYS[tier] * DAY
        )
    eligible: set[str] = set()
    owners = [f"CU-C{n:04d}" for n in range(700)] + [f"CU-C{rng.randrange(700):04d}" for _ in range(300)]
    for customer_id in owners:
        days_ago = rng.uniform(2.2, 6.8) if rng.random() < 0.85 else rng.choice([0.5, 9.0])
        category = Category.COMPLAINT if rng.random() < 0.1 else rng.choice([Category.ORDER, Category.LOGISTICS])
        channel = Channel.PHONE if rng.random() < 0.1 else rng.choice([Channel.WEB, Channel.EMAIL, Channel.APP])
        status = rng.choice([Status.RESOLVED, Status.RESOLVED, Status.CLOSED])
        ticket = resolved(
            scheduled_at - days_ago * DAY, customer_id, tier=tier_of[customer_id], category=category, channel=channel
        )
        ticket = ticket.model_copy(update={"status": status})
        item = ticket_store._item(ticket, is_new=True)
        item.version = 1
        items.append(item)
        if (
            reachable[customer_id]
            and 2 < days_ago < 7
            and category is not Category.COMPLAINT
            and channel is not Channel.PHONE
        ):
            eligible.add(customer_id)
    return Desk(scheduled_at, eligible, 700, len(owners)), items


def write(stack: LocalStackProcess, table: str, items: list) -> None:
    """BatchWriteItem, 25 items a request, as pynamodb serializes them."""
    dynamodb = stack.client("dynamodb")
    requests_ = [{"PutRequest": {"Item": item.serialize()}} for item in items]
    for start in range(0, len(requests_), 25):
        pending = {table: requests_[start : start + 25]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def quiet(stack: LocalStackProcess) -> None:
    """Disable the campaign schedules, and let a run they started already end."""
    scheduler, sfn = stack.client("scheduler"), stack.client("stepfunctions")
    for summary in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]:
        described = scheduler.get_schedule(Name=summary["Name"], GroupName=SCHEDULE_GROUP)
        keep = ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Target", "GroupName")
        scheduler.update_schedule(Name=summary["Name"], State="DISABLED", **{k: described[k] for k in keep})
    machine = machine_arn(stack)
    deadline = time.monotonic() + DEADLINE_S
    while sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        assert time.monotonic() < deadline, "a scheduled run did not end"
        time.sleep(0.5)


def machine_arn(stack: LocalStackProcess) -> str:
    machines = stack.client("stepfunctions").list_state_machines()["stateMachines"]
    (arn,) = [m["stateMachineArn"] for m in machines if m["name"] == MACHINE]
    return arn


def surveys_by_customer(stack: LocalStackProcess, table: str) -> Counter:
    """The campaign's surveys (gsi1 CAMPAIGN#<campaign>), counted by customer."""
    paginator = stack.client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :campaign",
        ExpressionAttributeValues={":campaign": {"S": f"CAMPAIGN#{CAMPAIGN}"}},
    )
    return Counter(item["customerId"]["S"] for page in pages for item in page["Items"] if item["kind"]["S"] == "survey")


def mail_recipients(stack: LocalStackProcess) -> Counter:
    """Who the mails SES (the local moto server) sent went to, from its model dump: each address once a mail (moto
    lists a recipient both as given and as found in the To header)."""
    data = requests.get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=60).json()
    return Counter(
        address
        for message in data.get("ses", {}).get("RawMessage", [])
        for address in {address.lower() for address in message["destinations"]}
    )


def test_a_campaign_over_1000_resolved_tickets_surveys_each_eligible_customer_exactly_once_within_a_minute(
    campaign_stack: LocalStackProcess,
):
    # Given the local stack with its schedules quiet, and 1,000 resolved tickets of 700 customers in its table
    quiet(campaign_stack)
    tables = campaign_stack.client("dynamodb").list_tables()["TableNames"]
    (table,) = [name for name in tables if name.endswith("-stateful-Table")]
    scheduled_at = datetime.now(UTC).replace(microsecond=0)
    desk, items = desk_of_1000_tickets(scheduled_at)
    write(campaign_stack, table, items)
    assert len(desk.eligible) > 300, "most customers must be eligible for the run to be a real load"

    # When the campaign's run for that moment is started on the local state machine
    sfn = campaign_stack.client("stepfunctions")
    started = time.monotonic()
    execution = sfn.start_execution(
        stateMachineArn=machine_arn(campaign_stack),
        input=json.dumps({"campaignId": CAMPAIGN, "scheduledAt": scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")}),
    )["executionArn"]
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() - started < DEADLINE_S, (
            f"still running after {DEADLINE_S} s:\n{campaign_stack.output()[-3000:]}"
        )
        time.sleep(0.25)
    elapsed = time.monotonic() - started

    # Then it finished within the minute, through the Distributed Map, with every eligible customer surveyed
    assert described["status"] == "SUCCEEDED", described.get("cause")
    print(f"campaign over {desk.tickets} tickets: {len(desk.eligible)} customers surveyed in {elapsed:.1f} s")
    report = json.loads(described["output"])
    assert (report["selected"], report["sent"], report["failed"], report["skipped"]) == (
        len(desk.eligible),
        len(desk.eligible),
        0,
        0,
    )
    surveyed = surveys_by_customer(campaign_stack, table)
    assert set(surveyed) == desk.eligible and set(surveyed.values()) == {1}
    # And each of them got one mail, nobody else any
    recipients = mail_recipients(campaign_stack)
    assert recipients == Counter(f"{customer_id.lower()}@example.com" for customer_id in desk.eligible)
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert "SendFromBucket" in entered


def test_the_campaign_schedule_starts_a_run_on_its_cron_in_its_time_zone(tmp_path):
    # Given the local stack with a clock fast enough for a day to pass in seconds
    stack = new_stack(tmp_path, {"KEFU_TIME_SCALE": "20000"})
    stack.start()
    try:
        sfn = stack.client("stepfunctions")
        machine = machine_arn(stack)

        # When the daily campaign's cron (11:00 in Shanghai) comes round
        def daily_run() -> dict | None:
            for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                if json.loads(described["input"])["campaignId"] == CAMPAIGN and described["status"] != "RUNNING":
                    return described
            return None

        deadline = time.monotonic() + DEADLINE_S
        while (described := daily_run()) is None:
            assert time.monotonic() < deadline, f"no {CAMPAIGN} run within {DEADLINE_S} s:\n{stack.output()[-3000:]}"
            time.sleep(0.5)

        # Then a run for 03:00 UTC started and finished, and its report is the execution's output
        assert described["status"] == "SUCCEEDED", described.get("cause")
        scheduled_at = json.loads(described["input"])["scheduledAt"]
        assert scheduled_at.endswith("T03:00:00Z")
        report = json.loads(described["output"])
        assert (report["campaignId"], report["status"]) == (CAMPAIGN, "finished")
        assert report["runId"] == scheduled_at.replace("-", "").replace(":", "")
    finally:
        stack.kill()
