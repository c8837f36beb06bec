"""Revisit surveys: issued with a signed link (or as a phone-revisit task), shown, and answered once.

An answer is recorded in one transaction with the ticket change that puts it on the ticket's timeline: the answer
item in the survey's partition (written only if new: the second answer, or the slower of two at once, is a 409)
and the result on the customer's record. Then the survey is marked answered, the customer's revisit cycle moves to
the answer's time, and a low score opens one follow-up ticket (its link to the survey is written only if new).
Those later steps are repeated by any later attempt to answer, so a crash between them is made good.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from kefu import errors
from kefu.clock import iso, now
from kefu.identity import Caller, Role
from kefu.model.customers import Tier
from kefu.model.surveys import (
    IssuedSurvey,
    RevisitAnswer,
    RevisitOutcome,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyResult,
    SurveyStatus,
    SurveyView,
    TicketSummary,
    questions,
)
from kefu.model.ticket_requests import NewMessage, NewTicket, TransitionRequest
from kefu.model.tickets import (
    ACTIVE,
    REVISIT_TAG,
    Category,
    Channel,
    EntryKind,
    Page,
    Priority,
    Resolution,
    ResolutionKind,
    Status,
    Ticket,
    Visibility,
)
from kefu.observability import logger, metrics
from kefu.store import campaign_runs
from kefu.store import customers as customer_store
from kefu.store import surveys as store
from kefu.store import tickets as ticket_store
from kefu.store.failures import AlreadyExists, TransactionCollided
from kefu.store.surveys import Answer, SurveyRecord
from kefu.surveys import tokens
from kefu.surveys.config import survey_settings
from kefu.tickets import service as tickets
from kefu.tickets.writes import Change, Draft

#: Who surveys write as: the timeline says a system did it, and it may act on any customer's ticket.
SYSTEM = Caller(sub="system:surveys", groups=frozenset({Role.AGENT.value}), system=True)
#: A phone-revisit task's survey never leaves kefu as a link; it lasts while the task may be worked.
PHONE_SURVEY_EXPIRY = timedelta(days=30)
LOW_SCORE_TAG = "low-score"
_ATTEMPTS = 3


# --- issuing -----------------------------------------------------------------------------------------------


def issue_survey(
    ticket: Ticket,
    *,
    campaign_id: str,
    expires_in: timedelta,
    channel: str = "email",
    revisit_cycle: timedelta | None = None,
) -> IssuedSurvey:
    """The survey of a resolved (or closed) ticket for a campaign, with its signed link; one per (campaign,
    ticket): issued again, the same survey comes back with `created` False.

    Issuing marks the customer revisited now; with `revisit_cycle`, only if they were not revisited within it
    (else RevisitedWithinCycle, a 409), checked in the same transaction so two campaigns cannot both reach them.
    """
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise errors.Conflict(f"ticket {ticket.id} is {ticket.status.value}: only resolved tickets are surveyed")
    survey_channel = SurveyChannel(channel)
    moment = now()
    survey = Survey(
        id=tokens.survey_id_for(campaign_id, ticket.id),
        ticketId=ticket.id,
        customerId=ticket.customerId,
        campaignId=campaign_id,
        channel=survey_channel,
        status=SurveyStatus.SENT,
        issuedAt=moment,
        # Whole seconds: the token carries its expiry in seconds, and the stored one must be the same instant.
        expiresAt=(moment + expires_in).replace(microsecond=0),
    )
    created = store.create(survey, cycle_start=moment - revisit_cycle if revisit_cycle else None)
    if not created:
        existing = store.read(survey.id)
        assert existing is not None, "a survey that failed to be created because it exists can be read"
        return _issued(existing.survey, created=False)
    _note_sent(survey)
    metrics.add_metric(name="SurveysIssued", unit=MetricUnit.Count, value=1)
    return _issued(survey, created=True)


def _issued(survey: Survey, *, created: bool) -> IssuedSurvey:
    token = tokens.sign(survey.id, survey.expiresAt)
    return IssuedSurvey(survey=survey, token=token, link=f"/surveys/{token}", created=created)


def _note_sent(survey: Survey) -> None:
    """An internal timeline entry: which campaign surveyed the ticket, how, and until when."""
    data = {
        "event": "sent",
        "surveyId": survey.id,
        "campaignId": survey.campaignId,
        "channel": survey.channel.value,
        "expiresAt": iso(survey.expiresAt),
    }

    def decide(ticket: Ticket) -> Change:
        return Change(
            ticket.model_copy(update={"updatedAt": now()}), [Draft(EntryKind.SURVEY, Visibility.INTERNAL, data=data)]
        )

    tickets.change(SYSTEM, survey.ticketId, decide)


# --- the survey link ---------------------------------------------------------------------------------------


def show_survey(token: str) -> SurveyView:
    """The questions (zh/en) and a summary of the ticket; 404 for a link kefu did not issue, 403 once expired,
    409 once answered."""
    record = _by_token(token)
    if record.answer is not None:
        raise errors.SurveyAlreadyAnswered(record.answer.answered_at)
    ticket = ticket_store.get(record.survey.ticketId)
    return SurveyView(
        surveyId=record.survey.id,
        expiresAt=record.survey.expiresAt,
        questions=questions(),
        ticket=TicketSummary.of(ticket),
    )


def answer_survey(token: str, answer: SurveyAnswer) -> SurveyResult:
    """Record the customer's answer, once: on the ticket's timeline (a public entry: their own words) and on their
    customer record; a low score opens a follow-up ticket for the ticket's owner."""
    record = _by_token(token)
    customer = Caller(sub=record.survey.customerId)
    return _record_answer(record, answer, author=customer, channel=SurveyChannel.EMAIL)


