"""The survey routes of the HTTP API: a revisit call's outcome (agents), and a survey link's questions and answer
(the link's signed token is its credential: no login).

A Router included by handler.py on the first request for one of its paths (routers.py): the survey models are not
imported by a function whose requests are about tickets. The domain (kefu.surveys) is imported on the first call.
"""

from __future__ import annotations

from answers import caller_of, json_response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu.identity import Caller
from kefu.model.surveys import RevisitAnswer, RevisitOutcome, SurveyAnswer, SurveyResult, SurveyView

router = APIGatewayHttpRouter()


def caller() -> Caller:
    return caller_of(router.current_event)


@router.post(
    "/tickets/<ticketId>/revisit",
    tags=["surveys"],
    summary="Record a revisit call (agents): the customer's answer when reached, else a note",
    description="Reached (`reached: true`) needs `csat`; not reached takes no scores. 409 when the ticket is not "
    "an open revisit task; 404 when the caller does not reach it.",
    responses=responses(RevisitOutcome, errors=(403, 409)),
)
def record_revisit(ticketId: str, body: RevisitAnswer):
    from kefu.surveys import service as surveys

    return json_response(surveys.record_revisit(caller(), ticketId, body))


@router.get(
    "/surveys/<token>",
    tags=["surveys"],
    summary="A revisit survey: its questions and the ticket it is about (no token: the link is the credential)",
    description="404 for a link kefu did not sign, 403 once it expired, 409 once answered.",
    responses=responses(SurveyView, errors=(403, 409)),
)
def show_survey(token: str):
    from kefu.surveys import service as surveys

    return json_response(surveys.show_survey(token))


@router.post(
    "/surveys/<token>",
    tags=["surveys"],
    summary="Answer a revisit survey, once: CSAT 1-5, NPS 0-10, a comment",
    description="404 for a link kefu did not sign, 403 once it expired, 409 once answered.",
    responses=responses(SurveyResult, 201, "The recorded answer", errors=(403, 409)),
)
def answer_survey(token: str, body: SurveyAnswer):
    from kefu.surveys import service as surveys

    return json_response(surveys.answer_survey(token, body), 201)
