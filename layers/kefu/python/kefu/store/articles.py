"""Knowledge articles and their history on the domain table (pattern 14).

   an article:                         GetItem pk=ARTICLE#<id>, sk=ARTICLE
   an article's history, in order:     Query pk=ARTICLE#<id>, sk begins_with V# (one item per version)
14 articles by category (and language): gsi1 gsi1pk=KB#ARTICLES, gsi1sk=<category>#<language>#<id>
14 articles by language (and category): gsi4 gsi4pk=KB#ARTICLES#<language>, gsi4sk=<category>#<id>
   the published articles (the index):  gsi5 gsi5pk=KB#PUBLISHED, gsi5sk=<id> (sparse: only while published)

An article's version is its item's VersionAttribute: the article and its history item are written in one transaction
under that version, so two editors never both think they saved version 4.

The canned replies are kefu.store.replies (a ticket's opening reads them, never an article: it defines these two
kinds only when it imports this module). Every read here, by key or through an index, meets only these two kinds:
their partitions (ARTICLE#<id>, KB#ARTICLES..., KB#PUBLISHED) hold nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from kefu.model.knowledge_articles import Article, ArticleVersion
from kefu.store import cursor as cursors
from kefu.store.attributes import CompactJSONAttribute
from kefu.store.failures import KnowledgeVersionConflict
from kefu.store.full_items import prefix_page, read_in_full
from kefu.store.models import KefuItem
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, connection

ARTICLE_SK = "ARTICLE"
ARTICLES = "KB#ARTICLES"
PUBLISHED = "KB#PUBLISHED"


class ArticleItem(KefuItem, discriminator="kb_article"):
    article_id = UnicodeAttribute(attr_name="id")
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    language = UnicodeAttribute()
    category = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    visibility = UnicodeAttribute()
    status = UnicodeAttribute()
    #: Weighted term counts (kefu.knowledge.index.document_terms): an index rebuild only merges them.
    terms = CompactJSONAttribute(default=dict)
    created_at = UnicodeAttribute(attr_name="createdAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    updated_by = UnicodeAttribute(attr_name="updatedBy")
    published_at = UnicodeAttribute(attr_name="publishedAt", null=True)
    version = VersionAttribute()


class ArticleHistoryItem(KefuItem, discriminator="kb_article_version"):
    """pk=ARTICLE#<id>, sk=V#<version, 8 digits>: who did what, and the article as it was after it."""

    article_id = UnicodeAttribute(attr_name="articleId")
    number = NumberAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()
    action = UnicodeAttribute()
    changed = ListAttribute(of=UnicodeAttribute, default=list)
    note = UnicodeAttribute(null=True)
    snapshot = CompactJSONAttribute()


def article_key(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def get_article(article_id: str) -> Article | None:
    try:
        return article_of(ArticleItem.get(article_key(article_id), ARTICLE_SK, consistent_read=True))
    except DoesNotExist:
        return None


def save_article(article: Article, terms: dict[str, int], entry: ArticleVersion, *, is_new: bool) -> Article:
    """Write the article and its history entry in one transaction. `article.version` is the one it was read at
    (0 for a new article); the stored article must still be at it, else KnowledgeVersionConflict."""
    item = _article_item(article, terms, is_new=is_new)
    history = _history_item(article, entry)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item)  # pynamodb adds the version condition and increments `version`
            transaction.save(history, condition=KefuItem.pk.does_not_exist())
    except TransactWriteError as err:
        if CONDITION_FAILED in cancellation_codes(err):
            raise KnowledgeVersionConflict(article.id) from err
        raise
    return article.model_copy(update={"version": item.version})


def import_articles(entries: list[tuple[Article, dict[str, int], ArticleVersion]]) -> list[Article]:
    """New articles (version 0, ids never used) and their first history entries, written 25 items a request: a
    knowledge base loaded whole (the local stack's seed). No condition guards them, unlike `save_article`: their ids
    are new, so there is nothing to race with."""
    saved = []
    with ArticleItem.batch_write() as batch:
        for article, terms, entry in entries:
            item = _article_item(article, terms, is_new=True)
            item.version = 1
            batch.save(item)
            batch.save(_history_item(article, entry))
            saved.append(article.model_copy(update={"version": 1}))
    return saved


