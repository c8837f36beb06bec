"""The QA review workflow: a review is made by the monthly sample or asked for by hand, a reviewer scores it on its
rubric, the agent acknowledges it or appeals within the appeal window, a supervisor decides an appeal.

Who may do what (the `qa` Cognito group is the inspection team; they need no other role):

- reviewers (`qa` group), supervisors and admins: list and read every review, ask for one, score one;
- agents: read their own reviews, acknowledge or appeal them (someone else's reads as not found);
- supervisors and admins: decide appeals.

Bad input, each with its answer: scores that are not exactly the rubric's items, each within its scale, 422;
scoring a review of one's own ticket, 403; scoring a review another reviewer holds, 409; acknowledging or appealing
after the window (`qa.appeal_days` after scoring), or a review in another state, 409. A rubric changed mid-month
changes nothing already made: a review is scored on the rubric it was made with (kept on it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kefu import clock
from kefu.errors import BadRequest, Conflict, Forbidden, InvalidRequest, NotFound
from kefu.identity import Caller, Role
from kefu.ids import is_agent_id
from kefu.model.tickets import Status, Ticket
from kefu.qa.calibration import agreement
from kefu.qa.config import qa_settings
from kefu.qa.inspection import agent_of, findings_of
from kefu.qa.model import (
    AcknowledgeRequest,
    AppealRequest,
    DecisionRequest,
    NewReview,
    Review,
    ReviewPage,
    ReviewStatus,
    SampleReason,
    ScoreRequest,
)
from kefu.qa.months import desk_month
from kefu.qa.rubric import Rubric, ScoreProblem, total
from kefu.store import qa_reviews as store
from kefu.store import tickets as ticket_store
from kefu.store.qa_coverage import CoverageChange

QA_GROUP = "qa"
_ATTEMPTS = 5
_DONE = frozenset({Status.RESOLVED, Status.CLOSED})


class ReviewNotFound(NotFound):
    def __init__(self, review_id: str):
        super().__init__(f"review {review_id} does not exist")


def is_reviewer(caller: Caller) -> bool:
    return QA_GROUP in caller.groups or caller.role in (Role.SUPERVISOR, Role.ADMIN)


def require_reviewer(caller: Caller) -> None:
    if not is_reviewer(caller):
        raise Forbidden("this needs the qa group, or the supervisor or admin role")


def review_of(record: dict[str, Any]) -> Review:
    return Review.model_validate(record)


# --- making reviews ------------------------------------------------------------------------------------------


def new_record(
    ticket: Ticket, agent_id: str, number: int, reason: SampleReason, by: str, rubric: Rubric, at: datetime
) -> dict[str, Any]:
    return {
        "id": store.review_id(ticket.id, number),
        "ticketId": ticket.id,
        "agentId": agent_id,
        "month": desk_month(ticket.sla.resolvedAt or ticket.updatedAt),
        "status": ReviewStatus.PENDING.value,
        "reason": reason.value,
        "calibration": number > 1,
        "reviewerId": None,
        "rubric": rubric.model_dump(mode="json"),
        "createdAt": at,
        "createdBy": by,
    }


def create_sampled(ticket: Ticket, agent_id: str, reason: SampleReason, at: datetime) -> bool:
    """The monthly sample's review of a ticket (its first, `-R1`); False when the ticket has one already."""
    record = new_record(ticket, agent_id, 1, reason, "system:qa-sampling", qa_settings().rubric, at)
    change = CoverageChange(month=record["month"], agent_id=agent_id, add_tickets=frozenset({ticket.id}))
    try:
        store.create(record, change)
    except store.ReviewExists:
        return False
    return True


def request_review(caller: Caller, request: NewReview) -> Review:
    """A review asked for by hand; a second or later one of the ticket is a calibration review."""
    require_reviewer(caller)
    ticket = ticket_store.get(request.ticketId)
    if ticket.status not in _DONE:
        raise Conflict(f"ticket {ticket.id} is {ticket.status}: only resolved or closed tickets are reviewed")
    agent_id = agent_of(ticket)
    if agent_id is None:
        raise Conflict(f"ticket {ticket.id} has no owner or assignee whose work could be reviewed")
    if request.reviewerId is not None and request.reviewerId == agent_id:
        raise Forbidden("nobody reviews their own ticket")
    for _ in range(_ATTEMPTS):
        number = store.lowest_free_number(ticket.id)
        if number > store.MOST_REVIEWS:
            raise Conflict(f"ticket {ticket.id} has {store.MOST_REVIEWS} reviews, the most one ticket has")
        record = new_record(
            ticket, agent_id, number, SampleReason.REQUESTED, caller.sub, qa_settings().rubric, clock.now()
        )
        record["reviewerId"] = request.reviewerId
        change = None
        if number == 1:
            change = CoverageChange(month=record["month"], agent_id=agent_id, add_tickets=frozenset({ticket.id}))
        try:
            store.create(record, change)
        except store.ReviewExists:
            continue
        return review_of({**record, "version": 1})
    raise Conflict(f"reviews of ticket {ticket.id} are being made at this moment; try again")


