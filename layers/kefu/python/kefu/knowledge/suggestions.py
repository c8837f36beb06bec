"""Suggestions for a ticket: the articles and canned replies that fit its conversation, each with why it matched.

The question is the ticket's subject with its latest customer message (the description until the customer writes
again); its language is read from that text (kefu.knowledge.text.looks_like). Articles come from the search index
(published, internal ones included: agents read them), those of the ticket's category ranked a little higher.
Replies are read by key: the ticket category's replies in its language family, and its group's.

Wiring for ticket opening (the ticket core calls these; they never write):
- `suggest(ticket, message)` → the top suggestions to record on the new ticket's internal timeline;
- `self_service_offer(ticket, message, categories=...)` → a public article to offer in the acknowledgement of an
  e-mail or portal ticket of a configured category, or None.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from kefu.identity import Caller
from kefu.knowledge import access, published, replies
from kefu.knowledge.articles import family
from kefu.knowledge.text import looks_like, terms
from kefu.model.knowledge import KbCategory, Language, SuggestedArticle, SuggestedReply, Suggestions
from kefu.store import knowledge as store

#: The knowledge categories that answer a ticket category (kefu.model.tickets.Category).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "logistics": (KbCategory.LOGISTICS,),
    "order": (KbCategory.ORDERS, KbCategory.LOGISTICS),
    "payment": (KbCategory.PAYMENT, KbCategory.REFUNDS),
    "after_sales": (KbCategory.REFUNDS, KbCategory.EXCHANGES),
    "complaint": (KbCategory.COMPLAINTS,),
    "technical": (KbCategory.ACCOUNT,),
    "consultation": (KbCategory.GENERAL, KbCategory.ORDERS),
    "suggestion": (KbCategory.GENERAL, KbCategory.COMPLAINTS),
}
CATEGORY_BOOST = 1.3
#: Customer channels whose acknowledgement may offer an article ("this may answer your question").
SELF_SERVICE_CHANNELS = frozenset({"email", "web", "app"})
#: A self-service offer needs a clear match: about two distinctive words of the question in the article.
SELF_SERVICE_MIN_SCORE = 6.0


def suggestions_for(caller: Caller, ticket_id: str, *, limit: int = 3) -> Suggestions:
    """GET /tickets/{id}/suggestions: for staff only."""
    from kefu.tickets import service as tickets

    access.require_staff(caller)
    ticket = tickets.get_ticket(caller, ticket_id)
    return suggest(ticket, latest_customer_message(caller, ticket_id), limit=limit)


def latest_customer_message(caller: Caller, ticket_id: str) -> str | None:
    from kefu.tickets import service as tickets

    latest, cursor = None, None
    for _ in range(20):  # a ticket's timeline, a hundred entries a page
        page = tickets.timeline(caller, ticket_id, limit=100, cursor=cursor)
        for entry in page.items:
            if str(entry.kind) == "message" and entry.body:
                latest = entry.body
        cursor = page.nextCursor
        if not cursor:
            break
    return latest


def suggest(ticket: Any, message: str | None = None, *, limit: int = 3) -> Suggestions:
    """The top articles and replies for a ticket (any object with subject, description, category, groupId)."""
    question = f"{ticket.subject}\n{message or ticket.description}"
    language = Language(looks_like(question))
    categories = CATEGORIES.get(str(ticket.category), ()) if ticket.category else ()
    wanted = set(terms(question))
    if not wanted:
        return Suggestions(ticketId=ticket.id, language=language, articles=[], replies=[])
    return Suggestions(
        ticketId=ticket.id,
        language=language,
        articles=_articles(question, language, categories, public_only=False, limit=limit),
        replies=_replies(wanted, language, categories, getattr(ticket, "groupId", None), limit),
    )


def self_service_offer(
    ticket: Any, message: str | None = None, *, categories: Collection[str]
) -> SuggestedArticle | None:
    """A published public article to offer the customer in the acknowledgement, when the ticket came by e-mail or
    the portal, its category is one of `categories` (deployment configuration) and an article clearly matches."""
    if str(ticket.channel) not in SELF_SERVICE_CHANNELS or str(ticket.category) not in categories:
        return None
    question = f"{ticket.subject}\n{message or ticket.description}"
    if not terms(question):
        return None
    language = Language(looks_like(question))
    found = _articles(question, language, CATEGORIES.get(str(ticket.category), ()), public_only=True, limit=1)
    return found[0] if found and found[0].score >= SELF_SERVICE_MIN_SCORE else None


def _articles(
    question: str, language: Language, categories: Collection[str], *, public_only: bool, limit: int
) -> list[SuggestedArticle]:
    matches = published.current().search(
        question, languages=family(language), public_only=public_only, limit=limit * 4, prefer_language=language.value
    )
    found = []
    for match in matches:
        same = match.category in categories
        score = match.score * (CATEGORY_BOOST if same else 1.0)
        why = f"matched {', '.join(match.matched[:6])}"
        if same:
            why += f"; in the ticket's category ({match.category})"
        found.append(
            SuggestedArticle(
                id=match.id,
                title=match.title,
                language=match.language,
                category=match.category,
                visibility=match.visibility,
                score=round(score, 4),
                why=why,
            )
        )
    found.sort(key=lambda article: -article.score)
    return found[:limit]


def _replies(
    wanted: set[str], language: Language, categories: Collection[str], group: str | None, limit: int
) -> list[SuggestedReply]:
    languages = family(language) or frozenset()
    candidates: dict[str, Any] = {}
    for category in categories:
        for lang in sorted(languages):
            found, _ = store.list_replies(group=None, category=str(category), language=lang, limit=100, cursor=None)
            candidates.update((reply.id, reply) for reply in found)
    if group:
        found, _ = store.list_replies(group=group, category=None, language=None, limit=200, cursor=None)
        candidates.update((reply.id, reply) for reply in found if reply.language.value in languages)
    suggested = []
    for reply, score, matched in replies.rank(list(candidates.values()), wanted):
        reasons = [f"matched {', '.join(sorted(matched)[:6])}"]
        if reply.category in categories:
            score += 1.0
            reasons.append(f"for the ticket's category ({reply.category})")
        if group and reply.group == group:
            score += 0.5
            reasons.append(f"a reply of its group ({group})")
        suggested.append(
            SuggestedReply(
                id=reply.id,
                title=reply.title,
                group=reply.group,
                category=reply.category,
                language=reply.language,
                score=round(score, 4),
                why="; ".join(reasons),
            )
        )
    suggested.sort(key=lambda reply: -reply.score)
    return suggested[:limit]
