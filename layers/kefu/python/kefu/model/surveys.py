"""Revisit surveys as the domain and the API see them (the stored items live in kefu.store.surveys)."""

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kefu.model.text import Trimmed
from kefu.model.tickets import ResolutionKind, Ticket


class SurveyStatus(StrEnum):
    SENT = "sent"
    ANSWERED = "answered"


class SurveyChannel(StrEnum):
    EMAIL = "email"  # a link in an e-mail, answered by the customer
    PHONE = "phone"  # a revisit call, answered through the agent who made it
    PORTAL = "portal"  # the customer rated the resolved ticket on its page in the portal


class _Strict(BaseModel):
    """Request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class _View(BaseModel):
    model_config = ConfigDict(defer_build=True)


Comment = Annotated[str, Trimmed(max_length=2000)]


class SurveyAnswer(_Strict):
    """The customer's answer: CSAT 1-5, and optionally NPS 0-10 and a comment."""

    csat: int = Field(ge=1, le=5, description="How satisfied are you with how we handled your request? 1-5")
    nps: int | None = Field(default=None, ge=0, le=10, description="How likely are you to recommend us? 0-10")
    comment: Comment | None = None


class RevisitAnswer(_Strict):
    """What an agent records after a revisit call: whether the customer was reached, and if so their answer.

    Not reached, `comment` is the note left on the task (when to call again, say); the scores must be absent."""

    reached: bool
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: Comment | None = None

    @model_validator(mode="after")
    def _scores_when_reached(self) -> Self:
        if self.reached and self.csat is None:
            raise ValueError("a customer reached gives a CSAT score (csat, 1-5)")
        if not self.reached and (self.csat is not None or self.nps is not None):
            raise ValueError("a customer not reached gave no scores: leave csat and nps out")
        return self

    def answer(self) -> SurveyAnswer:
        return SurveyAnswer(csat=self.csat, nps=self.nps, comment=self.comment)


class Survey(_View):
    id: str
    ticketId: str
    customerId: str
    campaignId: str
    channel: SurveyChannel
    status: SurveyStatus
    issuedAt: datetime
    expiresAt: datetime
    answeredAt: datetime | None = None
    csat: int | None = None
    nps: int | None = None
    comment: str | None = None
    followUpTicketId: str | None = None


class IssuedSurvey(_View):
    """A survey as issued: the signed token, and the link path that carries it (the API's base URL goes before)."""

    survey: Survey
    token: str
    link: str
    #: False when the survey already existed (issued earlier for the same campaign and ticket): nothing to send.
    created: bool


class Question(_View):
    id: str
    kind: str  # scale | text
    zh: str
    en: str
    min: int | None = None
    max: int | None = None
    required: bool


class TicketSummary(_View):
    """What a survey shows about the ticket it asks about: nothing internal."""

    id: str
    subject: str
    resolution: ResolutionKind | None = None
    resolvedAt: datetime | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> Self:
        return cls(
            id=ticket.id,
            subject=ticket.subject,
            resolution=ticket.resolution.kind if ticket.resolution else None,
            resolvedAt=ticket.sla.resolvedAt,
        )


class SurveyView(_View):
    """GET /surveys/{token}: the questions, in Chinese and English, and the ticket they are about."""

    surveyId: str
    expiresAt: datetime
    questions: list[Question]
    ticket: TicketSummary


class SurveyResult(_View):
    """A recorded answer."""

    surveyId: str
    ticketId: str
    channel: SurveyChannel
    csat: int
    nps: int | None = None
    comment: str | None = None
    answeredAt: datetime
    #: The follow-up ticket a low score opened for the customer, if it did.
    followUpTicketId: str | None = None


class RevisitOutcome(_View):
    """POST /tickets/{ticketId}/revisit: the task after the call, and the answer recorded when the customer was
    reached."""

    reached: bool
    task: Ticket
    result: SurveyResult | None = None


@cache
def questions() -> list[Question]:
    """The survey's questions, built on first use (not at import: every cold start would pay for the models)."""
    return [
        Question(
            id="csat",
            kind="scale",
            zh="您对我们处理本次问题的满意度如何？（1 = 非常不满意，5 = 非常满意）",
            en="How satisfied are you with how we handled this request? (1 = very dissatisfied, 5 = very satisfied)",
            min=1,
            max=5,
            required=True,
        ),
        Question(
            id="nps",
            kind="scale",
            zh="您有多大可能向朋友或同事推荐我们？（0 = 完全不可能，10 = 非常可能）",
            en="How likely are you to recommend us to a friend or colleague? "
            "(0 = not at all likely, 10 = extremely likely)",
            min=0,
            max=10,
            required=False,
        ),
        Question(
            id="comment",
            kind="text",
            zh="还有什么想告诉我们的吗？",
            en="Is there anything else you would like to tell us?",
            max=2000,
            required=False,
        ),
    ]
