"""Quality inspection's routes (质检): the review queue and workflow, a month's coverage, agents' scorecards. On a
Router the API's resolver includes: translate the request, call kefu.qa, shape the answer; domain errors become
problems there.

Reviewers are the `qa` Cognito group (the inspection team, no other role needed), supervisors and admins; agents
read, acknowledge and appeal their own reviews; supervisors and admins decide appeals."""

from __future__ import annotations

import json
from typing import Annotated, Any

from answers import token_caller
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses
from pydantic import BaseModel

from kefu.identity import Caller
from kefu.qa.model import (
    AcknowledgeRequest,
    AppealRequest,
    Coverage,
    DecisionRequest,
    NewReview,
    Review,
    ReviewPage,
    ReviewStatus,
    Scorecard,
    ScoreRequest,
)
from kefu.tickets.queries import page_size

# Each route imports the service it calls (kefu.qa.reviews, coverage, scorecards) on its first call: with them come the
# automatic checks, the routing and the SLA settings, which no other route needs on the API's cold start.
router = APIGatewayHttpRouter()

#: A desk month, yyyy-mm, from 1970 to 8999 (kefu.qa.months reads any real month; these bound what is asked).
MONTH = r"^(19[7-9][0-9]|[2-8][0-9]{3})-(0[1-9]|1[0-2])$"
REVIEWERS = "Reviewers (the `qa` group), supervisors and admins"
CURSOR_RULE = "`cursor` is one this listing issued, with the same filters (400 otherwise)."


def _caller() -> Caller:
    return token_caller(router.current_event)


def _json(data: Any, status: int = 200) -> Response:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_none=False)
    return Response(status_code=status, content_type="application/json", body=json.dumps(data, ensure_ascii=False))


