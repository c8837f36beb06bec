"""The monthly QA sampling as deployed: the template's schedule, fired by the local scheduler on its cron (03:00 in
Shanghai on the 1st), starts the synthesized `qa-sampling` state machine in moto, whose task runs functions/qa; the
month's reviews appear in the queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from kefu import deployment
from kefu_local.references import SCHEDULE
from kefu_local.schedules import Scheduler, schedule_request
from kefu_local.stepfunctions import LocalStepFunctions
from tests.conftest import AGENT, AGENT_2, load_function
from tests.integration.qa_desk import REVIEWER, resolved_by
from tests.waiting import HANG_S, wait_for


@pytest.fixture(scope="module")
def cdk_out() -> Path:
    # The local stack's synthesized templates (`make test` writes them once; synthesized here if stale).
    from kefu_local.templates import cloud_assembly

    return cloud_assembly()


class HeldClock:
    """The scheduler's clock, moved by the test."""

    def __init__(self, moment: str):
        self.moment = datetime.fromisoformat(moment)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.moment

    def move_to(self, moment: str) -> None:
        with self.lock:
            self.moment = datetime.fromisoformat(moment)


@pytest.fixture
def shanghai_desk(desk, tmp_path, monkeypatch) -> Iterator:
    path = tmp_path / "kefu-deployment.json"
    path.write_text(json.dumps({"kpis": {"time_zone": "Asia/Shanghai"}}), encoding="utf-8")
    monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
    deployment.reload()
    yield desk
    deployment.reload()


def test_the_schedule_fires_on_the_first_and_the_months_reviews_appear(shanghai_desk, cdk_out):
    # Given November's resolved tickets (Shanghai's November: the last one is on 1 December there, left out)
    for day in (3, 10, 17):
        resolved_by(AGENT.sub, f"2026-11-{day:02d}T04:00:00+00:00")
    resolved_by(AGENT_2.sub, "2026-11-20T04:00:00+00:00")
    resolved_by(AGENT_2.sub, "2026-11-30T17:00:00+00:00")
    with LocalStepFunctions(cdk_out, {"QaSamplingFunction": load_function("qa").lambda_handler}) as sfn:
        (resource,) = [r for r in sfn.templates.resources(SCHEDULE) if "QaSampling" in r.construct_path]
        props = sfn.templates.resolve(resource.stack, resource.properties)
        client = boto3.client("scheduler")
        client.create_schedule_group(Name=props["GroupName"])
        client.create_schedule(**schedule_request(props, props["Name"]))
        clock = HeldClock("2026-11-30T12:00:00+00:00")
        scheduler = Scheduler(None, now=clock, poll_seconds=0.05)
        scheduler.start()
        try:
            _wait_for(lambda: scheduler.schedules)

            # When the clock passes 1 December 03:00 in Shanghai (19:00 UTC on the 30th)
            clock.move_to("2026-11-30T19:00:05+00:00")
            arn = sfn.machine("QaSampling").arn
            executions = _wait_for(lambda: sfn.client.list_executions(stateMachineArn=arn)["executions"])
            result = sfn.wait(executions[0]["executionArn"], timeout=HANG_S)
        finally:
            scheduler.stop()

    # Then one run sampled November, and its reviews wait in the queue
    assert [name for name, _ in scheduler.fired] == ["monthly-sampling"]
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["month"], result.output["resolved"], result.output["reviewsMade"]) == ("2026-11", 4, 4)
    queue = shanghai_desk("GET", "/qa/reviews", who=REVIEWER).json["items"]
    assert sorted(review["agentId"] for review in queue) == [AGENT_2.sub, AGENT.sub, AGENT.sub, AGENT.sub]


def _wait_for(condition):
    return wait_for(condition, "the sampling run's reviews", poll_s=0.05)
