"""The revisit campaign's task code, pure: which targets a run chooses (one per customer, their most recent eligible
ticket), how the selection is shaped for the state machine (batches, inline or in the work bucket, when it may
send), what becomes of a target from its invitation's delivery, how a run's outcomes are totalled, the survey mail's
text, and the tasks' events as the state machine sends them (events/sfn_revisit_*.json).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from kefu import config
from kefu.email.outbound import Delivery
from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority, Sla, Status, Ticket
from kefu.revisits import invitation
from kefu.revisits.campaigns import Chooser, mailed, plan, rule_of, tally
from kefu.revisits.config import Campaign
from kefu.revisits.runs import (
    BATCH_SIZE,
    INLINE_LIMIT,
    FailTask,
    ReportTask,
    RevisitTask,
    RunTarget,
    SelectTask,
    SendTask,
    batches_of,
    run_id_for,
    timestamp,
)
from kefu.store.campaign_runs import Reach, TargetRecord
from tests.conftest import EVENTS

SCHEDULED = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
DAY = timedelta(days=1)


def campaign(**changes: Any) -> Campaign:
    return Campaign.model_validate(
        {
            "id": "daily-csat-survey",
            "schedule": {"cron": "0 11 * * ? *", "timezone": "Asia/Shanghai"},
            "select": {"complaint": False, "resolved_days_ago": {"min": 2, "max": 7}},
            "method": "email_survey",
            **changes,
        }
    )


def ticket(
    ticket_id: str,
    customer_id: str,
    resolved_days_ago: float = 3,
    *,
    category: Category = Category.ORDER,
    tier: Tier = Tier.STANDARD,
) -> Ticket:
    resolved_at = SCHEDULED - resolved_days_ago * DAY
    return Ticket(
        id=ticket_id,
        subject="Parcel late",
        description="Order 1042",
        status=Status.RESOLVED,
        category=category,
        priority=Priority.P3,
        channel=Channel.WEB,
        customerId=customer_id,
        customerTier=tier,
        sla=Sla(resolvedAt=resolved_at),
        createdAt=resolved_at - DAY,
        updatedAt=resolved_at,
        version=2,
    )


def reachable(*customer_ids: str, last: datetime | None = None, email: bool = True) -> dict[str, Reach]:
    return {customer_id: Reach(customer_id, last, email) for customer_id in customer_ids}


def targets(n: int) -> list[RunTarget]:
    return [RunTarget(ticketId=f"TK-{i:08d}", customerId=f"CU-{i}") for i in range(n)]


# --- choosing the targets ------------------------------------------------------------------------------------


def test_a_customer_with_several_eligible_tickets_is_one_target_about_the_most_recent():
    # Given a customer's three eligible tickets, the newest read first and the oldest last (on another page)
    chooser = Chooser(campaign(), SCHEDULED)
    chooser.add([ticket("TK-NEWEST01", "CU-1", 2.5), ticket("TK-MIDDLE01", "CU-1", 4)], reachable("CU-1"))
    chooser.add([ticket("TK-OLDEST01", "CU-1", 6)], reachable("CU-1"))

    # Then one target, about the most recent, and the other two counted as the same customer's
    assert chooser.targets() == [RunTarget(ticketId="TK-NEWEST01", customerId="CU-1")]
    assert chooser.excluded == {"customer": 2}
    assert chooser.considered == 3


def test_each_customer_is_a_target_of_their_own():
    chooser = Chooser(campaign(), SCHEDULED)
    chooser.add([ticket("TK-0000000B", "CU-2"), ticket("TK-0000000A", "CU-1")], reachable("CU-1", "CU-2"))

    assert [t.customerId for t in chooser.targets()] == ["CU-1", "CU-2"]  # in ticket id order


@pytest.mark.parametrize(
    ("name", "chosen", "reach", "rule"),
    [
        ("a complaint in a campaign without complaints", ticket("TK-1", "CU-1", category=Category.COMPLAINT),
         reachable("CU-1"), "complaint"),
        ("a customer revisited ten days ago", ticket("TK-1", "CU-1"), reachable("CU-1", last=SCHEDULED - 10 * DAY),
         "cycle"),
        ("a customer without an e-mail address", ticket("TK-1", "CU-1"), reachable("CU-1", email=False), "contact"),
        ("a customer without a customer record", ticket("TK-1", "CU-1"), {}, "contact"),
        ("a ticket resolved eight days before the run", ticket("TK-1", "CU-1", 8), reachable("CU-1"), "age"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)  # fmt: skip
def test_a_ticket_left_out_is_counted_by_the_rule_that_left_it_out(name, chosen, reach, rule):
    chooser = Chooser(campaign(), SCHEDULED)
    chooser.add([chosen], reach)

    assert chooser.targets() == []
    assert chooser.excluded == {rule: 1}, name


def test_a_phone_campaign_reaches_customers_without_an_e_mail_address():
    calls = campaign(method="phone_revisit", group="complaints")
    chooser = Chooser(calls, SCHEDULED)
    chooser.add([ticket("TK-1", "CU-1")], reachable("CU-1", email=False))

    assert [t.ticketId for t in chooser.targets()] == ["TK-1"]


def test_an_eligible_ticket_does_not_make_an_ineligible_one_of_the_same_customer_count_twice():
    chooser = Chooser(campaign(), SCHEDULED)
    chooser.add([ticket("TK-1", "CU-1", 3), ticket("TK-2", "CU-1", 4, category=Category.COMPLAINT)], reachable("CU-1"))

    assert [t.ticketId for t in chooser.targets()] == ["TK-1"]
    assert chooser.excluded == {"complaint": 1}


# --- the selection the state machine carries ----------------------------------------------------------------


def test_a_run_is_named_by_its_scheduled_time():
    assert run_id_for(SCHEDULED) == "20261124T030000Z"
    assert run_id_for(datetime.fromisoformat("2026-11-24T11:00:00+08:00")) == "20261124T030000Z"


def test_a_small_selection_travels_in_the_state_in_batches():
    selection = plan(campaign(), SCHEDULED, SCHEDULED + timedelta(seconds=2), targets(120))

    assert (selection.large, selection.selected, selection.runId) == (False, 120, "20261124T030000Z")
    assert [len(batch.targets) for batch in selection.batches] == [BATCH_SIZE, BATCH_SIZE, 20]
    assert [t for batch in selection.batches for t in batch.targets] == targets(120)


def test_a_selection_over_the_inline_limit_is_marked_for_the_work_bucket():
    assert plan(campaign(), SCHEDULED, SCHEDULED, targets(INLINE_LIMIT)).large is False
    assert plan(campaign(), SCHEDULED, SCHEDULED, targets(INLINE_LIMIT + 1)).large is True


def test_a_batch_is_named_by_its_targets():
    first, again, other = batches_of(targets(3)), batches_of(targets(3)), batches_of(targets(4)[1:])

    assert first[0].batch == again[0].batch != other[0].batch


@pytest.mark.parametrize(
    ("started", "send_at"),
    [
        # outside quiet hours (21:00-09:00 in Shanghai): at once, in whole seconds rounded up
        (datetime(2026, 11, 24, 3, 0, 1, 250_000, tzinfo=UTC), "2026-11-24T03:00:02Z"),
        # 23:30 in Shanghai: at 09:00 the next morning
        (datetime(2026, 11, 24, 15, 30, tzinfo=UTC), "2026-11-25T01:00:00Z"),
        # 07:00 in Shanghai: at 09:00 the same morning
        (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), "2026-11-24T01:00:00Z"),
    ],
)
def test_a_run_started_in_quiet_hours_sends_when_they_end(started: datetime, send_at: str):
    night = campaign(quiet_hours={"start": "21:00", "end": "09:00", "timezone": "Asia/Shanghai"})

    assert plan(night, SCHEDULED, started, targets(1)).sendAt == send_at


def test_a_step_functions_timestamp_never_comes_before_the_moment():
    assert timestamp(datetime(2026, 11, 24, 3, 0, 0, tzinfo=UTC)) == "2026-11-24T03:00:00Z"
    assert timestamp(datetime(2026, 11, 24, 3, 0, 0, 1000, tzinfo=UTC)) == "2026-11-24T03:00:01Z"


# --- a target's outcome, and the run's totals ----------------------------------------------------------------


def delivery(sent: bool, reason: str) -> Delivery:
    return Delivery(ticketId="TK-1", entryId="SV-1", sent=sent, reason=reason, messageId="TK-1-SV-1@kefu.test")


@pytest.mark.parametrize(
    ("delivered", "outcome", "rule"),
    [
        (delivery(True, "notice"), "sent", "unknown"),
        (delivery(False, "already-sent"), "sent", "resumed"),
        (delivery(False, "no-customer-address"), "skipped", "contact"),
        (delivery(False, "send-uncertain"), "failed", "mail"),
    ],
)
def test_a_target_is_sent_skipped_or_failed_by_what_became_of_its_invitation(delivered, outcome, rule):
    record = mailed(RunTarget(ticketId="TK-1", customerId="CU-1"), "SV-1", delivered)

    assert (record.outcome, rule_of(record.reason), record.survey_id) == (outcome, rule, "SV-1")


def test_a_run_is_totalled_by_outcome_and_its_misses_by_rule():
    outcomes = [
        TargetRecord("TK-1", "CU-1", "sent"),
        TargetRecord("TK-2", "CU-2", "sent", reason="resumed: the invitation had gone out already"),
        TargetRecord("TK-3", "CU-3", "failed", reason="error: ClientError: MessageRejected"),
        TargetRecord("TK-4", "CU-4", "skipped", reason="cycle: customer CU-4 was revisited within their cycle"),
        TargetRecord("TK-5", "CU-5", "skipped", reason="status: the ticket is open, not resolved or closed"),
    ]

    totals, reasons = tally(outcomes)

    assert totals == {"sent": 2, "failed": 1, "skipped": 2}
    assert reasons == {"skipped": {"cycle": 1, "status": 1}, "failed": {"error": 1}}


# --- the survey mail ---------------------------------------------------------------------------------------------


def test_the_invitation_carries_the_link_and_its_expiry_in_chinese_and_english(monkeypatch):
    monkeypatch.setenv(config.PUBLIC_API_URL_VAR, "https://api.kefu.example/")
    url = invitation.survey_url("/surveys/abc")

    texts = invitation.texts(url, datetime(2026, 12, 8, 3, 0, tzinfo=UTC))

    assert url == "https://api.kefu.example/surveys/abc"
    assert set(texts) == {"zh", "en"}
    assert all(url in text and "2026-12-08 03:00" in text for text in texts.values())
    assert "{ticket_id}" in texts["en"] and "{subject}" in texts["zh"]  # the ticket's, filled in when sent


def test_without_the_public_api_url_no_link_is_made(monkeypatch):
    monkeypatch.delenv(config.PUBLIC_API_URL_VAR, raising=False)

    with pytest.raises(RuntimeError, match=config.PUBLIC_API_URL_VAR):
        invitation.survey_url("/surveys/abc")


# --- the tasks' events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "task"),
    [("select", SelectTask), ("send", SendTask), ("report", ReportTask), ("fail", FailTask)],
)
def test_each_event_the_state_machine_sends_is_read_as_its_task(event: str, task: type):
    document = json.loads((EVENTS / f"sfn_revisit_{event}.json").read_text())

    parsed = RevisitTask.model_validate(document).root

    assert isinstance(parsed, task) and parsed.campaignId == "daily-csat-survey"


def test_a_send_event_carries_its_batch_of_targets():
    document = json.loads((EVENTS / "sfn_revisit_send.json").read_text())

    parsed = RevisitTask.model_validate(document).root

    assert isinstance(parsed, SendTask)
    assert [t.ticketId for t in parsed.batch.targets] == ["TK-7F3K9Q2M", "TK-8H4M2R7T"]


@pytest.mark.parametrize(
    "document",
    [
        {"action": "resend", "campaignId": "daily-csat-survey"},
        {"action": "select", "campaignId": "daily-csat-survey", "scheduledAt": "2026-11-24T03:00:00"},
    ],
    ids=["an unknown action", "a scheduled time without a time zone"],
)
def test_an_event_no_task_understands_is_refused(document: dict):
    with pytest.raises(ValidationError):
        RevisitTask.model_validate(document)
