"""QA reviews as the domain and the API see them (the stored item lives in kefu.store.qa_reviews)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kefu.model.defaults import empty_list
from kefu.model.text import Trimmed
from kefu.qa.rubric import Rubric

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Comment = Annotated[str, Trimmed(max_length=2000)]


# The automatic checks' rules and findings (kefu.qa.checks makes them) live here, with the reviews that carry them,
# so that the API's models do not import the checks, and with them the routing and SLA settings, at every cold start.
class Rule(StrEnum):
    FIRST_RESPONSE_LATE = "first_response_late"
    REPLY_GAP = "reply_gap"
    FORBIDDEN_PHRASE = "forbidden_phrase"
    MISSING_GREETING = "missing_greeting"
    MISSING_CLOSING = "missing_closing"
    NEGATIVE_AT_END = "negative_at_end"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    LOW_CSAT = "low_csat"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    rule: Rule
    #: The timeline entry the finding comes from.
    entryId: str
    #: Why, in words a reviewer reads.
    detail: str
    #: The phrases or cues found, when the rule matches words.
    evidence: list[str] = []


class ReviewStatus(StrEnum):
    #: Sampled or requested, waiting for a reviewer's scores.
    PENDING = "pending"
    #: Scored; the agent acknowledges or appeals it within the appeal window.
    SCORED = "scored"
    ACKNOWLEDGED = "acknowledged"
    #: The agent appealed; a supervisor decides.
    APPEALED = "appealed"
    #: The appeal was refused: the scores stand.
    UPHELD = "upheld"
    #: The appeal was granted: the review no longer counts in the agent's QA score.
    OVERTURNED = "overturned"


class SampleReason(StrEnum):
    COMPLAINT = "complaint"
    LOW_CSAT = "low_csat"
    FINDINGS = "findings"
    RANDOM = "random"
    #: Asked for by a supervisor or a reviewer (`POST /qa/reviews`), not drawn by the monthly sample.
    REQUESTED = "requested"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class _View(BaseModel):
    model_config = ConfigDict(populate_by_name=True, defer_build=True)


class ItemScore(_Strict):
    item: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    score: int = Field(ge=0, le=1000)
    comment: Comment | None = None


class ScoreRequest(_Strict):
    """Every item of the review's rubric, once, each within its scale (422 otherwise)."""

    items: list[ItemScore] = Field(min_length=1, max_length=30)
    comment: Comment | None = None


class AcknowledgeRequest(_Strict):
    """The agent has read the review; `note` is what they want the reviewer to know (optional)."""

    note: Comment | None = None


class AppealRequest(_Strict):
    reason: Annotated[str, Trimmed(min_length=1, max_length=2000)]


class DecisionRequest(_Strict):
    outcome: Literal["upheld", "overturned"]
    note: Comment | None = None


class NewReview(_Strict):
    """A review asked for by hand: of a resolved or closed ticket; a second one of the same ticket is a calibration
    review (its scores are compared with the first's, and do not count in the agent's QA score)."""

    ticketId: Annotated[str, StringConstraints(pattern=r"^TK-[0-9A-HJKMNP-TV-Z]{8}$")]
    #: Who is to score it; left out, any reviewer takes it from the queue.
    #: (Its length is a max_length, not a counted repeat of `\w`: see kefu.sla.config.Person.)
    reviewerId: Annotated[str, StringConstraints(max_length=128, pattern=r"^[A-Za-z0-9][\w\-.@:+]*$")] | None = None


class Appeal(_View):
    reason: str
    at: datetime


class Decision(_View):
    outcome: Literal["upheld", "overturned"]
    note: str | None = None
    by: str
    at: datetime


