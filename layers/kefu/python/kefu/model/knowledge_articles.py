"""The knowledge base's articles: an article, one step of its history, a listing's or a search's hit.

Apart from kefu.model.knowledge (the shared words, replies and suggestions), because a ticket's opening reads its
suggestions from the search index and never makes one of these.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from kefu.model.defaults import empty_list
from kefu.model.knowledge import ArticleVisibility, KbCategory, KnowledgeModel, Language


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Article(KnowledgeModel):
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


class ArticleVersion(KnowledgeModel):
    """One step of an article's history: who, when, which fields changed, and the article as it then was."""

    version: int
    at: datetime
    by: str
    action: str  # created | updated | published | imported (created and published at once)
    changed: list[str]
    note: str | None = None
    article: Article


class ArticleHit(KnowledgeModel):
    """A listing or search result (`score` and `snippet` only when searched)."""

    id: str
    title: str
    language: Language
    category: KbCategory
    visibility: ArticleVisibility
    status: ArticleStatus
    score: float | None = None
    snippet: str | None = None
