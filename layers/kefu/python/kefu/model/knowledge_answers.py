"""What the knowledge base's requests answer besides an article or a reply: a page of a listing, a canned reply
rendered for a ticket, a reply's uses by one agent.

Apart from kefu.model.knowledge, because a ticket's opening (its suggestions) makes none of them.
"""

from datetime import datetime
from typing import Generic, TypeVar

from kefu.model.knowledge import KnowledgeModel

T = TypeVar("T")


class Page(KnowledgeModel, Generic[T]):
    items: list[T]
    nextCursor: str | None = None


class Rendered(KnowledgeModel):
    replyId: str
    ticketId: str
    text: str


class ReplyUsage(KnowledgeModel):
    replyId: str
    agentId: str
    uses: int
    lastUsedAt: datetime
