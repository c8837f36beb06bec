"""What tickets do with the knowledge base: suggestions for a ticket (on request, and recorded when it opens), a canned
reply rendered for it, the self-service offer in its acknowledgement, and its customer saying the offer answered
them (docs/knowledge-base.md).

The knowledge package never reads tickets itself (tickets open with its suggestions, so it sits below them): the
ticket side is here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from kefu.config import settings
from kefu.errors import Conflict, Forbidden
from kefu.identity import Caller
from kefu.knowledge import access, suggestions
from kefu.knowledge.config import knowledge_settings
from kefu.model.knowledge import SuggestedArticle, Suggestions
from kefu.model.tickets import Channel, EntryKind, Status, Ticket, Visibility
from kefu.observability import logger
from kefu.tickets.writes import Draft

if TYPE_CHECKING:
    from kefu.model.knowledge_answers import Rendered

# kefu.tickets.queries and kefu.tickets.transitions are imported by the requests that read or resolve a ticket here,
# not with this module: a ticket's opening imports it for its advice and needs neither (~3 M instructions). Nor
# does it need the articles' and the replies' domains (kefu.knowledge.articles, replies), their stores and their
# models: the requests that render a reply or resolve by an article import them (kefu.knowledge.suggestions says
# what an opening defines of the knowledge base).

#: How many articles and replies a new ticket's internal timeline records.
OPENING_SUGGESTIONS = 3
#: The statuses a customer may end by self-service: the ticket still waits for an answer.
SELF_SERVICE_FROM = frozenset({Status.NEW, Status.OPEN, Status.PENDING})

#: What the opening's suggestions entry leaves out of the suggestions: the ticket (the entry's own), and each
#: article's snippet, its first words, which the article by its id still gives (the self-service offer keeps its own:
#: the customer was shown it). Those ~200 bytes an article, 600 a Chinese one, were most of the entry, written in the
#: opening's transaction at 2 write units a started KB.
_NOT_RECORDED: dict[str, Any] = {"ticketId": True, "articles": {"__all__": {"snippet"}}}

#: Until when (time.monotonic) this function opens tickets without suggestions, after failing to read the knowledge
#: base: one failure a refresh period is logged, not one per ticket.
_unavailable_until = 0.0


def suggestions_for(caller: Caller, ticket_id: str, *, limit: int = 3) -> Suggestions:
    """GET /tickets/{id}/suggestions: for staff only."""
    from kefu.tickets.queries import get_ticket

    access.require_staff(caller)
    ticket = get_ticket(caller, ticket_id)
    return suggestions.suggest(ticket, latest_customer_message(caller, ticket_id), limit=limit)


def latest_customer_message(caller: Caller, ticket_id: str) -> str | None:
    from kefu.tickets.queries import timeline

    latest, cursor = None, None
    for _ in range(20):  # a ticket's timeline, a hundred entries a page
        page = timeline(caller, ticket_id, limit=100, cursor=cursor)
        for entry in page.items:
            if str(entry.kind) == "message" and entry.body:
                latest = entry.body
        cursor = page.nextCursor
        if not cursor:
            break
    return latest


def render_reply(caller: Caller, reply_id: str, ticket_id: str) -> Rendered:
    """POST /replies/{id}/render: the reply filled in for the ticket, counted as one use by the caller."""
    from kefu.knowledge import replies
    from kefu.tickets.queries import get_ticket

    access.require_staff(caller)

    reply = replies.get_reply(caller, reply_id)
    return replies.render_for(caller, reply, get_ticket(caller, ticket_id))


# --- at opening ------------------------------------------------------------------------------------------------


class Advice(NamedTuple):
    """What the knowledge base adds to a new ticket: entries for its timeline, and the article offered to the
    customer (which an e-mail ticket's acknowledgement quotes)."""

    drafts: Sequence[Draft] = ()
    offer: dict[str, Any] | None = None


def advice_at_opening(caller: Caller, ticket: Ticket) -> Advice:
    """The top suggestions (internal entry) and, for an e-mail or portal ticket of a self-service category, the
    public article offered (public entry). Never fails the opening: a deployment without a knowledge base gets
    none, and an index or catalogue that cannot be read is logged and left out."""
    global _unavailable_until
    if not settings().kb_bucket or time.monotonic() < _unavailable_until:
        return Advice()
    try:
        found = suggestions.suggest(ticket, limit=OPENING_SUGGESTIONS, cached=True)
        offer = _offer(caller, ticket)
    except Exception:  # whatever broke in the index or the catalogue must not cost the customer their ticket
        logger.warning("no knowledge suggestions for a new ticket", extra={"ticketId": ticket.id}, exc_info=True)
        # Not asked again before the index would be: a broken index costs no call on every opening.
        _unavailable_until = time.monotonic() + settings().kb_refresh_seconds
        return Advice()
    drafts = []
    if found.articles or found.replies:
        data = found.model_dump(mode="json", exclude=_NOT_RECORDED)
        drafts.append(Draft(EntryKind.SUGGESTIONS, Visibility.INTERNAL, data=data))
    if offer is None:
        return Advice(drafts)
    offered = _offered(offer)
    drafts.append(Draft(EntryKind.SELF_SERVICE, Visibility.PUBLIC, data={"event": "offered", **offered}))
    return Advice(drafts, offered)


def _offer(caller: Caller, ticket: Ticket) -> SuggestedArticle | None:
    # Portal tickets are those customers open themselves; e-mail tickets come from the mail function.
    if ticket.channel is not Channel.EMAIL and not caller.is_customer:
        return None
    categories = [category.value for category in knowledge_settings().self_service_categories]
    if not categories:
        return None
    return suggestions.self_service_offer(ticket, categories=categories)


def _offered(article: SuggestedArticle) -> dict[str, Any]:
    return {
        "articleId": article.id,
        "title": article.title,
        "language": article.language.value,
        "snippet": article.snippet,
        "why": article.why,
    }


def forget() -> None:
    """Try the knowledge base again at the next opening (tests; after a failure was remembered)."""
    global _unavailable_until
    _unavailable_until = 0.0


# --- the customer says an article answered them ------------------------------------------------------------------


def resolve_by_self_service(caller: Caller, ticket_id: str, article_id: str) -> Ticket:
    """POST /tickets/{id}/self-service: the ticket's own customer says the article answered their question; the
    ticket is resolved with the resolution kind `self-service` (a deflection in the KPIs)."""
    from kefu.knowledge import articles
    from kefu.tickets.transitions import resolved_by_customer

    if not caller.is_customer:
        raise Forbidden("only the ticket's customer says that an article answered their question")
    article = articles.published_public(caller, article_id)

    def refuse_unless_waiting(ticket: Ticket) -> None:
        if ticket.status not in SELF_SERVICE_FROM:
            raise Conflict(f"the ticket is {ticket.status.value}: only a ticket waiting for an answer ends this way")

    return resolved_by_customer(
        caller,
        ticket_id,
        check=refuse_unless_waiting,
        note=f"the customer said the article {article.id} ({article.title}) answered their question",
        data={"articleId": article.id, "title": article.title, "language": article.language.value},
    )