# --- reading -------------------------------------------------------------------------------------------------


def _read(review_id: str) -> dict[str, Any]:
    record = store.get(review_id)
    if record is None:
        raise ReviewNotFound(review_id)
    return record


def _readable(caller: Caller, review_id: str) -> dict[str, Any]:
    record = _read(review_id)
    if not is_reviewer(caller) and record["agentId"] != caller.sub:
        # An agent's reviews are theirs alone; anyone else's does not exist for them.
        raise ReviewNotFound(review_id)
    return record


def get_review(caller: Caller, review_id: str) -> Review:
    """One review with the ticket's automatic findings and, when the ticket has several scored reviews, how far the
    reviewers agree (calibration)."""
    if not (is_reviewer(caller) or caller.is_staff):
        raise Forbidden("reviews are read by the qa group, supervisors and the agent reviewed")
    record = _readable(caller, review_id)
    review = review_of(record)
    siblings = [review_of(other) for other in store.of_ticket(review.ticketId)]
    return review.model_copy(update={"findings": findings_of(review.ticketId), "agreement": agreement(siblings)})


def list_reviews(
    caller: Caller,
    *,
    status: ReviewStatus | None,
    agent: str | None,
    month: str | None,
    reviewer: str | None,
    limit: int,
    cursor: str | None,
) -> ReviewPage:
    """Agents: their own reviews (`agent` left out or `me`). Reviewers and supervisors: an agent's (by month, newest
    first), or a status's (`pending` by default: the queue), narrowed to a `reviewer` (`me`, an id, or `none` for
    the reviews nobody holds yet)."""
    if not is_reviewer(caller):
        if not caller.is_staff:
            raise Forbidden("reviews are read by the qa group, supervisors and the agents reviewed")
        if agent not in (None, "me", caller.sub) or reviewer is not None:
            raise Forbidden("agents list their own reviews")
        agent = caller.sub
    elif agent == "me":
        agent = caller.sub
    if agent is not None:
        if not is_agent_id(agent):
            raise BadRequest("agent is `me` or an agent id")
        if reviewer is not None:
            raise BadRequest("list by agent or by reviewer, not both")
        page = store.by_agent(agent, month, status.value if status else None, limit=limit, cursor=cursor)
    else:
        holder = {"me": caller.sub, "none": store.UNASSIGNED}.get(reviewer, reviewer) if reviewer else None
        if holder is not None and holder != store.UNASSIGNED and not is_agent_id(holder):
            raise BadRequest("reviewer is `me`, `none` or a reviewer's id")
        page = store.by_status((status or ReviewStatus.PENDING).value, holder, month, limit=limit, cursor=cursor)
    return ReviewPage(items=[review_of(record) for record in page.items], nextCursor=page.nextCursor)


# --- scoring -------------------------------------------------------------------------------------------------


def score(caller: Caller, review_id: str, request: ScoreRequest) -> Review:
    require_reviewer(caller)
    for _ in range(_ATTEMPTS):
        record = _read(review_id)
        review = review_of(record)
        if review.agentId == caller.sub:
            raise Forbidden("nobody reviews their own ticket")
        _ensure_scorable(caller, review)
        scores = _scores(review.rubric, request)
        value, passed, fatal = total(review.rubric, scores)
        now = clock.now()
        updated = {
            **record,
            "status": ReviewStatus.SCORED.value,
            "reviewerId": caller.sub,
            "scores": [item.model_dump(mode="json") for item in request.items],
            "comment": request.comment,
            "total": value,
            "passed": passed,
            "fatalFailed": fatal,
            "scoredAt": now,
            "respondBy": now + timedelta(days=qa_settings().appeal_days),
        }
        try:
            store.replace(updated, review.version, _score_change(review, value, passed))
        except store.ReviewChanged:
            continue
        return review_of({**updated, "version": review.version + 1})
    raise Conflict(f"review {review_id} kept changing while it was scored; read it again")


