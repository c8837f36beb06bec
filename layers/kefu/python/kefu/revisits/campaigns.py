"""A campaign run, step by step, as the revisit state machine drives it: select the targets, revisit them a batch
at a time, report — or record why the run failed.

Selecting reads the campaign's window of resolved tickets (access pattern 7, one Query per day, never a Scan),
applies the campaign's rules (kefu.revisits.selection) as of the run's scheduled time, with each customer's last
revisit for their cycle, and keeps one target per customer: their most recent eligible ticket. Customers an e-mail
survey cannot reach (no address, no customer record) are left out.

Revisiting a target issues its survey (one per campaign and ticket, which marks the customer revisited in the same
transaction, within their cycle only once whichever campaign asks) and sends the invitation (at most once per
survey) by e-mail or by text message, or opens the phone-revisit task in the campaign's group. Each target ends
sent, failed or skipped with its reason, and one target's failure never fails its batch. A target whose survey
exists already is resumed, not skipped: a batch retried after a crash, or the same scheduled run started again,
sends what did not go out and nothing twice. The run's eligibility is judged at its scheduled time, not when
quiet hours let it send, so a ticket does not drop out of the window while the run waits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from kefu import errors
from kefu.clock import iso
from kefu.clock import now as clock_now
from kefu.config import REVISIT_BUCKET_VAR, required, settings
from kefu.kpis import tallies as kpi_tallies
from kefu.model.tickets import Ticket
from kefu.observability import logger
from kefu.revisits.config import Campaign, Method, revisits_config
from kefu.revisits.quiet import next_allowed_send
from kefu.revisits.runs import (
    INLINE_LIMIT,
    PAGE_SIZE,
    Batch,
    BatchResult,
    Items,
    RunReport,
    RunTarget,
    Selection,
    batches_of,
    run_id_for,
    timestamp,
)
from kefu.revisits.selection import is_eligible, window
from kefu.store import campaign_runs as runs
from kefu.store import revisits as revisit_store
from kefu.store import tickets as ticket_store
from kefu.store.campaign_runs import RunRecord, TargetRecord

if TYPE_CHECKING:
    from kefu.email.outbound import Delivery
    from kefu.sms.outbound import TextDelivery

SENT, FAILED, SKIPPED = "sent", "failed", "skipped"
#: Exclusion and skip reasons beyond kefu.revisits.selection's rules.
SAME_CUSTOMER, CONTACT, SURVEYED = "customer", "contact", "surveyed"


class CampaignDisabled(errors.Conflict):
    def __init__(self, campaign_id: str):
        super().__init__(f"campaign {campaign_id!r} is disabled in the deployment configuration")


def campaign_of(campaign_id: str) -> Campaign:
    try:
        return revisits_config().campaign(campaign_id)
    except KeyError:
        raise errors.NotFound(f"no campaign {campaign_id!r} in the deployment configuration") from None


def rule_of(reason: str | None) -> str:
    """The rule of a reason (`cycle: revisited on …` → `cycle`): what reports count by."""
    return (reason or "unknown").split(":", 1)[0]


# --- select ----------------------------------------------------------------------------------------------------


def select(campaign_id: str, scheduled_at: datetime) -> Selection:
    """Choose the run's targets, open its record, and hand back its batches (or where they are)."""
    campaign = campaign_of(campaign_id)
    if not campaign.enabled:
        raise CampaignDisabled(campaign.id)
    started = clock_now()
    chooser = Chooser(campaign, scheduled_at)
    for page in _resolved_pages(campaign, scheduled_at):
        chooser.add(page, runs.reach(ticket.customerId for ticket in page))
    selection = plan(campaign, scheduled_at, started, chooser.targets())
    if selection.large:
        selection.items = _write_items(campaign.id, selection.runId, selection.batches)
        selection.batches = []
    first = runs.start(
        campaign.id,
        selection.runId,
        scheduled_at=scheduled_at,
        started_at=started,
        send_at=datetime.fromisoformat(selection.sendAt),
        considered=chooser.considered,
        selected=selection.selected,
        excluded=dict(chooser.excluded),
        items_key=selection.items.key if selection.items else None,
    )
    # Revisit coverage (the KPIs): the customers this run found due, those it cannot reach included.
    kpi_tallies.count_revisit_run(
        campaign.id, selection.runId, scheduled_at, due=selection.selected + chooser.unreachable
    )
    logger.info(
        "campaign run selected",
        extra={
            "campaignId": campaign.id,
            "runId": selection.runId,
            "considered": chooser.considered,
            "selected": selection.selected,
            "excluded": dict(chooser.excluded),
            "sendAt": selection.sendAt,
            "large": selection.large,
            "repeated": not first,
        },
    )
    return selection


