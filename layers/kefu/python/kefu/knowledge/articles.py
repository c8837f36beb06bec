"""Articles: written as drafts, changed under If-Match with every version kept (who, when, which fields), published
into the search index. Customers only ever see published public articles, by id, listing and search alike."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from kefu.clock import now
from kefu.errors import BadRequest, InvalidRequest, NotFound, StaleVersion
from kefu.identity import Caller
from kefu.knowledge import access, published
from kefu.knowledge.index import Match, document_terms, snippet_of
from kefu.knowledge.text import family, terms
from kefu.model.knowledge import ArticleVisibility, Language
from kefu.model.knowledge_answers import Page
from kefu.model.knowledge_articles import Article, ArticleHit, ArticleStatus, ArticleVersion
from kefu.store import articles as store
from kefu.store.failures import KnowledgeVersionConflict

if TYPE_CHECKING:  # a request's body, made by the API's knowledge routes and the local seed (not by opening a ticket)
    from kefu.model.knowledge_requests import ArticleChange, ArticleDraft

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ARTICLE_ID = re.compile(r"^KB-[0-9A-HJKMNP-TV-Z]{8}$")
#: The longest question searched (the route refuses longer ones before they reach here).
MAX_QUERY_CHARS = 500
_FIELDS = ("title", "body", "language", "category", "tags", "visibility", "status")


class ArticleNotFound(NotFound):
    def __init__(self, article_id: str):
        super().__init__(f"article {article_id} does not exist")


def new_article_id() -> str:
    return "KB-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def visible_to(caller: Caller, article: Article) -> bool:
    if access.sees_all_articles(caller):
        return True
    return article.status is ArticleStatus.PUBLISHED and article.visibility is ArticleVisibility.PUBLIC


def get_article(caller: Caller, article_id: str) -> Article:
    article = store.get_article(article_id) if _ARTICLE_ID.match(article_id) else None
    if article is None or not visible_to(caller, article):
        raise ArticleNotFound(article_id)  # a customer is not told that an internal or draft article exists
    return article


def published_public(caller: Caller, article_id: str) -> Article:
    """A published public article, or 422: an article a customer names as the answer they got must be one they
    could read (self-service, deflections)."""
    try:
        article = get_article(caller, article_id)
    except NotFound:
        raise InvalidRequest(f"no published public article {article_id}") from None
    if article.status is not ArticleStatus.PUBLISHED or article.visibility is not ArticleVisibility.PUBLIC:
        raise InvalidRequest(f"no published public article {article_id}")
    return article


def create_article(caller: Caller, draft: ArticleDraft) -> Article:
    access.require_article_writer(caller)
    if draft.status is ArticleStatus.PUBLISHED:
        raise InvalidRequest("an article is published with POST /kb/articles/{id}/publish, after it is saved")
    article, entry = _new_article(caller, draft, now(), "created")
    return store.save_article(article, _terms(article), entry, is_new=True)


def import_published(caller: Caller, drafts: list[ArticleDraft]) -> list[Article]:
    """Articles written and published at once, the search index rebuilt once after them all: a knowledge base
    loaded whole (the local stack's seed), each with one history entry ("imported": created and published).
    Costs a few batched writes instead of a transaction and a read per article per step."""
    access.require_article_writer(caller)
    moment = now()
    entries = []
    for draft in drafts:
        published_draft = draft.model_copy(update={"status": ArticleStatus.PUBLISHED})
        article, entry = _new_article(caller, published_draft, moment, "imported", publishedAt=moment)
        entries.append((article, _terms(article), entry))
    saved = store.import_articles(entries)
    published.rebuild()
    return saved


def _new_article(
    caller: Caller, draft: ArticleDraft, moment: datetime, action: str, **more: datetime
) -> tuple[Article, ArticleVersion]:
    """A new article written by `caller` at `moment` (version 0, as read before its first save) and its first
    history entry."""
    article = Article(
        id=new_article_id(),
        **draft.model_dump(),
        version=0,
        createdAt=moment,
        createdBy=caller.sub,
        updatedAt=moment,
        updatedBy=caller.sub,
        **more,
    )
    entry = ArticleVersion(version=1, at=moment, by=caller.sub, action=action, changed=list(_FIELDS), article=article)
    return article, entry


def update_article(caller: Caller, article_id: str, change: ArticleChange, *, if_match: int | None) -> Article:
    access.require_article_writer(caller)
    current = get_article(caller, article_id)
    if if_match is not None and if_match != current.version:
        raise StaleVersion(f"article {article_id} is at version {current.version}, not {if_match}")
    if change.status is ArticleStatus.PUBLISHED and current.status is not ArticleStatus.PUBLISHED:
        raise InvalidRequest("an article is published with POST /kb/articles/{id}/publish")
    fields = change.model_dump(exclude_unset=True, exclude={"note"})
    changed = [name for name, value in fields.items() if value is not None and getattr(current, name) != value]
    if not changed:
        return current
    moment = now()
    updated = current.model_copy(
        update={**{name: getattr(change, name) for name in changed}, "updatedAt": moment, "updatedBy": caller.sub}
    )
    entry = ArticleVersion(
        version=current.version + 1,
        at=moment,
        by=caller.sub,
        action="updated",
        changed=changed,
        note=change.note,
        article=updated,
    )
    saved = _save(updated, entry)
    if ArticleStatus.PUBLISHED in (current.status, saved.status):
        published.rebuild()  # a published article changed, or left the index
    return saved


def publish_article(
    caller: Caller, article_id: str, *, if_match: int | None, note: str | None = None, reindex: bool = True
) -> Article:
    """Publish an article and rebuild the search index (`reindex=False`: the caller rebuilds once after many)."""
    access.require_article_writer(caller)
    current = get_article(caller, article_id)
    if if_match is not None and if_match != current.version:
        raise StaleVersion(f"article {article_id} is at version {current.version}, not {if_match}")
    moment = now()
    updated = current.model_copy(
        update={"status": ArticleStatus.PUBLISHED, "publishedAt": moment, "updatedAt": moment, "updatedBy": caller.sub}
    )
    entry = ArticleVersion(
        version=current.version + 1,
        at=moment,
        by=caller.sub,
        action="published",
        changed=["status"],
        note=note,
        article=updated,
    )
    saved = _save(updated, entry)
    if reindex:
        published.rebuild()
    return saved


def history(caller: Caller, article_id: str, *, limit: int, cursor: str | None) -> Page[ArticleVersion]:
    if not access.sees_all_articles(caller):
        raise ArticleNotFound(article_id)
    get_article(caller, article_id)
    entries, next_cursor = store.article_history(article_id, limit=limit, cursor=cursor)
    return Page[ArticleVersion](items=entries, nextCursor=next_cursor)


def list_articles(
    caller: Caller,
    *,
    q: str | None,
    language: Language | None,
    category: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ArticleHit]:
    """Search when `q` is given (published articles; customers: public ones); otherwise list. Staff list every
    article by category and language from the table; customers list the published public ones from the index."""
    if q is not None:
        if cursor is not None:
            raise BadRequest("a search answers in one page: there is no next page (no cursor with q)")
        matches = search(
            q, language=language, category=category, public_only=not access.sees_all_articles(caller), limit=limit
        )
        return Page[ArticleHit](items=[_hit(match) for match in matches])
    if access.sees_all_articles(caller):
        found, next_cursor = store.list_articles(
            language=language.value if language else None, category=category, limit=limit, cursor=cursor
        )
        return Page[ArticleHit](items=[_listed(article) for article in found], nextCursor=next_cursor)
    return _public_listing(language, category, limit, cursor)


def search(q: str, *, language: Language | None, category: str | None, public_only: bool, limit: int) -> list[Match]:
    question = q.strip()
    if not question:
        raise BadRequest("the query is empty: give some words to search for")
    if len(question) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if not terms(question):
        raise BadRequest("the query has no words to search for (only punctuation, symbols or very common words)")
    return published.current().search(
        question,
        languages=family(language),
        category=category,
        public_only=public_only,
        limit=limit,
        prefer_language=language.value if language else None,
    )


def _public_listing(
    language: Language | None, category: str | None, limit: int, cursor: str | None
) -> Page[ArticleHit]:
    start = _offset(cursor)
    languages = family(language)
    docs = sorted(
        doc
        for doc in published.current().docs
        if doc[4] == ArticleVisibility.PUBLIC.value
        and (languages is None or doc[2] in languages)
        and (category is None or doc[3] == category)
    )
    window = docs[start : start + limit]
    items = [
        ArticleHit(id=d[0], title=d[1], language=d[2], category=d[3], visibility=d[4], status="published", snippet=d[5])
        for d in window
    ]
    more = start + limit < len(docs)
    return Page[ArticleHit](items=items, nextCursor=_cursor(start + limit) if more else None)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("kb:") or not text[3:].isdigit():
            raise ValueError(text)
        return int(text[3:])
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest("the cursor is not one kefu issued") from err


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"kb:{offset}".encode()).decode().rstrip("=")


def _save(article: Article, entry: ArticleVersion) -> Article:
    try:
        return store.save_article(article, _terms(article), entry, is_new=False)
    except KnowledgeVersionConflict:
        raise StaleVersion(f"article {article.id} changed while this was being saved; read it again") from None


def _terms(article: Article) -> dict[str, int]:
    return document_terms(article.title, article.body, article.tags)


def _hit(match: Match) -> ArticleHit:
    return ArticleHit(
        id=match.id,
        title=match.title,
        language=match.language,
        category=match.category,
        visibility=match.visibility,
        status=ArticleStatus.PUBLISHED,
        score=match.score,
        snippet=match.snippet,
    )


def _listed(article: Article) -> ArticleHit:
    return ArticleHit(
        id=article.id,
        title=article.title,
        language=article.language,
        category=article.category,
        visibility=article.visibility,
        status=article.status,
        snippet=snippet_of(article.body),
    )