class Calibration(_View):
    """The scored reviews of the same ticket, compared: `agreement` is 1 minus the mean spread of each item's scores
    over its scale (1: every reviewer gave every item the same score); null when the rubric versions differ."""

    reviews: int
    totals: list[float]
    totalSpread: float
    agreement: float | None = None
    itemsAgreed: list[str] = Field(default_factory=empty_list)
    itemsDisputed: list[str] = Field(default_factory=empty_list)


class Review(_View):
    id: str
    ticketId: str
    agentId: str
    #: The desk month (yyyy-mm) the ticket was resolved in: whose month of work the review scores.
    month: str
    status: ReviewStatus
    reason: SampleReason
    #: A second or later review of the same ticket: compared with the first, not counted in the QA score.
    calibration: bool = False
    reviewerId: str | None = None
    #: The rubric the review is scored on: the deployment's when the review was made, kept as it was.
    rubric: Rubric
    scores: list[ItemScore] = Field(default_factory=empty_list)
    comment: str | None = None
    total: float | None = None
    passed: bool | None = None
    fatalFailed: list[str] = Field(default_factory=empty_list)
    scoredAt: datetime | None = None
    #: The end of the appeal window (set when scored): acknowledging or appealing after it is 409.
    respondBy: datetime | None = None
    acknowledgedAt: datetime | None = None
    acknowledgementNote: str | None = None
    appeal: Appeal | None = None
    decision: Decision | None = None
    createdAt: datetime
    createdBy: str
    version: int
    #: The automatic findings on the ticket (GET of one review only).
    findings: list[Finding] | None = None
    #: Agreement with the other reviews of the ticket (GET of one review only, when there are several scored).
    agreement: Calibration | None = None


class ReviewPage(_View):
    items: list[Review]
    nextCursor: str | None = None


class CoverageRow(_View):
    agentId: str
    #: Tickets of the agent resolved in the month (null until the month is sampled).
    resolved: int | None = None
    #: Tickets sampled or asked for, and those with a scored review.
    sampled: int
    reviewed: int
    #: reviewed / sampled (null when nothing was sampled).
    coverage: float | None = None
    #: The agent resolved no ticket that month: covered, with nothing to review.
    noTickets: bool = False
    #: The mean total of the agent's counted reviews (first reviews, scored, not overturned).
    qaScore: float | None = None
    scoredReviews: int = 0
    passRate: float | None = None


class CoverageTotals(_View):
    agents: int
    #: Agents with a sample, or covered as having no tickets.
    agentsCovered: int
    agentsWithoutTickets: int
    #: Agents all of whose sampled tickets have a scored review.
    agentsFullyReviewed: int
    sampled: int
    reviewed: int
    coverage: float | None = None
    qaScore: float | None = None


class Coverage(_View):
    month: str
    #: When the month's sampling ran (null: not yet; reviews asked for by hand show all the same).
    sampledAt: datetime | None = None
    seed: str | None = None
    totals: CoverageTotals
    agents: list[CoverageRow]


class Figure(_View):
    """One figure of the agent's month, with the group's average beside it."""

    agent: float | None = None
    group: float | None = None


class Scorecard(_View):
    month: str
    agentId: str
    #: The agents the group's averages of counts are taken over: those the month's QA coverage lists.
    agents: int
    #: Mean total (0-100) of the agent's counted reviews; the group's: of every agent's.
    qaScore: Figure
    qaReviews: Figure
    passRate: Figure
    #: Mean CSAT (1-5) of the answers given in the month.
    csat: Figure
    #: Mean first response, wall-clock seconds, of tickets opened in the month.
    firstResponseSeconds: Figure
    #: Mean seconds worked per resolved ticket.
    handleSeconds: Figure
    #: First-contact resolution rate of the tickets resolved in the month (0..1).
    fcrRate: Figure
    #: Tickets resolved in the month.
    volume: Figure
    #: Escalation steps that raised the level of the agent's tickets.
    escalations: Figure
    #: Canned replies (话术) rendered, all time (the usage counts of kefu.knowledge.replies).
    cannedReplyUses: Figure