class Chooser:
    """The campaign's targets as of `moment`, page by page of resolved tickets: one per customer (their most
    recent eligible ticket); the others counted by the rule that left them out."""

    def __init__(self, campaign: Campaign, moment: datetime):
        self.campaign = campaign
        self.moment = moment
        self.considered = 0
        self.excluded: Counter[str] = Counter()
        self._chosen: dict[str, Ticket] = {}
        self._unreachable: set[str] = set()

    @property
    def unreachable(self) -> int:
        """Customers due a revisit whom the campaign cannot reach (no record, no e-mail address for a survey)."""
        return len(self._unreachable)

    def add(self, tickets: list[Ticket], reach: dict[str, runs.Reach]) -> None:
        """A page of tickets, with what their customers' records say (`runs.reach`)."""
        for ticket in tickets:
            self.considered += 1
            reason = self._exclusion(ticket, reach.get(ticket.customerId))
            if reason:
                self.excluded[rule_of(reason)] += 1
                if rule_of(reason) == CONTACT:
                    self._unreachable.add(ticket.customerId)
                continue
            earlier = self._chosen.get(ticket.customerId)
            if earlier is not None:
                self.excluded[SAME_CUSTOMER] += 1
                if _resolved_order(earlier) > _resolved_order(ticket):
                    continue
            self._chosen[ticket.customerId] = ticket

    def _exclusion(self, ticket: Ticket, customer: runs.Reach | None) -> str | None:
        last = customer.last_revisited_at if customer else None
        eligible, reason = is_eligible(ticket, last, self.campaign, self.moment)
        if not eligible:
            return reason
        if customer is None:
            return f"{CONTACT}: no customer record"
        if self.campaign.method is Method.EMAIL_SURVEY and not customer.has_email:
            return f"{CONTACT}: no e-mail address"
        if self.campaign.method is Method.SMS_SURVEY and not customer.can_text:
            return f"{CONTACT}: no phone number to text"
        return None

    def targets(self) -> list[RunTarget]:
        """The targets chosen so far, in ticket id order."""
        chosen = sorted(self._chosen.values(), key=lambda ticket: ticket.id)
        return [RunTarget(ticketId=ticket.id, customerId=ticket.customerId) for ticket in chosen]


def plan(campaign: Campaign, scheduled_at: datetime, started: datetime, targets: list[RunTarget]) -> Selection:
    """The run's selection: its batches, whether they are too many for the state, and when it may send."""
    return Selection(
        campaignId=campaign.id,
        runId=run_id_for(scheduled_at),
        scheduledAt=timestamp(scheduled_at),
        sendAt=timestamp(next_allowed_send(started, campaign.quiet_hours)),
        selected=len(targets),
        large=len(targets) > INLINE_LIMIT,
        batches=batches_of(targets),
    )


def _resolved_pages(campaign: Campaign, moment: datetime) -> Iterator[list[Ticket]]:
    start, end = window(campaign, moment)
    cursor: str | None = None
    while True:
        page = revisit_store.resolved_between(start, end, limit=PAGE_SIZE, cursor=cursor)
        if page.items:
            yield page.items
        cursor = page.nextCursor
        if cursor is None:
            return


def _resolved_order(ticket: Ticket) -> tuple[str, str]:
    assert ticket.sla.resolvedAt is not None
    return iso(ticket.sla.resolvedAt), ticket.id


def _write_items(campaign_id: str, run_id: str, batches: list[Batch]) -> Items:
    bucket, key = work_bucket(), f"runs/{campaign_id}/{run_id}.json"
    body = json.dumps([batch.model_dump(mode="json") for batch in batches], separators=(",", ":"))
    _s3().put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")
    return Items(bucket=bucket, key=key)


def work_bucket() -> str:
    """Where large selections are written for the Distributed Map (the deployment's work bucket)."""
    return required(settings().revisit_bucket, REVISIT_BUCKET_VAR)


@cache
def _s3() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("s3", settings().region)


# --- send ------------------------------------------------------------------------------------------------------


# Sending imports what it sends with (surveys, the invitation, e-mail and text messages) when it runs: a run's
# first invocation, Select, needs none of it, and it was about a fifth of the revisit function's init.


