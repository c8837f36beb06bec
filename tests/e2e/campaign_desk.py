"""A revisit campaign over resolved tickets (1,000 of 700 customers in the bench, 150 in the test), written
straight to a local stack's table: the desk, what the `daily-csat-survey` campaign (infra/config/dev.yaml) must do
with it, and how to run it and read what it did. Shared by the end-to-end test (exactly once, complete) and the
bench (the same, and how long, as a ratio).

The local clock runs SCALE times faster, so the run's quiet-hours wait (up to 12 h, 21:00-09:00 in Shanghai) lasts
seconds whatever the time of day. The campaign schedules are disabled first: at that speed their cron would start
runs of their own (the run here starts by StartExecution, with the scheduled time the caller chooses).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Status
from kefu.revisits.runs import INLINE_LIMIT
from kefu.store import customers as customer_store
from kefu.store import tickets as ticket_store
from tests.integration.resolved import customer, resolved

from .local_stack import LocalStackProcess

SCALE = 3600
#: Not a speed requirement (that is `make bench`'s): how long a run may go on before it counts as hung.
HANG_S = 600
CAMPAIGN = "daily-csat-survey"
MACHINE = "kefu-dev-revisit-campaign"
SCHEDULE_GROUP = "kefu-dev-revisits"
DAY = timedelta(days=1)
#: dev.yaml's cycles: a customer revisited within these many days of the run is not revisited again.
CYCLE_DAYS = {Tier.VIP: 30, Tier.HIGH_VALUE: 60, Tier.STANDARD: 90}


@dataclass
class Desk:
    scheduled_at: datetime
    eligible: set[str]
    customers_with_tickets: int
    tickets: int


#: The bench's desk (tests/bench/test_campaign.py): 1,000 tickets of 700 customers.
BENCH_CUSTOMERS = 700
#: `make test`'s (tests/e2e/test_local_campaign.py): the same mix at a tenth of the size (100 tickets, 45 customers
#: to survey), which still has every rule's cases, in a fraction of the time. Its targets travel inline; the work
#: bucket's Distributed Map is the bench's desk and tests/integration/test_revisit_state_machine.py's.
TEST_CUSTOMERS = 70


def desk_of_tickets(scheduled_at: datetime, customers: int, seed: int = 8) -> tuple[Desk, list[dict]]:
    """`customers` customers of every tier (a seventh revisited 10 days ago: within any cycle; some without an
    e-mail address) and 10/7 as many tickets (each customer one, 3 in 7 a second): most resolved 2-7 days before the
    run, the rest too recent or too old; some complaints, some by phone. Returns the desk, with the customers the
    campaign must reach worked out from the rules' meaning (not from kefu's code), and the items to write."""
    rng = random.Random(seed)
    items, tier_of, reachable = [], {}, {}
    for n in range(customers):
        customer_id = f"CU-C{n:04d}"
        tier = Tier.VIP if n % 10 == 0 else Tier.HIGH_VALUE if n % 5 == 0 else Tier.STANDARD
        last = scheduled_at - 10 * DAY if n % 7 == 0 else scheduled_at - 120 * DAY if n % 7 == 1 else None
        record = customer(customer_id, tier, last_revisited_at=last)
        if n % 23 == 0:
            record = record.model_copy(update={"email": None})
        item = customer_store.new_items(record)[0]
        if last is not None:
            item.last_revisited_at = last
        items.append(item)
        tier_of[customer_id] = tier
        reachable[customer_id] = record.email is not None and (
            last is None or scheduled_at - last >= CYCLE_DAYS[tier] * DAY
        )
    eligible: set[str] = set()
    seconds = customers * 3 // 7
    owners = [f"CU-C{n:04d}" for n in range(customers)] + [
        f"CU-C{rng.randrange(customers):04d}" for _ in range(seconds)
    ]
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
    return Desk(scheduled_at, eligible, customers, len(owners)), items


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
    give_up = time.monotonic() + HANG_S
    while sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        assert time.monotonic() < give_up, "a scheduled run never ended"
        time.sleep(0.5)


def machine_arn(stack: LocalStackProcess) -> str:
    machines = stack.client("stepfunctions").list_state_machines()["stateMachines"]
    (arn,) = [m["stateMachineArn"] for m in machines if m["name"] == MACHINE]
    return arn


def surveys_by_customer(stack: LocalStackProcess, table: str) -> Counter:
    """The campaign's surveys (gsi1 CAMPAIGN#<campaign>, which holds their keys), read by key, counted by customer."""
    dynamodb = stack.client("dynamodb")
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :campaign",
        ExpressionAttributeValues={":campaign": {"S": f"CAMPAIGN#{CAMPAIGN}"}},
    )
    keys = [{"pk": i["pk"], "sk": i["sk"]} for page in pages for i in page["Items"] if i["kind"]["S"] == "survey"]
    customers: Counter = Counter()
    for first in range(0, len(keys), 100):
        wanted = {table: {"Keys": keys[first : first + 100]}}
        while wanted:
            answer = dynamodb.batch_get_item(RequestItems=wanted)
            customers.update(item["customerId"]["S"] for item in answer["Responses"].get(table, []))
            wanted = answer.get("UnprocessedKeys") or {}
    return customers