def _ensure_scorable(caller: Caller, review: Review) -> None:
    if review.status is ReviewStatus.PENDING:
        if review.reviewerId not in (None, caller.sub):
            raise Conflict(f"review {review.id} is assigned to {review.reviewerId}")
        return
    if review.status is ReviewStatus.SCORED and review.reviewerId == caller.sub:
        return  # the reviewer corrects their scores before the agent answered
    raise Conflict(f"review {review.id} is {review.status}: it can no longer be scored")


def _scores(rubric: Rubric, request: ScoreRequest) -> dict[str, int]:
    scores: dict[str, int] = {}
    for item in request.items:
        if item.item in scores:
            raise InvalidRequest(f"item {item.item!r} is scored twice")
        scores[item.item] = item.score
    try:
        total(rubric, scores)
    except ScoreProblem as err:
        raise InvalidRequest(str(err)) from None
    return scores


def _score_change(review: Review, value: float, passed: bool) -> CoverageChange:
    """What scoring moves in the agent's month: the ticket is reviewed; a first review's total counts in the QA score
    (a correction by the difference); a calibration review's does not."""
    if review.calibration:
        return CoverageChange(month=review.month, agent_id=review.agentId, add_reviewed=frozenset({review.ticketId}))
    before_total = review.total if review.total is not None else 0.0
    return CoverageChange(
        month=review.month,
        agent_id=review.agentId,
        add_reviewed=frozenset({review.ticketId}),
        scored=0 if review.total is not None else 1,
        score_sum=round(value - before_total, 1),
        passed=int(passed) - int(bool(review.passed)),
    )


# --- the agent's answer, and the supervisor's decision ---------------------------------------------------------


def _answerable(caller: Caller, review_id: str) -> Review:
    if not caller.is_staff:
        raise Forbidden("only the agent reviewed acknowledges or appeals a review")
    record = _readable(caller, review_id)
    review = review_of(record)
    if review.agentId != caller.sub:
        raise Forbidden("only the agent reviewed acknowledges or appeals a review")
    if review.calibration:
        raise Conflict(f"review {review.id} is a calibration review: the ticket's first review is the one to answer")
    if review.status is not ReviewStatus.SCORED:
        raise Conflict(f"review {review.id} is {review.status}: only a scored review is acknowledged or appealed")
    if review.respondBy is not None and clock.now() > review.respondBy:
        raise Conflict(f"the window to answer review {review.id} closed at {review.respondBy.isoformat()}")
    return review


def acknowledge(caller: Caller, review_id: str, request: AcknowledgeRequest) -> Review:
    review = _answerable(caller, review_id)
    updated = {
        **review.model_dump(),
        "status": ReviewStatus.ACKNOWLEDGED.value,
        "acknowledgedAt": clock.now(),
        "acknowledgementNote": request.note,
    }
    return _save(review, updated, None)


def appeal(caller: Caller, review_id: str, request: AppealRequest) -> Review:
    review = _answerable(caller, review_id)
    at = clock.now()
    updated = {
        **review.model_dump(),
        "status": ReviewStatus.APPEALED.value,
        "appeal": {"reason": request.reason, "at": at},
    }
    return _save(review, updated, None)


def decide(caller: Caller, review_id: str, request: DecisionRequest) -> Review:
    caller.require(Role.SUPERVISOR, Role.ADMIN)
    review = review_of(_read(review_id))
    if review.status is not ReviewStatus.APPEALED:
        raise Conflict(f"review {review.id} is {review.status}: only an appealed review is decided")
    if review.agentId == caller.sub:
        raise Forbidden("nobody decides an appeal of their own")
    decision = {"outcome": request.outcome, "note": request.note, "by": caller.sub, "at": clock.now()}
    updated = {**review.model_dump(), "status": request.outcome, "decision": decision}
    change = None
    if request.outcome == ReviewStatus.OVERTURNED.value:
        # An overturned review leaves the agent's QA score (the ticket stays reviewed).
        change = CoverageChange(
            month=review.month,
            agent_id=review.agentId,
            scored=-1,
            score_sum=-(review.total or 0.0),
            passed=-int(bool(review.passed)),
        )
    return _save(review, updated, change)


def _save(review: Review, updated: dict[str, Any], change: CoverageChange | None) -> Review:
    updated.pop("findings", None)
    updated.pop("agreement", None)
    try:
        store.replace(updated, review.version, change)
    except store.ReviewChanged:
        raise Conflict(f"review {review.id} changed meanwhile; read it again") from None
    return review_of({**updated, "version": review.version + 1})