def send(campaign_id: str, run_id: str, scheduled_at: datetime, batch: Batch) -> BatchResult:
    """Revisit a batch of targets; record each one's outcome and count the batch on the run, once."""
    from kefu.revisits import invitation

    campaign = campaign_of(campaign_id)
    if campaign.method is not Method.PHONE_REVISIT:
        invitation.public_api_url()  # a deployment without it fails the batch before any survey is issued
    outcomes = [revisit(campaign, run_id, scheduled_at, target) for target in batch.targets]
    runs.record_targets(campaign.id, run_id, outcomes, clock_now())
    counts, _ = tally(outcomes)
    counted = runs.count_batch(
        campaign.id, run_id, batch.batch, sent=counts[SENT], failed=counts[FAILED], skipped=counts[SKIPPED]
    )
    return BatchResult(
        batch=batch.batch, sent=counts[SENT], failed=counts[FAILED], skipped=counts[SKIPPED], counted=counted
    )


def revisit(campaign: Campaign, run_id: str, moment: datetime, target: RunTarget) -> TargetRecord:
    """One target, by the campaign's method; whatever goes wrong is this target's failure, not the batch's."""
    try:
        return _revisit(campaign, run_id, moment, target)
    except Exception as err:
        logger.exception(
            "a revisit target failed", extra={"campaignId": campaign.id, "runId": run_id, "ticketId": target.ticketId}
        )
        return TargetRecord(target.ticketId, target.customerId, FAILED, reason=f"error: {type(err).__name__}: {err}")


def _revisit(campaign: Campaign, run_id: str, moment: datetime, target: RunTarget) -> TargetRecord:
    from kefu.email import outbound
    from kefu.revisits import invitation
    from kefu.surveys import service as surveys
    from kefu.surveys.tokens import survey_id_for

    def skipped(reason: str) -> TargetRecord:
        return TargetRecord(target.ticketId, target.customerId, SKIPPED, reason=reason)

    try:
        ticket = ticket_store.get(target.ticketId)
    except errors.TicketNotFound:
        return skipped("status: no such ticket")
    # The ticket's rules again (it may have been reopened or recategorised since Select). The customer's cycle is
    # left to issuing, which checks it in the transaction that marks them revisited, and returns the survey when it
    # exists already (this run's, repeated: resumed whatever the cycle says now).
    eligible, reason = is_eligible(ticket, None, campaign, moment)
    if not eligible:
        return skipped(reason)
    survey_id = survey_id_for(campaign.id, ticket.id)
    cycle = campaign.cycle_days.of(ticket.customerTier)
    task: Ticket | None = None
    try:
        if campaign.method is Method.PHONE_REVISIT:
            assert campaign.group is not None
            task = surveys.create_phone_revisit(
                ticket, campaign_id=campaign.id, group=campaign.group, revisit_cycle=cycle
            )
        else:
            issued = surveys.issue_survey(
                ticket, campaign_id=campaign.id, expires_in=campaign.survey_expiry, revisit_cycle=cycle
            )
    except errors.RevisitedWithinCycle as err:
        return skipped(f"cycle: {err}")
    except errors.Conflict as err:  # reopened since it was selected
        return skipped(f"status: {err}")
    owner = runs.claim_survey(survey_id, campaign.id, run_id)
    if owner != run_id:  # issued by an earlier run of the campaign: that run reached the customer
        return skipped(f"{SURVEYED}: the ticket was surveyed by run {owner}")
    if task is not None:
        return TargetRecord(ticket.id, ticket.customerId, SENT, survey_id=survey_id, task_id=task.id)
    url = invitation.survey_url(issued.link)
    if campaign.method is Method.SMS_SURVEY:
        return _texted(target, ticket, survey_id, url, issued.survey.expiresAt)
    delivery = outbound.send_notice(
        ticket, key=survey_id, subject=invitation.SUBJECT, texts=invitation.texts(url, issued.survey.expiresAt)
    )
    return mailed(target, survey_id, delivery)


def mailed(target: RunTarget, survey_id: str, delivery: Delivery) -> TargetRecord:
    """A target's outcome from what became of its invitation."""
    reason: str | None
    outcome, reason = FAILED, f"mail: {delivery.reason}"
    if delivery.sent:
        outcome, reason = SENT, None
    elif delivery.reason == "already-sent":  # a repeated batch or run: sent before, and only then
        outcome, reason = SENT, "resumed: the invitation had gone out already"
    elif delivery.reason == "no-customer-address":
        outcome, reason = SKIPPED, f"{CONTACT}: no e-mail address"
    return TargetRecord(
        target.ticketId,
        target.customerId,
        outcome,
        reason=reason,
        survey_id=survey_id,
        message_id=delivery.messageId,
    )


