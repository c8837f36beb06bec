"""The knowledge base's shared words (languages, categories, visibility) and what a ticket's opening gets from it:
canned replies (话术) and suggestions.

An opening (intake's, inbound mail's and the API's first work) defines only these: articles with their versions and
hits are kefu.model.knowledge_articles, what the other requests answer (a page of a listing, a reply rendered, its
uses) kefu.model.knowledge_answers, the bodies of the requests that write kefu.model.knowledge_requests. Each
pydantic class costs its process ~1-3 M instructions to define, even with its schema's build deferred.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.defaults import empty_list


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


class KnowledgeModel(BaseModel):
    # Schemas built on first use: most functions import these models and never validate one.
    model_config = ConfigDict(defer_build=True)


# --- canned replies (话术) -----------------------------------------------------------------------------------


class Reply(KnowledgeModel):
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


# --- suggestions --------------------------------------------------------------------------------------------


class SuggestedArticle(KnowledgeModel):
    id: str
    title: str
    language: Language
    category: KbCategory
    visibility: ArticleVisibility
    score: float
    why: str
    #: The article's first words, as plain text (what an acknowledgement quotes).
    snippet: str | None = None


class SuggestedReply(KnowledgeModel):
    id: str
    title: str
    group: str
    category: KbCategory
    language: Language
    score: float
    why: str


class Suggestions(KnowledgeModel):
    ticketId: str
    language: Language
    articles: list[SuggestedArticle]
    replies: list[SuggestedReply]
