"""The knowledge base's shapes: articles with their versions, search hits, canned replies (话术), suggestions."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class _Model(BaseModel):
    # Schemas built on first use: most functions import these models and never validate one.
    model_config = ConfigDict(defer_build=True)


class _Strict(_Model):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ArticleDraft(_Strict):
    """A new article (POST /kb/articles): it starts as a draft unless `status` says otherwise."""

    title: Title
    body: Body
    language: Language
    category: KbCategory
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    visibility: ArticleVisibility = ArticleVisibility.INTERNAL
    status: ArticleStatus = ArticleStatus.DRAFT


class ArticleChange(_Strict):
    """PUT /kb/articles/{id}: the fields given replace the current ones; a note says why (kept in the history)."""

    title: Title | None = None
    body: Body | None = None
    language: Language | None = None
    category: KbCategory | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    visibility: ArticleVisibility | None = None
    status: ArticleStatus | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class PublishRequest(_Strict):
    """POST /kb/articles/{id}/publish: `{}`, or a note for the history."""

    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class Article(_Model):
    id: str
    title: str
    body: str
    language: Language
    category: KbCategory
    tags: list[str] = Field(default_factory=list)
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

ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=5_000)]


class ReplySpec(_Strict):
    """POST /replies, PUT /replies/{id}: the body's placeholders are checked when it is saved."""

    title: Title
    body: ReplyText
    group: Key
    category: KbCategory
    language: Language
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class Reply(_Model):
    id: str
    title: str
    body: str
    group: str
    category: KbCategory
    language: Language
    tags: list[str] = Field(default_factory=list)
    placeholders: list[str] = Field(default_factory=list)
    uses: int = 0
    version: int
    updatedAt: datetime
    updatedBy: str


class RenderRequest(_Strict):
    ticketId: Annotated[str, StringConstraints(min_length=1, max_length=64)]


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


class SelfServiceRequest(_Strict):
    """POST /tickets/{id}/self-service: the article that answered the customer's question."""

    articleId: Annotated[str, StringConstraints(min_length=1, max_length=64)]