def _texted(target: RunTarget, ticket: Ticket, survey_id: str, url: str, expires_at: datetime) -> TargetRecord:
    """Text the survey link (at most once per survey, as the e-mail invitation is sent once)."""
    from kefu.revisits import invitation
    from kefu.sms import outbound as sms
    from kefu.store import customers as customer_store

    customer = customer_store.get(ticket.customerId)
    if customer is None or not customer.phone:
        return TargetRecord(target.ticketId, target.customerId, SKIPPED, reason=f"{CONTACT}: no phone number to text")
    text = invitation.sms_text(
        url, expires_at, ticket_id=ticket.id, ticket_text=f"{ticket.subject}\n{ticket.description}"
    )
    delivery = sms.send_once(
        ticket_id=ticket.id, customer_id=ticket.customerId, key=survey_id, phone=customer.phone, text=text
    )
    return texted(target, survey_id, delivery)


def texted(target: RunTarget, survey_id: str, delivery: TextDelivery) -> TargetRecord:
    """A target's outcome from what became of its text message."""
    reason: str | None
    outcome, reason = FAILED, f"sms: {delivery.reason}"
    if delivery.sent:
        outcome, reason = SENT, None
    elif delivery.reason == "already-sent":  # a repeated batch or run: sent before, and only then
        outcome, reason = SENT, "resumed: the invitation had gone out already"
    return TargetRecord(
        target.ticketId,
        target.customerId,
        outcome,
        reason=reason,
        survey_id=survey_id,
        message_id=delivery.snsMessageId,
    )


# --- report and failure ----------------------------------------------------------------------------------------


def report(campaign_id: str, run_id: str) -> RunReport:
    """Finish the run: its totals and reasons from its targets' outcomes; metrics per campaign; a summary log."""
    totals, reasons = tally(runs.targets(campaign_id, run_id))
    record = runs.finish(
        campaign_id,
        run_id,
        sent=totals[SENT],
        failed=totals[FAILED],
        skipped=totals[SKIPPED],
        reasons=reasons,
        at=clock_now(),
    )
    kpi_tallies.count_revisit_run(campaign_id, run_id, record.scheduled_at, revisited=record.sent)
    for name, value in (
        ("CampaignSelected", record.selected),
        ("CampaignSent", record.sent),
        ("CampaignFailed", record.failed),
        ("CampaignSkipped", record.skipped),
    ):
        with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
            metric.add_dimension(name="campaign", value=campaign_id)
    summary = run_report(record)
    logger.info("campaign run finished", extra=summary.model_dump(mode="json"))
    return summary


def tally(outcomes: Iterable[TargetRecord]) -> tuple[Counter[str], dict[str, dict[str, int]]]:
    """Targets by outcome, and the skipped and failed ones by the rule of their reason."""
    totals: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {SKIPPED: Counter(), FAILED: Counter()}
    for target in outcomes:
        totals[target.outcome] += 1
        if target.outcome in reasons:
            reasons[target.outcome][rule_of(target.reason)] += 1
    return totals, {outcome: dict(counted) for outcome, counted in reasons.items() if counted}


def fail(campaign_id: str, scheduled_at: datetime, error: str, cause: str) -> RunReport:
    """Record the run as failed, with the error that ended it."""
    run_id = run_id_for(scheduled_at)
    runs.fail(campaign_id, run_id, scheduled_at=scheduled_at, error=f"{error}: {cause}"[:2000], at=clock_now())
    with single_metric(name="CampaignRunsFailed", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="campaign", value=campaign_id)
    record = runs.read(campaign_id, run_id)
    assert record is not None, "a failed run has a record"
    summary = run_report(record)
    logger.error("campaign run failed", extra={**summary.model_dump(mode="json"), "error": error, "cause": cause})
    return summary


def run_report(record: RunRecord) -> RunReport:
    """The campaign report of one run: its counts so far (responses as they arrive)."""
    return RunReport(
        campaignId=record.campaign_id,
        runId=record.run_id,
        status=record.status,
        selected=record.selected,
        sent=record.sent,
        failed=record.failed,
        skipped=record.skipped,
        responses=record.responses,
        excluded=record.excluded,
        reasons=record.reasons,
        startedAt=iso(record.started_at),
        finishedAt=iso(record.finished_at) if record.finished_at else None,
    )
