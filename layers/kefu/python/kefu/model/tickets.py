"""The ticket as the domain and the API see it (the stored item lives in kefu.store; the bodies of the requests that
open or change one, in kefu.model.ticket_requests)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from kefu.model.customers import Tier
from kefu.model.defaults import empty_list


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: The tag a phone-revisit task carries: it is the revisit itself, never a ticket to revisit.
REVISIT_TAG = "revisit"

#: Statuses in which the ticket still counts against its assignee's capacity.
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.PENDING})


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Category(StrEnum):
    CONSULTATION = "consultation"
    ORDER = "order"
    PAYMENT = "payment"
    LOGISTICS = "logistics"
    AFTER_SALES = "after_sales"
    TECHNICAL = "technical"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"
    FEEDBACK = "feedback"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class EntryKind(StrEnum):
    MESSAGE = "message"  # from the customer
    REPLY = "reply"  # an agent's public answer
    NOTE = "note"  # an agent's internal note
    STATUS = "status"
    ASSIGNMENT = "assignment"
    TRANSFER = "transfer"
    UPDATE = "update"  # priority, category or tags changed
    ROUTING = "routing"  # how the ticket was classified and routed, and why
    ESCALATION = "escalation"  # an SLA milestone missed and the ladder step taken
    SURVEY = "survey"  # a revisit survey sent, or its answer
    LINK = "link"  # a follow-up ticket opened from this one, or this one following up another
    WORK = "work"  # handle time an agent recorded (POST /tickets/{id}/work)
    SUGGESTIONS = "suggestions"  # the knowledge base's articles and replies for a new ticket, with why (internal)
    SELF_SERVICE = "self-service"  # a public article offered to the customer when their ticket opened


class ResolutionKind(StrEnum):
    ANSWER = "answer"
    RESHIP = "reship"
    REFUND = "refund"
    EXCHANGE = "exchange"
    COUPON = "coupon"
    POINTS = "points"
    OTHER = "other"
    #: The customer said a knowledge-base article answered their question (a self-service deflection).
    SELF_SERVICE = "self-service"


class StrictModel(BaseModel):
    """Request bodies (kefu.model.ticket_requests) and what they hold: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class _View(BaseModel):
    # Schemas are built on first use: a cold start pays only for the models its request touches.
    model_config = ConfigDict(populate_by_name=True, defer_build=True)


class Attachment(StrictModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    contentType: Annotated[str, StringConstraints(min_length=3, max_length=127)] = "application/octet-stream"
    size: int = Field(ge=0)
    key: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    #: Why the file was not stored (over a size limit, say): it is listed, with no key, rather than dropped.
    omitted: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    #: Shown in the body of the message it came with (an image pasted into an e-mail).
    inline: bool | None = None


class Resolution(StrictModel):
    kind: ResolutionKind
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    amount: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class Sla(_View):
    """The ticket's SLA as people read it, kept in step with its clock (kefu.tickets.sla) on every write that moves
    it; due times are None while the ticket waits on the customer (they depend on when it stops waiting)."""

    #: The SLA policy the ticket's targets come from (kefu.sla); agents only.
    policy: str | None = None
    firstResponseDue: datetime | None = None
    resolutionDue: datetime | None = None
    firstResponseAt: datetime | None = None
    resolvedAt: datetime | None = None
    closedAt: datetime | None = None
    #: Targets missed ("first_response", "resolution"), as of the last write that moved the clock; agents only.
    breaches: list[str] = Field(default_factory=empty_list)
    #: The escalation milestones already run ("resolution:75"), each once: the escalation task checks them first.
    escalated: list[str] = Field(default_factory=empty_list)


class Ticket(_View):
    id: str
    subject: str
    description: str
    status: Status
    category: Category | None = None
    priority: Priority
    channel: Channel
    customerId: str
    customerTier: Tier = Tier.STANDARD
    groupId: str | None = None
    assigneeId: str | None = None
    ownerId: str | None = None
    helperIds: list[str] = Field(default_factory=empty_list)
    #: Waiting unassigned for its owner (reopened, or a follow-up, while they had no room): they take it first.
    awaitingOwner: bool = False
    #: The earlier ticket this one follows up (that one closed, or resolved too long ago to reopen).
    followUpOf: str | None = None
    escalationLevel: int = 0
    #: How the customer sounds in their latest message (calm, negative, angry): read again on each one.
    sentiment: str | None = None
    #: A customer's message threatened to go to a regulator, the media, a lawyer or the bank.
    threat: bool = False
    #: The priority was raised once because the customer's mood got worse (never twice for one ticket).
    worseningRaised: bool = False
    tags: list[str] = Field(default_factory=empty_list)
    attachments: list[Attachment] = Field(default_factory=empty_list)
    resolution: Resolution | None = None
    sla: Sla = Field(default_factory=Sla)
    #: The SLA clock (kefu.tickets.sla.TicketClock's JSON): stored with the ticket, never shown to anyone.
    slaClock: dict[str, Any] | None = Field(default=None, exclude=True)
    createdAt: datetime
    updatedAt: datetime
    version: int
    #: kefu.store's note of how the ticket as read is stored, where that differs from how it is written now (None:
    #: as now); carried to the ticket's next write, which mends it. The domain never reads or sets it.
    _stored_as: str | None = PrivateAttr(default=None)


class TimelineEntry(_View):
    id: str
    ticketId: str
    kind: EntryKind
    visibility: Visibility
    authorId: str | None = None
    authorRole: str | None = None
    body: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    attachments: list[Attachment] = Field(default_factory=empty_list)
    createdAt: datetime


T = TypeVar("T")


class Page(_View, Generic[T]):
    items: list[T]
    nextCursor: str | None = None
