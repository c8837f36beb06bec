"""The bodies of the requests that write the knowledge base (kefu.model.knowledge and knowledge_articles hold what
they make): a new or changed article, a publication, a canned reply, a reply rendered for a ticket, an article that
answered a customer.

Apart from the knowledge base's shapes, because what reads them never needs these: opening a ticket (intake's,
inbound mail's and the API's first work) reads suggestions and replies only, and no longer creates these seven models
(pydantic collects a model's fields when its class is made, even with its schema's build deferred). The API's
knowledge routes, kefu.knowledge's writes (their annotations) and the local seed name them.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kefu.model.defaults import empty_list
from kefu.model.knowledge import ArticleVisibility, KbCategory, Language
from kefu.model.knowledge_articles import ArticleStatus
from kefu.model.text import Trimmed

Title = Annotated[str, Trimmed(min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
Tag = Annotated[str, Trimmed(min_length=1, max_length=40)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class StrictModel(BaseModel):
    """A request's body: unknown fields are refused, not ignored (the schema built on first use)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ArticleDraft(StrictModel):
    """A new article (POST /kb/articles): it starts as a draft unless `status` says otherwise."""

    title: Title
    body: Body
    language: Language
    category: KbCategory
    tags: list[Tag] = Field(default_factory=empty_list, max_length=20)
    visibility: ArticleVisibility = ArticleVisibility.INTERNAL
    status: ArticleStatus = ArticleStatus.DRAFT


class ArticleChange(StrictModel):
    """PUT /kb/articles/{id}: the fields given replace the current ones; a note says why (kept in the history)."""

    title: Title | None = None
    body: Body | None = None
    language: Language | None = None
    category: KbCategory | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    visibility: ArticleVisibility | None = None
    status: ArticleStatus | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class PublishRequest(StrictModel):
    """POST /kb/articles/{id}/publish: `{}`, or a note for the history."""

    note: Annotated[str, StringConstraints(max_length=500)] | None = None


# --- canned replies (话术) -----------------------------------------------------------------------------------

ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=5_000)]


class ReplySpec(StrictModel):
    """POST /replies, PUT /replies/{id}: the body's placeholders are checked when it is saved."""

    title: Title
    body: ReplyText
    group: Key
    category: KbCategory
    language: Language
    tags: list[Tag] = Field(default_factory=empty_list, max_length=20)


class RenderRequest(StrictModel):
    ticketId: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SelfServiceRequest(StrictModel):
    """POST /tickets/{id}/self-service: the article that answered the customer's question."""

    articleId: Annotated[str, StringConstraints(min_length=1, max_length=64)]