def mail_recipients(stack: LocalStackProcess) -> Counter:
    """Who the mails SES (the local moto server) sent went to, from its model dump: each address once a mail (moto
    lists a recipient both as given and as found in the To header)."""
    data = requests.get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=60).json()
    return Counter(
        address
        for message in data.get("ses", {}).get("RawMessage", [])
        for address in {address.lower() for address in message["destinations"]}
    )


def campaign_table(stack: LocalStackProcess) -> str:
    (table,) = [
        name for name in stack.client("dynamodb").list_tables()["TableNames"] if name.endswith("-stateful-Table")
    ]
    return table


def load_desk(stack: LocalStackProcess, customers: int) -> tuple[Desk, str]:
    """Quiet the schedules and write the desk's tickets for a run scheduled now; the desk and the table."""
    quiet(stack)
    table = campaign_table(stack)
    desk, items = desk_of_tickets(datetime.now(UTC).replace(microsecond=0), customers)
    write(stack, table, items)
    return desk, table


def run_campaign(stack: LocalStackProcess, scheduled_at: datetime) -> tuple[str, dict[str, Any]]:
    """Start the campaign's run for `scheduled_at` and wait for it to end; its ARN and DescribeExecution."""
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=machine_arn(stack),
        input=json.dumps({"campaignId": CAMPAIGN, "scheduledAt": scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")}),
    )["executionArn"]
    give_up = time.monotonic() + HANG_S
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < give_up, f"never ended:\n{stack.output()[-3000:]}"
        time.sleep(0.25)
    return execution, described


def assert_surveyed_exactly_once(stack: LocalStackProcess, desk: Desk, table: str, execution: str, described: dict):
    """The run succeeded through the Distributed Map, every customer it may reach got one survey and one mail, and
    nobody else any."""
    assert described["status"] == "SUCCEEDED", described.get("cause")
    report = json.loads(described["output"])
    eligible = len(desk.eligible)
    assert (report["selected"], report["sent"], report["failed"], report["skipped"]) == (eligible, eligible, 0, 0)
    surveyed = surveys_by_customer(stack, table)
    assert set(surveyed) == desk.eligible and set(surveyed.values()) == {1}
    recipients = mail_recipients(stack)
    assert recipients == Counter(f"{customer_id.lower()}@example.com" for customer_id in desk.eligible)
    history = stack.client("stepfunctions").get_execution_history(executionArn=execution, maxResults=1000)
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]
    # Up to INLINE_LIMIT targets travel in the execution's state; more go through the work bucket (the bench's
    # desk; tests/integration/test_revisit_state_machine.py covers that path in moto too).
    assert ("SendFromBucket" if eligible > INLINE_LIMIT else "SendInline") in entered
