"""The portal's rating route: a customer rates their own resolved ticket (kefu.surveys.rating).

A Router included by handler.py, whose exception handlers turn the domain's errors into problem+json.
"""

from __future__ import annotations

from answers import caller_of
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu.identity import Caller
from kefu.model.surveys import SurveyAnswer, SurveyResult

router = APIGatewayHttpRouter()


def caller() -> Caller:
    # A customer is the record their login is, as on every ticket route.
    return caller_of(router.current_event)


@router.post(
    "/tickets/<ticketId>/rating",
    tags=["surveys"],
    summary="Rate your resolved ticket, once: CSAT 1-5, NPS 0-10, a comment (customers)",
    description="The ticket's own customer, once it is resolved or closed. It answers the survey a campaign "
    "e-mailed for the ticket when that link is still open (the link then says it was answered), else a survey of "
    "the ticket's own. 403 for staff, 404 for a ticket that is not yours, 409 before it is resolved or once it was "
    "rated (here or by the link).",
    responses=responses(SurveyResult, 201, "The recorded rating", errors=(403, 409)),
)
def rate_ticket(ticketId: str, body: SurveyAnswer):
    from kefu.surveys import rating

    result = rating.rate_ticket(caller(), ticketId, body)
    return Response(201, "application/json", result.model_dump_json())