def _by_token(token: str) -> SurveyRecord:
    try:
        claims = tokens.verify(token, now())
    except errors.SurveyExpired:
        metrics.add_metric(name="SurveyLinksExpired", unit=MetricUnit.Count, value=1)
        raise
    except errors.SurveyNotFound:
        metrics.add_metric(name="SurveyLinksRefused", unit=MetricUnit.Count, value=1)
        raise
    record = store.read(claims.survey_id)
    # A phone survey is answered through the agent who called; a link to it is not one kefu gives out.
    if record is None or record.survey.channel is not SurveyChannel.EMAIL:
        metrics.add_metric(name="SurveyLinksRefused", unit=MetricUnit.Count, value=1)
        raise errors.SurveyNotFound()
    return record


# --- recording an answer (the link and the revisit call alike) --------------------------------------------


def _record_answer(
    record: SurveyRecord, answer: SurveyAnswer, *, author: Caller, channel: SurveyChannel
) -> SurveyResult:
    survey = record.survey

    def decide(ticket: Ticket) -> Change[Answer]:
        moment = now()
        recorded = Answer(answer.csat, answer.nps, answer.comment, channel, moment, author.sub)
        data: dict[str, Any] = {"event": "answered", "surveyId": survey.id, "channel": channel.value}
        data.update(csat=answer.csat, nps=answer.nps)
        draft = Draft(EntryKind.SURVEY, Visibility.PUBLIC, body=answer.comment, data=data)
        update = {"updatedAt": moment}
        items = store.answer_items(survey, recorded)
        return Change(ticket.model_copy(update=update), [draft], new_items=items, outcome=recorded)

    for _ in range(_ATTEMPTS):
        if record.answer is not None:
            _answered_already(record)
        try:
            recorded = tickets.write(author, survey.ticketId, decide).outcome
        except (AlreadyExists, TransactionCollided):
            # Answered meanwhile (the answer item exists), or a transaction at the same moment: read again.
            again = store.read(survey.id)
            assert again is not None
            record = again
            continue
        assert recorded is not None  # every decision above is a change
        follow_up = _complete(survey, recorded)
        _count_answer(recorded)
        return SurveyResult(
            surveyId=survey.id,
            ticketId=survey.ticketId,
            channel=channel,
            csat=recorded.csat,
            nps=recorded.nps,
            comment=recorded.comment,
            answeredAt=recorded.answered_at,
            followUpTicketId=follow_up,
        )
    raise errors.Conflict("the survey could not be answered for conflicting writes; try again")


