"""A revisit campaign on the local stack, over 150 resolved tickets of 105 customers written straight to the
local table (tests/e2e/campaign_desk.py): the `daily-csat-survey` run started on the local state machine finishes,
and each customer it may reach gets one survey and one mail, nobody else. The same checks over 1,000 tickets, and
how long they take as a ratio to a baseline measured in the same run, are `make bench`'s
(tests/bench/test_campaign.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from kefu_local.templates import cloud_assembly

from .campaign_desk import (
    CAMPAIGN,
    HANG_S,
    SCALE,
    TEST_CUSTOMERS,
    assert_surveyed_exactly_once,
    load_desk,
    machine_arn,
    run_campaign,
)
from .local_stack import LocalStackProcess, new_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def campaign_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    cloud_assembly()  # synthesized here if stale, not within the stack's start-up time
    stack = new_stack(tmp_path_factory.mktemp("kefu-campaign"), {"KEFU_TIME_SCALE": str(SCALE)})
    stack.start()
    yield stack
    stack.stop_if_running()


def test_a_campaign_surveys_each_eligible_customer_exactly_once(campaign_stack: LocalStackProcess):
    # Given the local stack with its schedules quiet, and 150 resolved tickets of 105 customers in its table
    desk, table = load_desk(campaign_stack, TEST_CUSTOMERS)
    assert len(desk.eligible) > 40, "most customers must be eligible for the run to be a real load"

    # When the campaign's run for that moment is started on the local state machine
    execution, described = run_campaign(campaign_stack, desk.scheduled_at)

    # Then it succeeded, through the Distributed Map, with every eligible customer surveyed once and mailed once
    assert_surveyed_exactly_once(campaign_stack, desk, table, execution, described)


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

        give_up = time.monotonic() + HANG_S
        while (described := daily_run()) is None:
            assert time.monotonic() < give_up, f"no {CAMPAIGN} run at all:\n{stack.output()[-3000:]}"
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
