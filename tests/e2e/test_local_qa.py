"""Quality inspection on the local stack, as a desk lives it: an agent resolves tickets over HTTP, the automatic
checks read them from the table's stream, the `monthly-sampling` schedule fires (by hand, `kefu local fire`, as
EventBridge Scheduler fires it on the 1st) and starts the sampling state machine, and the month's reviews and coverage
are read back over HTTP by a reviewer of the `qa` group and a supervisor.

The tokens are minted here by the stack's own user pool (its key is in the state folder), as `kefu local token`
mints them: a process per token would cost a second of CPU each. What a repeated run does (nothing) is
tests/integration/test_qa_*'s.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from kefu.identity import Role
from kefu_local.seed import demo_person
from kefu_local.tokens import LocalUserPool
from tests.waiting import wait_for

from .local_stack import DEFAULT_STACK, LocalStackProcess, kefu_command

pytestmark = [pytest.mark.e2e, DEFAULT_STACK]

SCHEDULE = "kefu-dev-qa/monthly-sampling"
MACHINE = "kefu-dev-qa-sampling"
#: The desk's time zone (infra/config/dev.yaml `kpis.time_zone`): desk months, and the schedule's 03:00, are its.
DESK_ZONE = ZoneInfo("Asia/Shanghai")
#: An agent of this module's own: what other modules sharing the stack resolve is never theirs.
AGENT = "agent-qa-e2e"


def call(
    stack: LocalStackProcess, token: str, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    return requests.request(method, f"{stack.url}{path}", headers=headers, timeout=30, **kwargs)


def ask(stack: LocalStackProcess, customer: str, subject: str, description: str) -> dict[str, Any]:
    opened = call(stack, customer, "POST", "/tickets", json={"subject": subject, "description": description})
    assert opened.status_code == 201, opened.text
    return opened.json()


def answer_and_resolve(stack: LocalStackProcess, agent: str, ticket_id: str, reply: str) -> None:
    answered = call(stack, agent, "POST", f"/tickets/{ticket_id}/messages", json={"body": reply})
    assert answered.status_code == 201, answered.text
    resolution = {"to": "resolved", "resolution": {"kind": "refund"}}
    resolved = call(stack, agent, "POST", f"/tickets/{ticket_id}/transition", json=resolution)
    assert resolved.status_code == 200, resolved.text


def fire(stack: LocalStackProcess, at: datetime) -> str:
    done = subprocess.run(
        [*kefu_command(), "local", "fire", SCHEDULE, "--at", at.isoformat()],
        env=stack.env,
        cwd=stack.workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def first_of_next_month(moment: datetime) -> datetime:
    """The schedule's occurrence that samples `moment`'s desk month: 03:00 on the 1st of the month after."""
    local = moment.astimezone(DESK_ZONE)
    return (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=3, minute=0, second=0, microsecond=0)


def sampling_runs(stack: LocalStackProcess) -> list[dict[str, Any]] | None:
    """The sampling state machine's executions, described, once all have finished; None until one has."""
    sfn = stack.client("stepfunctions")
    (machine,) = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == MACHINE]
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = [sfn.describe_execution(executionArn=e["executionArn"]) for e in executions]
    return described if described and all(d["status"] != "RUNNING" for d in described) else None


