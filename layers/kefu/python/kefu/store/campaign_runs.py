"""Revisit campaign runs in DynamoDB: the run record (pk=CAMPAIGN#<campaign>, sk=RUN#<run id>) with its counters,
what the run did for each target (pk=RUN#<campaign>#<run id>, sk=TARGET#<ticket id>), and, in each survey's
partition, the run it went out in (sk=RUN), so that its answer counts as the run's response.

Counters are atomic ADDs. A batch of targets adds its outcomes once: its id joins the run's `countedBatches` in the
same conditional update, so a retried batch adds nothing. The report then sets the totals from the targets' items,
which a repeated run may have changed (a failed send that went out the second time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from kefu.store.customers import CUSTOMER_SK, customer_key
from kefu.store.models import CustomerItem
from kefu.store.survey_keys import campaign_key, survey_key
from kefu.store.survey_models import CampaignRunItem, RunTargetItem, SurveyRunItem
from kefu.store.writes import condition_failed

RUN_PREFIX = "RUN#"
TARGET_PREFIX = "TARGET#"
SURVEY_RUN_SK = "RUN"
SENDING, FINISHED, FAILED = "sending", "finished", "failed"


def run_sk(run_id: str) -> str:
    return f"{RUN_PREFIX}{run_id}"


def targets_key(campaign_id: str, run_id: str) -> str:
    return f"{RUN_PREFIX}{campaign_id}#{run_id}"


@dataclass(frozen=True)
class Reach:
    """What selecting a customer needs from their record: their last revisit and whether mail can reach them."""

    customer_id: str
    last_revisited_at: datetime | None
    has_email: bool
    #: A phone number kefu may text: known, and not refused in the customer's contact preferences.
    can_text: bool = False


@dataclass(frozen=True)
class RunRecord:
    campaign_id: str
    run_id: str
    scheduled_at: datetime
    status: str
    started_at: datetime
    finished_at: datetime | None
    send_at: datetime | None
    considered: int
    selected: int
    sent: int
    failed: int
    skipped: int
    responses: int
    excluded: dict[str, int]
    reasons: dict[str, dict[str, int]]
    batches_counted: int
    items_key: str | None
    error: str | None


@dataclass(frozen=True)
class TargetRecord:
    ticket_id: str
    customer_id: str
    outcome: str  # sent | failed | skipped
    reason: str | None = None
    survey_id: str | None = None
    task_id: str | None = None
    message_id: str | None = None


# --- customers -----------------------------------------------------------------------------------------------


def reach(customer_ids: Iterable[str]) -> dict[str, Reach]:
    """The customers' last revisit and whether mail or a text can reach them, by BatchGetItem (100 keys a request);
    a customer without a record is left out."""
    keys = [(customer_key(customer_id), CUSTOMER_SK) for customer_id in dict.fromkeys(customer_ids)]
    found: dict[str, Reach] = {}
    attributes = ["pk", "sk", "kind", "id", "email", "phone", "contactPreferences", "lastRevisitedAt"]
    for item in CustomerItem.batch_get(keys, consistent_read=True, attributes_to_get=attributes):
        last = item.last_revisited_at
        can_text = bool(item.phone) and (item.contact_preferences or {}).get("phone", True) is not False
        found[item.customer_id] = Reach(item.customer_id, last, bool(item.email), can_text)
    return found


# --- the run record ------------------------------------------------------------------------------------------


def start(
    campaign_id: str,
    run_id: str,
    *,
    scheduled_at: datetime,
    started_at: datetime,
    send_at: datetime,
    considered: int,
    selected: int,
    excluded: dict[str, int],
    items_key: str | None,
) -> bool:
    """Open the run (False: it existed, from an earlier selection of the same scheduled run, whose counts this
    selection adds to: each batch's outcomes are counted once whichever selection sent it)."""
    item = CampaignRunItem(
        campaign_key(campaign_id),
        run_sk(run_id),
        campaign_id=campaign_id,
        run_id=run_id,
        scheduled_at=scheduled_at,
        status=SENDING,
        started_at=started_at,
        send_at=send_at,
        considered=considered,
        selected=selected,
        excluded=excluded,
        items_key=items_key,
    )
    try:
        item.save(condition=CampaignRunItem.pk.does_not_exist())
        return True
    except PutError as err:
        if not condition_failed(err):
            raise
    CampaignRunItem(campaign_key(campaign_id), run_sk(run_id)).update(
        actions=[
            CampaignRunItem.status.set(SENDING),
            CampaignRunItem.send_at.set(send_at),
            CampaignRunItem.considered.add(considered),
            CampaignRunItem.selected.add(selected),
            CampaignRunItem.excluded.set(excluded),
            CampaignRunItem.finished_at.remove(),
            CampaignRunItem.error.remove(),
            *([CampaignRunItem.items_key.set(items_key)] if items_key else []),
        ]
    )
    return False


def count_batch(campaign_id: str, run_id: str, batch_id: str, *, sent: int, failed: int, skipped: int) -> bool:
    """Add a batch's outcomes to the run's counters, once per batch: False if this batch was counted before."""
    item = CampaignRunItem(campaign_key(campaign_id), run_sk(run_id))
    try:
        item.update(
            actions=[
                CampaignRunItem.sent.add(sent),
                CampaignRunItem.failed.add(failed),
                CampaignRunItem.skipped.add(skipped),
                CampaignRunItem.counted_batches.add({batch_id}),
            ],
            condition=CampaignRunItem.pk.exists() & ~CampaignRunItem.counted_batches.contains(batch_id),
        )
    except UpdateError as err:
        if condition_failed(err):
            return False
        raise
    return True


def finish(
    campaign_id: str, run_id: str, *, sent: int, failed: int, skipped: int, reasons: dict, at: datetime
) -> RunRecord:
    """The run's totals (from its targets' items) and its end; the record as it is now."""
    item = CampaignRunItem(campaign_key(campaign_id), run_sk(run_id))
    item.update(
        actions=[
            CampaignRunItem.status.set(FINISHED),
            CampaignRunItem.finished_at.set(at),
            CampaignRunItem.sent.set(sent),
            CampaignRunItem.failed.set(failed),
            CampaignRunItem.skipped.set(skipped),
            CampaignRunItem.reasons.set(reasons),
            CampaignRunItem.error.remove(),  # a failed run started again and finished this time
        ],
        condition=CampaignRunItem.pk.exists(),
    )
    return _record(item)


def fail(campaign_id: str, run_id: str, *, scheduled_at: datetime, error: str, at: datetime) -> None:
    """Mark the run failed with why; a run that failed before its selection was recorded gets a record too."""
    item = CampaignRunItem(campaign_key(campaign_id), run_sk(run_id))
    try:
        item.update(
            actions=[
                CampaignRunItem.status.set(FAILED),
                CampaignRunItem.finished_at.set(at),
                CampaignRunItem.error.set(error),
            ],
            condition=CampaignRunItem.pk.exists(),
        )
        return
    except UpdateError as err:
        if not condition_failed(err):
            raise
    CampaignRunItem(
        campaign_key(campaign_id),
        run_sk(run_id),
        campaign_id=campaign_id,
        run_id=run_id,
        scheduled_at=scheduled_at,
        status=FAILED,
        started_at=at,
        finished_at=at,
        error=error,
    ).save(condition=CampaignRunItem.pk.does_not_exist())


def read(campaign_id: str, run_id: str) -> RunRecord | None:
    try:
        item = CampaignRunItem.get(campaign_key(campaign_id), run_sk(run_id), consistent_read=True)
    except DoesNotExist:
        return None
    return _record(item)


def _record(item: CampaignRunItem) -> RunRecord:
    return RunRecord(
        campaign_id=item.campaign_id,
        run_id=item.run_id,
        scheduled_at=item.scheduled_at,
        status=item.status,
        started_at=item.started_at,
        finished_at=item.finished_at,
        send_at=item.send_at,
        considered=int(item.considered or 0),
        selected=int(item.selected or 0),
        sent=int(item.sent or 0),
        failed=int(item.failed or 0),
        skipped=int(item.skipped or 0),
        responses=int(item.responses or 0),
        excluded=dict(item.excluded or {}),
        reasons=dict(item.reasons or {}),
        batches_counted=len(item.counted_batches or ()),
        items_key=item.items_key,
        error=item.error,
    )


# --- targets -------------------------------------------------------------------------------------------------


def record_targets(campaign_id: str, run_id: str, targets: Iterable[TargetRecord], at: datetime) -> None:
    """What the run did for each target, by BatchWriteItem; a target done again is written again."""
    partition = targets_key(campaign_id, run_id)
    with RunTargetItem.batch_write() as batch:
        for target in targets:
            batch.save(
                RunTargetItem(
                    partition,
                    f"{TARGET_PREFIX}{target.ticket_id}",
                    ticket_id=target.ticket_id,
                    customer_id=target.customer_id,
                    outcome=target.outcome,
                    reason=target.reason,
                    survey_id=target.survey_id,
                    task_id=target.task_id,
                    message_id=target.message_id,
                    at=at,
                )
            )


def targets(campaign_id: str, run_id: str) -> Iterator[TargetRecord]:
    """Every target the run has done, in ticket id order (a Query, page after page)."""
    for item in RunTargetItem.query(
        targets_key(campaign_id, run_id), RunTargetItem.sk.startswith(TARGET_PREFIX), consistent_read=True
    ):
        yield TargetRecord(
            ticket_id=item.ticket_id,
            customer_id=item.customer_id,
            outcome=item.outcome,
            reason=item.reason,
            survey_id=item.survey_id,
            task_id=item.task_id,
            message_id=item.message_id,
        )


# --- surveys and their runs ----------------------------------------------------------------------------------


def claim_survey(survey_id: str, campaign_id: str, run_id: str) -> str:
    """Tie a survey to the run sending it, unless another run of the campaign has it; the run that has it."""
    item = SurveyRunItem(survey_key(survey_id), SURVEY_RUN_SK, campaign_id=campaign_id, run_id=run_id)
    try:
        item.save(condition=SurveyRunItem.pk.does_not_exist() | (SurveyRunItem.run_id == run_id))
    except PutError as err:
        if not condition_failed(err):
            raise
        return SurveyRunItem.get(survey_key(survey_id), SURVEY_RUN_SK, consistent_read=True).run_id
    return run_id


def count_response(survey_id: str) -> bool:
    """An answer to the survey counts as a response of the run it went out in (False: it went out in none)."""
    try:
        link = SurveyRunItem.get(survey_key(survey_id), SURVEY_RUN_SK, consistent_read=True)
    except DoesNotExist:
        return False
    try:
        CampaignRunItem(campaign_key(link.campaign_id), run_sk(link.run_id)).update(
            actions=[CampaignRunItem.responses.add(1)], condition=CampaignRunItem.pk.exists()
        )
    except UpdateError as err:
        if condition_failed(err):
            return False
        raise
    return True
