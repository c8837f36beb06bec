"""Surveys, their answers and links, the customer's survey results and revisit cycle, in DynamoDB.

A survey's partition `SURVEY#<id>` holds the survey (sk SURVEY), its answer (ANSWER), its phone-revisit task (TASK)
and the follow-up a low score opened (FOLLOWUP): one Query reads all of it. The answer, the task link and the
follow-up link are each written only if new, so each exists once whatever runs twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kefu.clock import iso
from kefu.errors import Conflict, RevisitedWithinCycle
from kefu.model.surveys import Survey, SurveyChannel, SurveyResult, SurveyStatus
from kefu.model.tickets import Page
from kefu.store import cursor as cursors
from kefu.store.customers import CUSTOMER_SK, customer_key
from kefu.store.customers import get as get_customer
from kefu.store.full_items import read_in_full
from kefu.store.models import CustomerItem, KefuItem
from kefu.store.survey_keys import campaign_key, survey_key
from kefu.store.survey_models import CustomerSurveyItem, SurveyAnswerItem, SurveyItem, SurveyLinkItem
from kefu.store.tickets import ticket_key
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, condition_failed, connection

SURVEY_SK = "SURVEY"
ANSWER_SK = "ANSWER"
TASK_SK = "TASK"
FOLLOW_UP_SK = "FOLLOWUP"
REVISIT_SK = "REVISIT"
RESULT_PREFIX = "SURVEY#"


@dataclass(frozen=True)
class Answer:
    csat: int
    nps: int | None
    comment: str | None
    channel: SurveyChannel
    answered_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class SurveyRecord:
    """A survey with what its partition says about it."""

    survey: Survey
    answer: Answer | None
    task_id: str | None
    follow_up_id: str | None


def read(survey_id: str) -> SurveyRecord | None:
    """The survey, its answer and its links: one strongly consistent Query over its partition."""
    survey: Survey | None = None
    answer: Answer | None = None
    links: dict[str, str] = {}
    for item in KefuItem.query(survey_key(survey_id), consistent_read=True):
        if isinstance(item, SurveyItem):
            survey = _survey(item)
        elif isinstance(item, SurveyAnswerItem):
            answer = Answer(
                csat=int(item.csat),
                nps=int(item.nps) if item.nps is not None else None,
                comment=item.comment,
                channel=SurveyChannel(item.channel),
                answered_at=item.answered_at,
                recorded_by=item.recorded_by,
            )
        elif isinstance(item, SurveyLinkItem):
            links[item.sk] = item.ticket_id
    if survey is None:
        return None
    return SurveyRecord(survey, answer, links.get(TASK_SK), links.get(FOLLOW_UP_SK))


def create(survey: Survey, *, cycle_start: datetime | None) -> bool:
    """Write a new survey and mark its customer revisited at its issue time, in one transaction; False when the
    survey exists already. With `cycle_start`, only if the customer was last revisited at or before it (else
    RevisitedWithinCycle): two campaigns reaching one customer at once cannot both write."""
    item = SurveyItem(
        survey_key(survey.id),
        SURVEY_SK,
        survey_id=survey.id,
        ticket_id=survey.ticketId,
        customer_id=survey.customerId,
        campaign_id=survey.campaignId,
        channel=survey.channel.value,
        status=survey.status.value,
        issued_at=survey.issuedAt,
        expires_at=survey.expiresAt,
        gsi1pk=campaign_key(survey.campaignId),
        gsi1sk=f"{iso(survey.issuedAt)}#{survey.id}",
    )
    customer = _customer_ref(survey.customerId)
    condition = CustomerItem.pk.exists()
    if cycle_start is not None:
        last = CustomerItem.last_revisited_at
        condition &= last.does_not_exist() | (last <= cycle_start)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item, condition=SurveyItem.pk.does_not_exist())
            transaction.update(
                customer,
                actions=[CustomerItem.last_revisited_at.set(survey.issuedAt)],
                condition=condition,
                add_version_condition=False,
            )
    except TransactWriteError as err:
        reasons = cancellation_codes(err)
        if reasons and reasons[0] == CONDITION_FAILED:
            return False
        if len(reasons) > 1 and reasons[1] == CONDITION_FAILED:
            if get_customer(survey.customerId) is None:
                raise Conflict(f"customer {survey.customerId} has no customer record to revisit") from err
            raise RevisitedWithinCycle(f"customer {survey.customerId} was revisited within their cycle") from err
        raise
    return True


def answer_items(survey: Survey, answer: Answer) -> list[KefuItem]:
    """The items an answer adds, each only if new (they go into the ticket change that records it): the answer in
    the survey's partition, and the result on the customer's record."""
    answered = iso(answer.answered_at)
    return [
        SurveyAnswerItem(
            survey_key(survey.id),
            ANSWER_SK,
            survey_id=survey.id,
            csat=answer.csat,
            nps=answer.nps,
            comment=answer.comment,
            channel=answer.channel.value,
            answered_at=answer.answered_at,
            recorded_by=answer.recorded_by,
        ),
        CustomerSurveyItem(
            customer_key(survey.customerId),
            f"{RESULT_PREFIX}{answered}#{survey.ticketId}",
            survey_id=survey.id,
            ticket_id=survey.ticketId,
            campaign_id=survey.campaignId,
            channel=answer.channel.value,
            csat=answer.csat,
            nps=answer.nps,
            comment=answer.comment,
            answered_at=answer.answered_at,
        ),
    ]


def mark_answered(survey: Survey, answer: Answer) -> bool:
    """The survey goes from sent to answered, with the answer on it (for campaign reports); False if it was."""
    item = SurveyItem(survey_key(survey.id), SURVEY_SK)
    actions: list[Action] = [
        SurveyItem.status.set(SurveyStatus.ANSWERED.value),
        SurveyItem.answered_at.set(answer.answered_at),
        SurveyItem.csat.set(answer.csat),
    ]
    actions += [SurveyItem.nps.set(answer.nps)] if answer.nps is not None else []
    actions += [SurveyItem.comment.set(answer.comment)] if answer.comment else []
    try:
        item.update(actions=actions, condition=SurveyItem.status == SurveyStatus.SENT.value)
    except UpdateError as err:
        if condition_failed(err):
            return False
        raise
    return True


def mark_revisited(customer_id: str, moment: datetime) -> None:
    """The customer's last revisit moves forward to `moment` (never back)."""
    last = CustomerItem.last_revisited_at
    try:
        _customer_ref(customer_id).update(
            actions=[last.set(moment)],
            condition=CustomerItem.pk.exists() & (last.does_not_exist() | (last < moment)),
            add_version_condition=False,
        )
    except UpdateError as err:
        if not condition_failed(err):
            raise