@router.get(
    "/qa/reviews",
    tags=["qa"],
    summary="QA reviews: the queue (by status and reviewer) or an agent's (by month)",
    description=f"{REVIEWERS}: `agent` (an id or `me`) lists that agent's reviews, newest month first (`month` "
    "narrows, `status` filters: a page may come out short); without `agent`, the reviews in `status` (default "
    "`pending`: the queue), `reviewer` narrowing to `me`, `none` (nobody holds it yet) or a reviewer's id. Agents "
    f"list their own reviews only (403 for anyone else's). `agent` and `reviewer` together are 400. {CURSOR_RULE}",
    responses=responses(ReviewPage, errors=(403,)),
)
def list_reviews(
    status: Annotated[ReviewStatus | None, Query()] = None,
    agent: Annotated[str | None, Query(max_length=128)] = None,
    month: Annotated[str | None, Query(pattern=MONTH, max_length=7)] = None,
    reviewer: Annotated[str | None, Query(max_length=128)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    from kefu.qa import reviews

    page = reviews.list_reviews(
        _caller(),
        status=status,
        agent=agent,
        month=month,
        reviewer=reviewer,
        limit=page_size(limit),
        cursor=cursor,
    )
    return _json(page)


@router.post(
    "/qa/reviews",
    tags=["qa"],
    summary=f"Ask for a review of a resolved or closed ticket. {REVIEWERS}",
    description="The ticket's first review counts in its agent's month (coverage, QA score); a second or later one "
    "is a calibration review: its scores are compared with the others' (`agreement` on each review) and do not "
    "count. `reviewerId`, when given, holds it for that reviewer (403 when it is the ticket's own agent). 409 for a "
    "ticket not resolved or closed, or with no owner or assignee.",
    responses=responses(Review, 201, "The review", errors=(403, 404, 409)),
)
def request_review(body: NewReview):
    from kefu.qa import reviews

    return _json(reviews.request_review(_caller(), body), 201)


@router.get(
    "/qa/reviews/<reviewId>",
    tags=["qa"],
    summary="A review, with the ticket's automatic findings and the reviewers' agreement (calibration)",
    description=f"{REVIEWERS}: any review; agents: their own (404 for anyone else's).",
    responses=responses(Review, errors=(403,)),
)
def get_review(reviewId: str):
    from kefu.qa import reviews

    return _json(reviews.get_review(_caller(), reviewId))


@router.post(
    "/qa/reviews/<reviewId>/score",
    tags=["qa"],
    summary=f"Score a review on its rubric, item by item with comments. {REVIEWERS}",
    description="`items` names every item of the review's rubric once (the rubric it was made with, kept on it), "
    "each 0..its `max` (422 otherwise). A fatal item scored 0 makes the total 0. 403 for a review of the caller's "
    "own ticket; 409 for a review another reviewer holds, or one past `scored` (its reviewer may correct a `scored` "
    "one until the agent answers). The agent then has `qa.appeal_days` to answer (`respondBy`).",
    responses=responses(Review, errors=(403, 409)),
)
def score_review(reviewId: str, body: ScoreRequest):
    from kefu.qa import reviews

    return _json(reviews.score(_caller(), reviewId, body))


@router.post(
    "/qa/reviews/<reviewId>/acknowledge",
    tags=["qa"],
    summary="Acknowledge a scored review (the agent reviewed), with an optional note",
    description='`{}` or `{"note": ...}`. Only the agent reviewed (403 otherwise), only a `scored` review, before '
    "`respondBy` (409 otherwise). A review left unanswered past its window stands as scored.",
    responses=responses(Review, errors=(403, 409)),
)
def acknowledge_review(reviewId: str, body: AcknowledgeRequest):
    from kefu.qa import reviews

    return _json(reviews.acknowledge(_caller(), reviewId, body))


@router.post(
    "/qa/reviews/<reviewId>/appeal",
    tags=["qa"],
    summary="Appeal a scored review, with a reason (the agent reviewed)",
    description="Only the agent reviewed (403 otherwise), only a `scored` review, before `respondBy` (409 "
    "otherwise). A supervisor decides it (`POST /qa/reviews/{reviewId}/decision`).",
    responses=responses(Review, errors=(403, 409)),
)
def appeal_review(reviewId: str, body: AppealRequest):
    from kefu.qa import reviews

    return _json(reviews.appeal(_caller(), reviewId, body))


@router.post(
    "/qa/reviews/<reviewId>/decision",
    tags=["qa"],
    summary="Decide an appeal (supervisors and admins)",
    description="`upheld`: the scores stand; `overturned`: the review no longer counts in the agent's QA score. "
    "409 for a review not `appealed`; 403 for anyone but a supervisor or admin, or for one's own appeal.",
    responses=responses(Review, errors=(403, 409)),
)
def decide_appeal(reviewId: str, body: DecisionRequest):
    from kefu.qa import reviews

    return _json(reviews.decide(_caller(), reviewId, body))


@router.get(
    "/qa/coverage",
    tags=["qa"],
    summary=f"A month's QA coverage per agent: sampled, reviewed, coverage, QA score. {REVIEWERS}",
    description="`month` (yyyy-mm, the desk's months) is required (422 otherwise). Each agent's row: tickets "
    "resolved, sampled (or asked for), reviewed (with a scored review), `coverage` (reviewed / sampled), the QA "
    "score (mean total of their counted reviews) and pass rate; an agent who resolved no ticket that month is "
    "covered with `noTickets`. `sampledAt` is null until the month's sampling ran.",
    responses=responses(Coverage, errors=(403,)),
)
def month_coverage(month: Annotated[str, Query(pattern=MONTH, max_length=7)]):
    from kefu.qa import coverage

    return _json(coverage.coverage(_caller(), month))


@router.get(
    "/qa/scorecards",
    tags=["qa"],
    summary="An agent's scorecard for a month, the group's average beside each figure",
    description="`month` (yyyy-mm) is required (422 otherwise). Agents read their own (`agent` left out or `me`; "
    f"403 for anyone else's); {REVIEWERS.lower()} name the agent (400 without). Each figure is `{{agent, group}}`: "
    "QA score (mean review total, 0-100), reviews, pass rate, CSAT mean, first response and handle time (mean "
    "seconds), FCR rate, volume (tickets resolved), escalations, canned-reply uses (all time). The group is the "
    "desk: a mean is the desk's own, a count the desk's total over the agents the month's coverage lists (null "
    "when it lists none). Figures from the KPI aggregates: the desk's days in its time zone.",
    responses=responses(Scorecard, errors=(403,)),
)
def agent_scorecard(
    month: Annotated[str, Query(pattern=MONTH, max_length=7)],
    agent: Annotated[str | None, Query(max_length=128)] = None,
):
    from kefu.qa import scorecards

    return _json(scorecards.scorecard(_caller(), month, agent))
