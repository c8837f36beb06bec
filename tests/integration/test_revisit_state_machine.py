"""The revisit campaign state machine as synthesized (its exact ASL, from a cdk.out made once for this module)
executing in moto, its tasks run by `functions/revisit`: a small selection through the inline Map, a large one
through the Distributed Map reading its batches from the work bucket, quiet hours held by the Wait on the local
clock, one failing send among sent ones, and the same scheduled run started twice.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from kefu import deployment, errors
from kefu.clock import now
from kefu.config import PUBLIC_API_URL_VAR, REVISIT_BUCKET_VAR
from kefu.email import outbound
from kefu.model.agents import GroupSpec
from kefu.model.customers import Tier
from kefu.model.surveys import SurveyAnswer
from kefu.model.tickets import Category, Channel
from kefu.revisits import campaigns, runs
from kefu.revisits.runs import run_id_for, timestamp
from kefu.store import agents as agent_store
from kefu.store import campaign_runs
from kefu.store import surveys as survey_store
from kefu.store import tickets as ticket_store
from kefu.surveys import service as surveys
from kefu_local import moto_dynamodb
from kefu_local.resources import BUCKET
from kefu_local.stepfunctions import ExecutionResult, LocalStepFunctions
from tests.conftest import load_function
from tests.integration.mailroom import sent_messages
from tests.integration.resolved import add_in_bulk, customer, resolved
from tests.integration.sla_desk import run_clock_fast
from tests.waiting import HANG_S

DAY = timedelta(days=1)
DOMAIN = "kefu.test"
API_URL = "https://api.kefu.test"
CAMPAIGN = "daily-csat-survey"


def campaign(**changes: Any) -> dict:
    return {
        "id": CAMPAIGN,
        "schedule": {"cron": "0 11 * * ? *", "timezone": "Asia/Shanghai"},
        "select": {"complaint": False, "channels": ["web", "email"], "resolved_days_ago": {"min": 2, "max": 7}},
        "method": "email_survey",
        **changes,
    }


@dataclass
class Task:
    """functions/revisit as the state machine invokes it, counting its invocations by action."""

    handler: Callable[[dict, Any], Any]
    actions: Counter = field(default_factory=Counter)

    def __call__(self, event: dict, context: Any) -> Any:
        self.actions[event["action"]] += 1
        return self.handler(event, context)


@dataclass
class CampaignDesk:
    sfn: LocalStepFunctions
    task: Task
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    def configure(self, **changes: Any) -> None:
        """The campaign (changed as given) in the deployment document the function reads."""
        document = {"mail": {"domain": DOMAIN, "recipients": [f"support@{DOMAIN}"]}, "campaigns": [campaign(**changes)]}
        path = self.folder / "kefu-deployment.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        self.monkeypatch.setenv("KEFU_DEPLOYMENT_FILE", str(path))
        deployment.reload()

    def run(self, scheduled_at: datetime, timeout: float = HANG_S) -> ExecutionResult:
        payload = {"campaignId": CAMPAIGN, "scheduledAt": timestamp(scheduled_at)}
        return self.sfn.run("RevisitsStateMachine", payload, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def table_sized_moto() -> Iterator[None]:
    """moto's queries and transactions at the cost of what they touch, as on the local stack (a large run writes
    thousands of items)."""
    moto_dynamodb.install()
    yield
    moto_dynamodb.uninstall()


@pytest.fixture(scope="module")
def cdk_out() -> Path:
    # The local stack's synthesized templates (`make test` writes them once; synthesized here if stale).
    from kefu_local.templates import cloud_assembly

    return cloud_assembly()


@pytest.fixture
def desk(aws, cdk_out: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CampaignDesk]:
    boto3.client("sesv2").create_email_identity(EmailIdentity=DOMAIN)
    monkeypatch.setenv(PUBLIC_API_URL_VAR, API_URL)
    task = Task(load_function("revisit").lambda_handler)
    with LocalStepFunctions(cdk_out, {"RevisitsFunction": task}) as sfn:
        # The function's environment as the deployment gives it: the work bucket the template's ASL reads.
        (bucket,) = [b for b in sfn.templates.resources(BUCKET) if b.construct_path == "Revisits-WorkBucket"]
        monkeypatch.setenv(REVISIT_BUCKET_VAR, str(sfn.templates.resolve(bucket.stack, {"Ref": bucket.logical_id})))
        campaign_desk = CampaignDesk(sfn, task, tmp_path, monkeypatch)
        campaign_desk.configure()
        yield campaign_desk
    deployment.reload()


def seed(moment: datetime, eligible: int, *, ineligible: int = 0) -> list[str]:
    """`eligible` customers with one ticket each the campaign selects (one with an older one too), and
    `ineligible` with a ticket it must not: no e-mail address, a complaint, by phone, or within their cycle."""
    customers, tickets, chosen = [], [], []
    for n in range(eligible):
        customer_id = f"CU-E{n:04d}"
        customers.append(customer(customer_id))
        tickets.append(resolved(moment - (3 + n % 4) * DAY, customer_id, channel=Channel.EMAIL))
        chosen.append(customer_id)
    tickets.append(resolved(moment - 6.5 * DAY, "CU-E0000"))  # an older ticket of the same customer
    for n in range(ineligible):
        customer_id = f"CU-X{n:04d}"
        kind = n % 4
        record = customer(customer_id, Tier.VIP, last_revisited_at=moment - 10 * DAY if kind == 3 else None)
        customers.append(record.model_copy(update={"email": None}) if kind == 0 else record)
        tickets.append(
            resolved(
                moment - 4 * DAY,
                customer_id,
                category=Category.COMPLAINT if kind == 1 else Category.ORDER,
                channel=Channel.PHONE if kind == 2 else Channel.WEB,
            )
        )
    add_in_bulk(customers, tickets)
    return chosen


def surveyed_customers() -> Counter:
    counted, cursor = Counter(), None
    while True:
        page = survey_store.campaign_surveys(CAMPAIGN, limit=100, cursor=cursor)
        counted.update(survey.customerId for survey in page.items)
        cursor = page.nextCursor
        if cursor is None:
            return counted


def recipients() -> Counter:
    return Counter(str(message["To"].addresses[0].addr_spec) for message in sent_messages())


# --- the scenarios -------------------------------------------------------------------------------------------


def test_a_small_selection_is_surveyed_through_the_inline_map_and_reported(desk):
    moment = now()
    chosen = seed(moment, 12, ineligible=8)

    result = desk.run(moment)

    assert result.status == "SUCCEEDED", result.cause
    assert result.states_entered[:4] == ["Select", "QuietHours", "LargeSelection?", "SendInline"]
    assert "SendFromBucket" not in result.states_entered and result.states_entered[-2:] == ["Report", "Done"]
    assert desk.task.actions == {"select": 1, "send": 1, "report": 1}  # 12 targets: one batch
    assert set(surveyed_customers()) == set(chosen) and set(surveyed_customers().values()) == {1}
    assert recipients() == Counter(f"{customer_id.lower()}@example.com" for customer_id in chosen)
    report = result.output
    assert (report["status"], report["selected"], report["sent"], report["failed"], report["skipped"]) == (
        "finished",
        12,
        12,
        0,
        0,
    )
    assert report["excluded"] == {"contact": 2, "complaint": 2, "channel": 2, "cycle": 2, "customer": 1}


def test_the_survey_mail_carries_its_link_threads_to_the_ticket_and_says_it_is_automatic(desk):
    moment = now()
    seed(moment, 1)

    assert desk.run(moment).status == "SUCCEEDED"

    (mail,) = sent_messages()
    (survey,) = survey_store.campaign_surveys(CAMPAIGN, limit=10, cursor=None).items
    assert mail["Auto-Submitted"] == "auto-generated"
    assert f"[{survey.ticketId}]" in mail["Subject"] and "How did we do?" in mail["Subject"]
    assert mail["Reply-To"] == f"support+{survey.ticketId}@{DOMAIN}"
    body = mail.get_body().get_content()
    assert f"{API_URL}/surveys/" in body and "评价" in body and "how we did" in body
    token = body.split(f"{API_URL}/surveys/", 1)[1].split()[0]
    from kefu.surveys.tokens import verify

    assert verify(token, now()).survey_id == survey.id


def test_a_large_selection_is_read_from_the_work_bucket_by_the_distributed_map(desk, monkeypatch):
    # The path is the same at any size, so the limits are lowered: ~50 targets cross them, not ~230 (the deployed
    # sizes run on the local stack in `make bench`, tests/bench/test_campaign.py).
    inline_limit, batch_size = 20, 8
    monkeypatch.setattr(campaigns, "INLINE_LIMIT", inline_limit)
    monkeypatch.setattr(campaigns, "batches_of", functools.partial(runs.batches_of, size=batch_size))
    moment = now()
    eligible = inline_limit + 30
    chosen = seed(moment, eligible, ineligible=20)

    result = desk.run(moment)

    assert result.status == "SUCCEEDED", result.cause
    assert "SendFromBucket" in result.states_entered and "SendInline" not in result.states_entered
    batches = -(-eligible // batch_size)
    assert desk.task.actions == {"select": 1, "send": batches, "report": 1}
    run_id = result.output["runId"]
    items = boto3.client("s3").get_object(Bucket=os.environ[REVISIT_BUCKET_VAR], Key=f"runs/{CAMPAIGN}/{run_id}.json")
    assert [len(batch["targets"]) for batch in json.loads(items["Body"].read())] == [batch_size] * (batches - 1) + [
        eligible - batch_size * (batches - 1)
    ]
    surveyed = surveyed_customers()
    assert set(surveyed) == set(chosen) and set(surveyed.values()) == {1}
    assert sum(recipients().values()) == eligible
    assert (result.output["selected"], result.output["sent"]) == (eligible, eligible)


def test_in_quiet_hours_the_wait_holds_every_send_until_they_end(desk, monkeypatch):
    run_clock_fast(monkeypatch, 3600)  # an hour of the local clock passes in a second
    moment = now()
    end = moment + timedelta(hours=2)
    quiet = {"start": (moment - timedelta(hours=1)).strftime("%H:%M"), "end": end.strftime("%H:%M"), "timezone": "UTC"}
    desk.configure(quiet_hours=quiet)
    seed(moment, 3)

    result = desk.run(moment)

    assert result.status == "SUCCEEDED", result.cause
    (waited,) = result.events("WaitStateEntered")
    send_at = datetime.fromisoformat(json.loads(waited["stateEnteredEventDetails"]["input"])["sendAt"])
    assert send_at.strftime("%H:%M") == end.strftime("%H:%M")
    issued = [survey.issuedAt for survey in survey_store.campaign_surveys(CAMPAIGN, limit=10, cursor=None).items]
    assert len(issued) == 3 and min(issued) >= send_at


def test_an_answer_to_a_survey_counts_as_a_response_of_the_run_that_sent_it_once(desk):
    moment = now()
    seed(moment, 2)
    result = desk.run(moment)
    (mail, _) = sent_messages()
    token = mail.get_body().get_content().split(f"{API_URL}/surveys/", 1)[1].split()[0]

    surveys.answer_survey(token, SurveyAnswer(csat=5, nps=9, comment="Quick and kind."))
    with pytest.raises(errors.SurveyAlreadyAnswered):
        surveys.answer_survey(token, SurveyAnswer(csat=1))

    record = campaign_runs.read(CAMPAIGN, result.output["runId"])
    assert record is not None and (record.sent, record.responses) == (2, 1)
    assert result.output["responses"] == 0  # when the run reported, nobody had answered yet


def test_a_phone_campaign_opens_one_revisit_task_per_customer_in_its_group(desk):
    agent_store.put_group("complaints", GroupSpec(name="Complaints desk", kind="complaints"))
    desk.configure(
        select={"complaint": True, "resolved_days_ago": {"min": 2, "max": 7}},
        method="phone_revisit",
        group="complaints",
    )
    moment = now()
    customers, tickets = [customer("CU-CALL1"), customer("CU-CALL2")], []
    for customer_id in ("CU-CALL1", "CU-CALL1", "CU-CALL2"):
        tickets.append(resolved(moment - 3 * DAY, customer_id, category=Category.COMPLAINT, channel=Channel.PHONE))
    add_in_bulk(customers, tickets)

    result = desk.run(moment)

    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["selected"], result.output["sent"], result.output["excluded"]) == (2, 2, {"customer": 1})
    outcomes = list(campaign_runs.targets(CAMPAIGN, result.output["runId"]))
    assert all(outcome.task_id for outcome in outcomes) and sent_messages() == []
    for outcome in outcomes:
        task = ticket_store.get(outcome.task_id)
        assert (task.groupId, task.followUpOf, "revisit" in task.tags) == ("complaints", outcome.ticket_id, True)


def test_an_sms_campaign_texts_the_link_once_to_each_customer_it_can_text_even_when_run_again(desk):
    from moto.sns.models import sns_backends

    desk.configure(
        select={"complaint": False, "channels": ["phone"], "resolved_days_ago": {"min": 2, "max": 7}},
        method="sms_survey",
    )
    moment = now()
    texted = [customer("CU-SMS1", email=False), customer("CU-SMS2", email=False)]
    mail_only = customer("CU-MAIL1")
    tickets = [resolved(moment - 3 * DAY, c.id, channel=Channel.PHONE) for c in [*texted, mail_only]]
    add_in_bulk([*texted, mail_only], tickets)

    first = desk.run(moment)
    again = desk.run(moment)

    assert (first.status, again.status) == ("SUCCEEDED", "SUCCEEDED")
    assert (first.output["selected"], first.output["sent"], first.output["excluded"]) == (2, 2, {"contact": 1})
    assert again.output["sent"] == 2  # resumed: the texts had gone out already
    texts = list(sns_backends["123456789012"]["us-east-1"].sms_messages.values())
    assert len(texts) == 2 and sent_messages() == []
    assert all(number == "+8613800000000" and f"{API_URL}/surveys/" in text for number, text in texts)
    assert set(surveyed_customers()) == {"CU-SMS1", "CU-SMS2"}


def test_a_send_ses_refuses_is_counted_failed_and_the_other_targets_are_sent(desk, monkeypatch):
    moment = now()
    chosen = seed(moment, 5)
    refused = f"{chosen[2].lower()}@example.com"
    send = outbound._send

    def ses_refusing_one(message, mailbox, recipient):
        if recipient == refused:
            error = {"Error": {"Code": "MessageRejected", "Message": "Email address is on the suppression list"}}
            raise ClientError(error, "SendEmail")
        return send(message, mailbox, recipient)

    monkeypatch.setattr(outbound, "_send", ses_refusing_one)

    result = desk.run(moment)

    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["sent"], result.output["failed"], result.output["skipped"]) == (4, 1, 0)
    assert result.output["reasons"] == {"failed": {"error": 1}}
    assert refused not in recipients() and len(recipients()) == 4
    (failed,) = [t for t in campaign_runs.targets(CAMPAIGN, result.output["runId"]) if t.outcome == "failed"]
    assert failed.customer_id == chosen[2] and "MessageRejected" in failed.reason


def test_the_same_scheduled_run_started_again_surveys_nobody_twice_and_sends_what_had_failed(desk, monkeypatch):
    moment = now()
    chosen = seed(moment, 6)
    send = outbound._send
    refused = f"{chosen[0].lower()}@example.com"

    def ses_down_for_one(message, mailbox, recipient):
        if recipient == refused:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded"}}, "SendEmail"
            )
        return send(message, mailbox, recipient)

    monkeypatch.setattr(outbound, "_send", ses_down_for_one)
    first = desk.run(moment)
    monkeypatch.setattr(outbound, "_send", send)

    again = desk.run(moment)

    assert (first.status, again.status) == ("SUCCEEDED", "SUCCEEDED")
    assert (first.output["sent"], first.output["failed"]) == (5, 1)
    assert (again.output["sent"], again.output["failed"], again.output["selected"]) == (6, 0, 6)
    assert recipients() == Counter(f"{customer_id.lower()}@example.com" for customer_id in chosen)
    surveyed = surveyed_customers()
    assert set(surveyed) == set(chosen) and set(surveyed.values()) == {1}
    assert again.output["runId"] == first.output["runId"]
    record = campaign_runs.read(CAMPAIGN, first.output["runId"])
    assert record is not None and (record.status, record.sent, record.batches_counted) == ("finished", 6, 1)


def test_a_run_of_an_unknown_campaign_is_recorded_failed_and_fails(desk):
    scheduled_at = datetime.fromisoformat(timestamp(now()))

    result = desk.sfn.run(
        "RevisitsStateMachine", {"campaignId": "no-such-campaign", "scheduledAt": timestamp(scheduled_at)}
    )

    assert result.status == "FAILED"
    assert result.states_entered[-2:] == ["RecordFailure", "RunFailed"]
    record = campaign_runs.read("no-such-campaign", run_id_for(scheduled_at))
    assert record is not None and record.status == "failed" and "no-such-campaign" in record.error


def test_revisit_coverage_counts_the_customers_a_run_found_due_and_those_it_revisited_once(desk, monkeypatch):
    from kefu.identity import Caller
    from kefu.kpis import reports

    moment = now()
    chosen = seed(moment, 5, ineligible=4)  # of the four left out, one is due but has no e-mail address
    send = outbound._send
    refused = f"{chosen[0].lower()}@example.com"

    def ses_down_for_one(message, mailbox, recipient):
        if recipient == refused:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate"}}, "SendEmail")
        return send(message, mailbox, recipient)

    def coverage() -> dict:
        day = moment.date().isoformat()  # no desk time zone in this deployment: its days are UTC's
        supervisor = Caller(sub="sup-wang", groups=frozenset({"supervisor"}))
        return reports.kpi_report(supervisor, day, day, "day")["totals"]["revisitCoverage"]

    monkeypatch.setattr(outbound, "_send", ses_down_for_one)
    assert desk.run(moment).status == "SUCCEEDED"
    assert coverage() == {"due": 6, "revisited": 4, "rate": 0.6667}

    monkeypatch.setattr(outbound, "_send", send)
    assert desk.run(moment).status == "SUCCEEDED"  # the same scheduled run again: it sends what had failed
    assert coverage() == {"due": 6, "revisited": 5, "rate": 0.8333}