def set_follow_up(survey_id: str, ticket_id: str) -> None:
    item = SurveyItem(survey_key(survey_id), SURVEY_SK)
    item.update(actions=[SurveyItem.follow_up_ticket_id.set(ticket_id)], condition=SurveyItem.pk.exists())


def task_links(survey_id: str, task_id: str) -> list[KefuItem]:
    """A phone-revisit task's links, written with the task: survey → task (once per survey) and task → survey."""
    return [
        SurveyLinkItem(survey_key(survey_id), TASK_SK, ticket_id=task_id, survey_id=survey_id),
        SurveyLinkItem(ticket_key(task_id), REVISIT_SK, ticket_id=task_id, survey_id=survey_id),
    ]


def follow_up_link(survey_id: str, ticket_id: str) -> SurveyLinkItem:
    """A low score's follow-up ticket, written with it: at most one per survey."""
    return SurveyLinkItem(survey_key(survey_id), FOLLOW_UP_SK, ticket_id=ticket_id, survey_id=survey_id)


def survey_of_task(task_id: str) -> str | None:
    try:
        return SurveyLinkItem.get(ticket_key(task_id), REVISIT_SK, consistent_read=True).survey_id
    except DoesNotExist:
        return None


def customer_results(customer_id: str, *, limit: int, cursor: str | None) -> Page[SurveyResult]:
    """A customer's survey results, newest first."""
    partition = customer_key(customer_id)
    start = cursors.decode(cursor, key_names={"pk", "sk"}, partition=("pk", partition))
    result = CustomerSurveyItem.query(
        partition,
        CustomerSurveyItem.sk.startswith(RESULT_PREFIX),
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    items = [
        SurveyResult(
            surveyId=item.survey_id,
            ticketId=item.ticket_id,
            channel=item.channel,
            csat=int(item.csat),
            nps=int(item.nps) if item.nps is not None else None,
            comment=item.comment,
            answeredAt=item.answered_at,
        )
        for item in result
    ]
    return Page[SurveyResult](items=items, nextCursor=cursors.encode(result.last_evaluated_key))


def campaign_surveys(campaign_id: str, *, limit: int, cursor: str | None) -> Page[Survey]:
    """A campaign's surveys in the order they were issued, answered or not (campaign reports)."""
    partition = campaign_key(campaign_id)
    start = cursors.decode(cursor, key_names={"pk", "sk", "gsi1pk", "gsi1sk"}, partition=("gsi1pk", partition))
    result = SurveyItem.by_customer.query(partition, limit=limit, page_size=limit, last_evaluated_key=start)
    items = [_survey(item) for item in read_in_full(result)]
    return Page[Survey](items=items, nextCursor=cursors.encode(result.last_evaluated_key))


def _customer_ref(customer_id: str) -> CustomerItem:
    item = CustomerItem(customer_key(customer_id), CUSTOMER_SK)
    # Any number: written with add_version_condition=False, pynamodb only increments the stored version (other
    # writers of the customer record then see that it changed).
    item.version = 0
    return item


def _survey(item: SurveyItem) -> Survey:
    return Survey(
        id=item.survey_id,
        ticketId=item.ticket_id,
        customerId=item.customer_id,
        campaignId=item.campaign_id,
        channel=item.channel,
        status=item.status,
        issuedAt=item.issued_at,
        expiresAt=item.expires_at,
        answeredAt=item.answered_at,
        csat=int(item.csat) if item.csat is not None else None,
        nps=int(item.nps) if item.nps is not None else None,
        comment=item.comment,
        followUpTicketId=item.follow_up_ticket_id,
    )
