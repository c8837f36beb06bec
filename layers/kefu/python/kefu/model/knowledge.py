"""The knowledge base's shapes: articles with their versions, search hits, canned replies (话术), suggestions.
The bodies of the requests that write them are kefu.model.knowledge_requests."""

from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.defaults import empty_list

T = TypeVar("T")


class Language(StrEnum):
    ZH_HANS = "zh-Hans"
    ZH_HANT = "zh-Hant"
    EN = "en"


class KbCategory(StrEnum):
    """What an e-commerce desk's customers ask about (the ticket categories map onto these for suggestions)."""

    LOGISTICS = "logistics"
    REFUNDS = "refunds"
    EXCHANGES = "exchanges"
    PAYMENT = "payment"
    ACCOUNT = "account"
    COMPLAINTS = "complaints"
    ORDERS = "orders"
    GENERAL = "general"


class ArticleVisibility(StrEnum):
    PUBLIC = "public"  # customers may read it once published
    INTERNAL = "internal"  # staff only, whatever its status


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class _Model(BaseModel):
    # Schemas built on first use: most functions import these models and never validate one.
    model_config = ConfigDict(defer_build=True)


class StrictModel(_Model):
    """Request bodies (kefu.model.knowledge_requests): unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Article(_Model):
    id: str
    title: str
    body: str
    language: Language
    category: KbCategory
    tags: list[str] = Field(default_factory=empty_list)
    visibility: ArticleVisibility
    status: ArticleStatus
    version: int
    createdAt: datetime
    createdBy: str
    updatedAt: datetime
    updatedBy: str
    publishedAt: datetime | None = None


class ArticleVersion(_Model):
    """One step of an article's history: who, when, which fields changed, and the article as it then was."""

    version: int
    at: datetime
    by: str
    action: str  # created | updated | published | imported (created and published at once)
    changed: list[str]
    note: str | None = None
    article: Article


class ArticleHit(_Model):
    """A listing or search result (`score` and `snippet` only when searched)."""

    id: str
    title: str
    language: Language
    category: KbCategory
    visibility: ArticleVisibility
    status: ArticleStatus
    score: float | None = None
    snippet: str | None = None


class Page(_Model, Generic[T]):
    items: list[T]
    nextCursor: str | None = None


# --- canned replies (话术) -----------------------------------------------------------------------------------


class Reply(_Model):
    id: str
    title: str
    body: str
    group: str
    category: KbCategory
    language: Language
    tags: list[str] = Field(default_factory=empty_list)
    placeholders: list[str] = Field(default_factory=empty_list)
    uses: int = 0
    version: int
    updatedAt: datetime
    updatedBy: str


class Rendered(_Model):
    replyId: str
    ticketId: str
    text: str


class ReplyUsage(_Model):
    replyId: str
    agentId: str
    uses: int
    lastUsedAt: datetime


# --- suggestions --------------------------------------------------------------------------------------------


class SuggestedArticle(_Model):
    id: str
    title: str
    language: Language
    category: KbCategory
    visibility: ArticleVisibility
    score: float
    why: str
    #: The article's first words, as plain text (what an acknowledgement quotes).
    snippet: str | None = None


class SuggestedReply(_Model):
    id: str
    title: str
    group: str
    category: KbCategory
    language: Language
    score: float
    why: str


class Suggestions(_Model):
    ticketId: str
    language: Language
    articles: list[SuggestedArticle]
    replies: list[SuggestedReply]