def test_the_monthly_sampling_schedule_fires_and_the_months_reviews_and_coverage_appear(
    running_stack: LocalStackProcess,
):
    stack = running_stack
    pool = LocalUserPool.load_or_create(stack.state_dir)
    customer, supervisor, admin = (
        pool.mint_for_role(role, demo_person(role).sub, demo_person(role).email)
        for role in (Role.CUSTOMER, Role.SUPERVISOR, Role.ADMIN)
    )
    agent = pool.mint_for_role(Role.AGENT, AGENT, "qa.e2e@example.com")
    reviewer = pool.mint("qa-reviewer", email="qa.reviewer@example.com", groups=["qa"])
    profile = {"name": "QA e2e", "email": "qa.e2e@example.com", "groupIds": ["finance"]}
    added = call(stack, admin, "PUT", f"/agents/{AGENT}", json=profile)
    assert added.status_code == 200, added.text

    # Given three double charges the customer reported, routed to the finance desk where only this agent sits
    online = call(stack, agent, "PUT", "/agents/me/availability", json={"availability": "online"})
    assert online.status_code == 200, online.text
    asked = [
        ask(stack, customer, "扣了两次款", "订单 1042 重复扣款了，请退款。"),
        ask(stack, customer, "又被多扣了", "订单 1043 多扣了一笔。"),
        ask(stack, customer, "Charged twice", "I was charged twice for order 1044."),
    ]
    offline = call(stack, agent, "PUT", "/agents/me/availability", json={"availability": "offline"})
    assert offline.status_code == 200, offline.text
    assert [(t["groupId"], t["ownerId"]) for t in asked] == [("finance", AGENT)] * 3
    complaint, rude, plain = (t["id"] for t in asked)
    # And one reclassified as a complaint, one answered with forbidden phrases, all resolved
    patched = call(
        stack, agent, "PATCH", f"/tickets/{complaint}", json={"category": "complaint"}, headers={"If-Match": "*"}
    )
    assert patched.status_code == 200, patched.text
    answer_and_resolve(stack, agent, complaint, "您好，非常抱歉给您带来不便，已为您退款。祝您生活愉快！")
    answer_and_resolve(stack, agent, rude, "这个我不知道，不归我管。")
    answer_and_resolve(stack, agent, plain, "Hello, the second charge is refunded. Have a nice day!")
    month = datetime.now(DESK_ZONE).strftime("%Y-%m")

    # When the monthly sampling's schedule fires for the occurrence that samples this month
    at = first_of_next_month(datetime.now(DESK_ZONE))
    assert "fired kefu-dev-qa/monthly-sampling" in fire(stack, at)

    # Then a run sampled the month, and the agent's three tickets wait in the reviewers' queue
    (run,) = wait_for(lambda: sampling_runs(stack), "the sampling run started by the schedule")
    assert run["status"] == "SUCCEEDED", run.get("cause")
    assert json.loads(run["input"]) == {"scheduledAt": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    report = json.loads(run["output"])
    assert (report["month"], report["repeated"]) == (month, False)

    listed = call(stack, reviewer, "GET", "/qa/reviews", params={"agent": AGENT, "month": month})
    assert listed.status_code == 200, listed.text
    reviews = {review["ticketId"]: review for review in listed.json()["items"]}
    assert set(reviews) == {complaint, rude, plain}
    assert {review["status"] for review in reviews.values()} == {"pending"}
    assert reviews[complaint]["reason"] == "complaint"

    # And the automatic checks' findings on the rude answer are on its review, each citing its timeline entry
    def forbidden_findings() -> list[dict[str, Any]]:
        review = call(stack, reviewer, "GET", f"/qa/reviews/{reviews[rude]['id']}").json()
        return [f for f in review.get("findings") or [] if f["rule"] == "forbidden_phrase"]

    (finding,) = wait_for(forbidden_findings, "the automatic checks' findings on the rude answer")
    assert set(finding["evidence"]) >= {"不知道"} and finding["entryId"]

    # And the month's coverage lists the agent's sample, and covers every active agent
    coverage = call(stack, supervisor, "GET", "/qa/coverage", params={"month": month})
    assert coverage.status_code == 200, coverage.text
    rows = {row["agentId"]: row for row in coverage.json()["agents"]}
    assert (rows[AGENT]["resolved"], rows[AGENT]["sampled"], rows[AGENT]["reviewed"]) == (3, 3, 0)
    assert {"agent-li", "agent-chen", "agent-zhao"} <= set(rows)
    totals = coverage.json()["totals"]
    assert totals["agentsCovered"] == totals["agents"] == len(rows)

    # And the agent sees their own reviews
    own = call(stack, agent, "GET", "/qa/reviews", params={"agent": "me"})
    assert own.status_code == 200 and {r["ticketId"] for r in own.json()["items"]} == {complaint, rude, plain}
