"""Suggestions for a ticket: the articles and canned replies that fit its conversation, each with why it matched.

The question is the ticket's subject with its latest customer message (the description until the customer writes
again); its language is read from that text (kefu.knowledge.text.looks_like). Articles come from the search index
(published, internal ones included: agents read them), those of the ticket's category ranked a little higher.
Replies are read by key: the ticket category's replies in its language family, and its group's.

For ticket opening (kefu.tickets.knowledge records what these find; they never write):
- `suggest(ticket, cached=True)` → the top suggestions for the new ticket's internal timeline, its replies read from
  a copy of the reply catalogue each function keeps for KEFU_KB_REFRESH_SECONDS (one Query, not one per key, and
  none while the copy is fresh: opening a ticket stays at its AWS-call ceiling);
- `self_service_offer(ticket, categories=...)` → a public article to offer in the acknowledgement of an e-mail or
  portal ticket of a configured category, or None.

An opening imports this module (through kefu.tickets.knowledge) and nothing of the knowledge base's writes: not the
articles' domain, store and models, nor the replies' (kefu.knowledge.articles, kefu.knowledge.replies), which import
what they need from here (`rank`; `family` is kefu.knowledge.text's). Of the knowledge base's kinds and models it
defines the replies' kind (kefu.store.replies) and the shapes it makes (kefu.model.knowledge) only: ~18 M instructions
less than all of them, on intake's and inbound mail's first ticket (callgrind).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Collection
from typing import Any

from kefu.config import settings
from kefu.knowledge import published
from kefu.knowledge.text import family, looks_like, terms
from kefu.model.knowledge import KbCategory, Language, Reply, SuggestedArticle, SuggestedReply, Suggestions
from kefu.store import replies as store

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
#: The reply catalogue an opening reads from (see `catalogue`): a desk's 话术 run to hundreds, not thousands.
CATALOGUE_LIMIT = 2000


def suggest(ticket: Any, message: str | None = None, *, limit: int = 3, cached: bool = False) -> Suggestions:
    """The top articles and replies for a ticket (any object with subject, description, category, groupId); with
    `cached`, replies come from this function's copy of the catalogue (ticket opening) instead of fresh reads."""
    question = f"{ticket.subject}\n{message or ticket.description}"
    language = Language(looks_like(question))
    categories = CATEGORIES.get(str(ticket.category), ()) if ticket.category else ()
    question_terms = terms(question)
    wanted = set(question_terms)
    if not wanted:
        return Suggestions(ticketId=ticket.id, language=language, articles=[], replies=[])
    return Suggestions(
        ticketId=ticket.id,
        language=language,
        articles=_articles(
            question, language, categories, public_only=False, limit=limit, question_terms=question_terms
        ),
        replies=_replies(wanted, language, categories, getattr(ticket, "groupId", None), limit, cached=cached),
    )


def self_service_offer(
    ticket: Any, message: str | None = None, *, categories: Collection[str]
) -> SuggestedArticle | None:
    """A published public article to offer the customer in the acknowledgement, when the ticket came by e-mail or
    the portal, its category is one of `categories` (deployment configuration) and an article in the customer's
    own language and script (read from their words) clearly matches."""
    if str(ticket.channel) not in SELF_SERVICE_CHANNELS or str(ticket.category) not in categories:
        return None
    question = f"{ticket.subject}\n{message or ticket.description}"
    question_terms = terms(question)
    if not question_terms:
        return None
    language = Language(looks_like(question))
    found = _articles(
        question,
        language,
        CATEGORIES.get(str(ticket.category), ()),
        public_only=True,
        limit=1,
        exact_language=True,
        question_terms=question_terms,
    )
    return found[0] if found and found[0].score >= SELF_SERVICE_MIN_SCORE else None


def _articles(
    question: str,
    language: Language,
    categories: Collection[str],
    *,
    public_only: bool,
    limit: int,
    exact_language: bool = False,
    question_terms: list[str] | None = None,
) -> list[SuggestedArticle]:
    languages = frozenset({language.value}) if exact_language else family(language)
    matches = published.current().search(
        question,
        languages=languages,
        public_only=public_only,
        limit=limit * 4,
        prefer_language=language.value,
        question_terms=question_terms,
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
                snippet=match.snippet,
            )
        )
    found.sort(key=lambda article: -article.score)
    return found[:limit]


def _replies(
    wanted: set[str], language: Language, categories: Collection[str], group: str | None, limit: int, *, cached: bool
) -> list[SuggestedReply]:
    languages = family(language) or frozenset()
    if cached:
        candidates = {
            reply.id: reply
            for reply in catalogue()
            if reply.language.value in languages and (reply.category in categories or (group and reply.group == group))
        }
    else:
        candidates = _read_replies(languages, categories, group)
    suggested = []
    for reply, score, matched in rank(list(candidates.values()), wanted):
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


def rank(replies: list[Reply], wanted: set[str]) -> list[tuple[Reply, float, list[str]]]:
    """Replies sharing words with the question, most shared (title words count double) first (a ticket's
    suggestions, and the reply search of kefu.knowledge.replies)."""
    ranked = []
    for reply in replies:
        title = set(terms(reply.title + " " + " ".join(reply.tags)))
        body = set(terms(reply.body))
        matched = [term for term in wanted if term in title or term in body]
        if not matched:
            continue
        score = sum(2.0 if term in title else 1.0 for term in matched) / math.sqrt(len(title | body) or 1)
        ranked.append((reply, round(score, 4), matched))
    ranked.sort(key=lambda entry: -entry[1])
    return ranked


def _read_replies(languages: frozenset[str], categories: Collection[str], group: str | None) -> dict[str, Reply]:
    """The ticket category's replies in its language family, and its group's, read by key now."""
    candidates: dict[str, Reply] = {}
    for category in categories:
        for lang in sorted(languages):
            found, _ = store.list_replies(group=None, category=str(category), language=lang, limit=100, cursor=None)
            candidates.update((reply.id, reply) for reply in found)
    if group:
        found, _ = store.list_replies(group=group, category=None, language=None, limit=200, cursor=None)
        candidates.update((reply.id, reply) for reply in found if reply.language.value in languages)
    return candidates


_lock = threading.Lock()
_catalogue: tuple[float, list[Reply]] | None = None


def catalogue() -> list[Reply]:
    """Every reply (up to CATALOGUE_LIMIT), as read at most KEFU_KB_REFRESH_SECONDS ago by this function: a reply
    saved meanwhile is suggested to new tickets that much later."""
    global _catalogue
    with _lock:
        held = _catalogue
        if held is not None and time.monotonic() - held[0] < settings().kb_refresh_seconds:
            return held[1]
        found: list[Reply] = []
        cursor: str | None = None
        while len(found) < CATALOGUE_LIMIT:
            page, cursor = store.list_replies(group=None, category=None, language=None, limit=200, cursor=cursor)
            found.extend(page)
            if not cursor:
                break
        _catalogue = (time.monotonic(), found)
        return found


def forget() -> None:
    """Drop the reply catalogue held in memory (tests; a function that must read the table again)."""
    global _catalogue
    with _lock:
        _catalogue = None
