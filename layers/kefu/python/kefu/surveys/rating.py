"""A customer rates their resolved ticket on its page in the portal: the same answer a survey link takes (CSAT 1-5,
optionally NPS 0-10 and a comment), recorded the same way (kefu.surveys.service), once per ticket.

When a campaign already e-mailed a survey for the ticket and it is still open, the rating answers that survey: the
link then says "already answered", and the campaign counts the response. Otherwise the rating is the answer to a
survey of the ticket's own (campaign `portal`, channel `portal`), issued as it is answered. Either way a ticket is
rated once: a second rating, or a link answered before, is 409.
"""

from __future__ import annotations

from datetime import timedelta

from kefu import errors
from kefu.clock import now
from kefu.identity import Caller
from kefu.model.surveys import SurveyAnswer, SurveyChannel, SurveyResult
from kefu.model.tickets import EntryKind, Status, Ticket
from kefu.store import surveys as store
from kefu.store import tickets as ticket_store
from kefu.store.surveys import SurveyRecord
from kefu.surveys import tokens
from kefu.surveys.service import _record_answer, issue_survey
from kefu.tickets import service as tickets

#: The campaign id of the surveys ratings make (none is configured by that name: it only keeps their ids apart).
PORTAL_CAMPAIGN = "portal"
#: A portal survey is answered as it is issued; its expiry only matters to the survey's record.
PORTAL_SURVEY_EXPIRY = timedelta(days=30)
_RATED = (Status.RESOLVED, Status.CLOSED)


def rate_ticket(caller: Caller, ticket_id: str, answer: SurveyAnswer) -> SurveyResult:
    """The ticket's own customer rates it once it is resolved (or closed): 404 for anyone else's ticket, 403 for
    staff, 409 before it is resolved or once it was rated (here or through a survey link)."""
    if not caller.is_customer:
        raise errors.Forbidden("a ticket is rated by its customer")
    ticket = tickets.get_ticket(caller, ticket_id)
    if ticket.status not in _RATED:
        raise errors.Conflict(f"ticket {ticket.id} is {ticket.status.value}: it is rated once it is resolved")
    record = _emailed_survey(ticket) or _portal_survey(ticket)
    return _record_answer(record, answer, author=Caller(sub=ticket.customerId), channel=record.survey.channel)


def _emailed_survey(ticket: Ticket) -> SurveyRecord | None:
    """The newest survey a campaign e-mailed for the ticket, while its link still works (its `sent` entry is on
    the ticket's internal timeline); an answered one is returned too, so that rating again is a 409."""
    sent = [
        str(entry.data.get("surveyId"))
        for entry in ticket_store.whole_timeline(ticket.id, public_only=False)
        if entry.kind is EntryKind.SURVEY and entry.data.get("event") == "sent" and entry.data.get("channel") == "email"
    ]
    for survey_id in reversed(sent):
        record = store.read(survey_id) if tokens.is_survey_id(survey_id) else None
        if record is not None and (record.answer is not None or record.survey.expiresAt > now()):
            return record
    return None


def _portal_survey(ticket: Ticket) -> SurveyRecord:
    issued = issue_survey(
        ticket, campaign_id=PORTAL_CAMPAIGN, expires_in=PORTAL_SURVEY_EXPIRY, channel=SurveyChannel.PORTAL.value
    )
    record = store.read(issued.survey.id)
    assert record is not None, "a survey just issued can be read"
    return record