def _history_item(article: Article, entry: ArticleVersion) -> ArticleHistoryItem:
    """The history entry `entry` of `article` as read at `article.version` (its number is the version it makes)."""
    return ArticleHistoryItem(
        article_key(article.id),
        f"V#{article.version + 1:08d}",
        article_id=article.id,
        number=article.version + 1,
        at=entry.at.isoformat(),
        by=entry.by,
        action=entry.action,
        changed=entry.changed,
        note=entry.note,
        snapshot=json.loads(article.model_copy(update={"version": article.version + 1}).model_dump_json()),
    )


def article_history(article_id: str, *, limit: int, cursor: str | None) -> tuple[list[ArticleVersion], str | None]:
    pk = article_key(article_id)
    start = cursors.decode(cursor, key_names={"pk", "sk"}, partition=("pk", pk))
    result = ArticleHistoryItem.query(
        pk, ArticleHistoryItem.sk.startswith("V#"), limit=limit, page_size=limit, last_evaluated_key=start
    )
    entries = [
        ArticleVersion(
            version=int(item.number),
            at=datetime.fromisoformat(item.at),
            by=item.by,
            action=item.action,
            changed=list(item.changed),
            note=item.note,
            article=Article.model_validate(item.snapshot),
        )
        for item in result
    ]
    return entries, cursors.encode(result.last_evaluated_key)


def list_articles(
    *, language: str | None, category: str | None, limit: int, cursor: str | None
) -> tuple[list[Article], str | None]:
    """Articles by category and/or language, by key (no filter): the gsi whose sort key starts with what is known."""
    index: GlobalSecondaryIndex
    if language is not None and category is None:
        partition, index, prefix, name = f"{ARTICLES}#{language}", KefuItem.by_status, "", "gsi4pk"
    else:
        prefix = f"{category}#{language + '#' if language else ''}" if category else ""
        partition, index, name = ARTICLES, KefuItem.by_customer, "gsi1pk"
    found, next_cursor = prefix_page(ArticleItem, index, name, partition, prefix, limit=limit, cursor=cursor)
    return [article_of(item) for item in found], next_cursor


def published_articles(page_size: int = 500) -> Iterator[ArticleItem]:
    """Every published article with its stored terms (the index rebuild reads them all, page by page: each page's
    keys from the index, then the articles by key)."""
    found = KefuItem.by_resolution_day.query(PUBLISHED, page_size=page_size)
    while page := list(islice(found, page_size)):
        yield from read_in_full(page)


def article_of(item: ArticleItem) -> Article:
    return Article(
        id=item.article_id,
        title=item.title,
        body=item.body,
        language=item.language,
        category=item.category,
        tags=list(item.tags),
        visibility=item.visibility,
        status=item.status,
        version=int(item.version or 0),
        createdAt=datetime.fromisoformat(item.created_at),
        createdBy=item.created_by,
        updatedAt=datetime.fromisoformat(item.updated_at),
        updatedBy=item.updated_by,
        publishedAt=datetime.fromisoformat(item.published_at) if item.published_at else None,
    )


def _article_item(article: Article, terms: dict[str, int], *, is_new: bool) -> ArticleItem:
    published = article.status == "published"
    item = ArticleItem(
        article_key(article.id),
        ARTICLE_SK,
        article_id=article.id,
        title=article.title,
        body=article.body,
        language=article.language.value,
        category=article.category.value,
        tags=list(article.tags),
        visibility=article.visibility.value,
        status=article.status.value,
        terms=terms,
        created_at=article.createdAt.isoformat(),
        created_by=article.createdBy,
        updated_at=article.updatedAt.isoformat(),
        updated_by=article.updatedBy,
        published_at=article.publishedAt.isoformat() if article.publishedAt else None,
        gsi1pk=ARTICLES,
        gsi1sk=f"{article.category.value}#{article.language.value}#{article.id}",
        gsi4pk=f"{ARTICLES}#{article.language.value}",
        gsi4sk=f"{article.category.value}#{article.id}",
        gsi5pk=PUBLISHED if published else None,
        gsi5sk=article.id if published else None,
    )
    if not is_new:  # a new one has no version yet: its save makes it 1, on condition it does not exist
        item.version = article.version
    return item