def _answered_already(record: SurveyRecord) -> None:
    assert record.answer is not None
    metrics.add_metric(name="SurveysAnsweredTwice", unit=MetricUnit.Count, value=1)
    _complete(record.survey, record.answer, follow_up_id=record.follow_up_id)
    raise errors.SurveyAlreadyAnswered(record.answer.answered_at)


def _complete(survey: Survey, answer: Answer, *, follow_up_id: str | None = None) -> str | None:
    """What follows an answer; each step is safe to repeat. Returns the low score's follow-up ticket, if any."""
    if store.mark_answered(survey, answer):
        # The first completion only: the campaign run that sent the survey counts a response (the report's).
        campaign_runs.count_response(survey.id)
    store.mark_revisited(survey.customerId, answer.answered_at)
    if follow_up_id is not None or not survey_settings().is_low(answer.csat, answer.nps):
        return follow_up_id
    return _open_follow_up(survey, answer)


def _count_answer(answer: Answer) -> None:
    metrics.add_metric(name="SurveysAnswered", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Csat", unit=MetricUnit.NoUnit, value=answer.csat)
    if answer.nps is not None:
        metrics.add_metric(name="Nps", unit=MetricUnit.NoUnit, value=answer.nps)
    if survey_settings().is_low(answer.csat, answer.nps):
        metrics.add_metric(name="SurveyLowScores", unit=MetricUnit.Count, value=1)


def _open_follow_up(survey: Survey, answer: Answer) -> str | None:
    """A low score opens a follow-up ticket, for the original owner, on the VIP desk for VIP customers and the
    complaints desk for the others. At most one per survey: its link is written with it, only if new."""
    settings = survey_settings()
    original = ticket_store.get(survey.ticketId)
    customer = customer_store.get(original.customerId)
    tier = customer.tier if customer else original.customerTier
    group = settings.vip_group if tier is Tier.VIP else settings.complaints_group
    scores = f"CSAT {answer.csat}/5" + (f", NPS {answer.nps}/10" if answer.nps is not None else "")
    lines = [
        f"回访评分偏低 / A revisit survey of {original.id} scored low: {scores}.",
        f"Ticket: {original.subject}",
    ]
    if answer.comment:
        lines.append(f"Customer's comment: {answer.comment}")
    request = NewTicket(
        subject=f"Low satisfaction after {original.id}: {scores}",
        description="\n".join(lines),
        channel=Channel.PHONE if answer.channel is SurveyChannel.PHONE else Channel.EMAIL,
        priority=Priority.P2,
        tags=[LOW_SCORE_TAG],
    )
    origin = {"reason": f"low survey score ({scores})", "surveyId": survey.id}
    try:
        opened = tickets.open_ticket(
            SYSTEM,
            request,
            follow_up_of=original,
            group=group,
            origin=origin,
            lookups=lambda ticket: [store.follow_up_link(survey.id, ticket.id)],
        )
    except errors.KefuError as err:
        existing = store.read(survey.id)
        if existing is not None and existing.follow_up_id is not None:
            return existing.follow_up_id  # opened by another attempt meanwhile
        # The answer is recorded whatever happens here; the missed follow-up is logged and counted for an alarm.
        logger.error("low score follow-up not opened", extra={"surveyId": survey.id, "error": str(err)})
        metrics.add_metric(name="SurveyFollowUpsFailed", unit=MetricUnit.Count, value=1)
        return None
    store.set_follow_up(survey.id, opened.id)
    metrics.add_metric(name="SurveyFollowUpsOpened", unit=MetricUnit.Count, value=1)
    return opened.id


# --- phone revisits ----------------------------------------------------------------------------------------


def create_phone_revisit(
    ticket: Ticket,
    *,
    campaign_id: str,
    group: str,
    revisit_cycle: timedelta | None = None,
    expires_in: timedelta = PHONE_SURVEY_EXPIRY,
) -> Ticket:
    """A revisit call for agents: a ticket on the phone channel in `group` (category consultation, tag `revisit`,
    following up `ticket`), with a phone survey whose answer the agent records like the customer's own.

    One per (campaign, ticket): created again, the same task comes back. The cycle applies as in issue_survey.
    """
    issued = issue_survey(
        ticket, campaign_id=campaign_id, expires_in=expires_in, channel="phone", revisit_cycle=revisit_cycle
    )
    survey = issued.survey
    record = store.read(survey.id)
    if record is not None and record.task_id is not None:
        return ticket_store.get(record.task_id)
    request = NewTicket(
        subject=f"回访 Revisit call: {ticket.subject}"[:300],
        description="\n".join(
            [
                f"请致电客户回访工单 {ticket.id}，并记录答复。",
                f"Call the customer about {ticket.id} ({ticket.subject}) and record their answers:",
                *(f"- {question.zh} / {question.en}" for question in questions()),
            ]
        ),
        category=Category.CONSULTATION,
        channel=Channel.PHONE,
        priority=Priority.P3,
        tags=[REVISIT_TAG],
    )
    origin = {"reason": f"revisit call of campaign {campaign_id}", "surveyId": survey.id, "campaignId": campaign_id}
    try:
        task = tickets.open_ticket(
            SYSTEM,
            request,
            follow_up_of=ticket,
            group=group,
            origin=origin,
            lookups=lambda new: store.task_links(survey.id, new.id),
        )
    except errors.Conflict:
        again = store.read(survey.id)
        if again is None or again.task_id is None:
            raise
        return ticket_store.get(again.task_id)  # opened by another attempt meanwhile
    metrics.add_metric(name="PhoneRevisitsOpened", unit=MetricUnit.Count, value=1)
    return task


def record_revisit(caller: Caller, task_id: str, body: RevisitAnswer) -> RevisitOutcome:
    """An agent's revisit call: reached, the customer's answer is recorded exactly as a survey answer (on the
    original ticket and the customer) and the task is resolved; not reached, a note, and the task stays open."""
    caller.require_staff()
    task = tickets.get_ticket(caller, task_id)
    survey_id = store.survey_of_task(task.id)
    record = store.read(survey_id) if survey_id else None
    if record is None:
        raise errors.Conflict(f"ticket {task.id} is not a revisit task")
    if task.status not in ACTIVE:
        raise errors.Conflict(f"the revisit task is {task.status.value}; reopen it to record a call")
    if not body.reached:
        note = body.comment or "客户未接通 / The customer was not reached."
        tickets.add_message(caller, task.id, NewMessage(body=note, visibility=Visibility.INTERNAL))
        metrics.add_metric(name="RevisitCallsUnanswered", unit=MetricUnit.Count, value=1)
        return RevisitOutcome(reached=False, task=tickets.get_ticket(caller, task.id))
    result = _record_answer(record, body.answer(), author=caller, channel=SurveyChannel.PHONE)
    scores = f"CSAT {result.csat}/5" + (f", NPS {result.nps}/10" if result.nps is not None else "")
    resolution = Resolution(kind=ResolutionKind.ANSWER, note=f"customer reached: {scores}")
    resolved = tickets.transition(caller, task.id, TransitionRequest(to=Status.RESOLVED, resolution=resolution))
    return RevisitOutcome(reached=True, task=resolved, result=result)


# --- reading -----------------------------------------------------------------------------------------------


def customer_results(customer_id: str, *, limit: int = 25, cursor: str | None = None) -> Page[SurveyResult]:
    """A customer's survey results, newest first (their customer record's survey history)."""
    return store.customer_results(customer_id, limit=limit, cursor=cursor)


def campaign_surveys(campaign_id: str, *, limit: int = 100, cursor: str | None = None) -> Page[Survey]:
    """A campaign's surveys in issue order, each with its status and answer (for the campaign report)."""
    return store.campaign_surveys(campaign_id, limit=limit, cursor=cursor)
