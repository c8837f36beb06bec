"""The seed knowledge base and canned replies (话术) of the local stack, read from `knowledge/*.yaml` beside this file.

Written through the domain's own services (as an editor and a supervisor would), each article published, so the
local API searches them at once. The same articles are the search quality benchmark's base (tests/unit and
`make bench`), which needs them without a table: `seed_articles()` gives them as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from kefu.identity import Caller, Role

FOLDER = Path(__file__).with_name("knowledge")

#: Who writes the seed content: an editor for articles, a supervisor for replies (the roles the routes ask for).
_EDITOR = Caller(sub="kefu-local-seed", groups=frozenset({"editor"}))
_SUPERVISOR = Caller(sub="kefu-local-seed", groups=frozenset({Role.SUPERVISOR.value}))


@dataclass(frozen=True)
class SeedArticle:
    key: str
    topic: str
    language: str
    category: str
    visibility: str
    tags: tuple[str, ...]
    title: str
    body: str


@cache
def seed_articles() -> tuple[SeedArticle, ...]:
    rows = yaml.safe_load((FOLDER / "articles.yaml").read_text(encoding="utf-8"))
    return tuple(SeedArticle(**{**row, "tags": tuple(row.get("tags") or ())}) for row in rows)


@cache
def seed_replies() -> tuple[dict, ...]:
    return tuple(yaml.safe_load((FOLDER / "replies.yaml").read_text(encoding="utf-8")))


def seed_knowledge() -> dict[str, int]:
    """Write and publish the seed articles and replies unless the knowledge base already has articles (a local stack
    started again keeps what people wrote): the articles imported in batches, the index rebuilt once."""
    from kefu.knowledge import articles, replies
    from kefu.model.knowledge_requests import ArticleDraft, ReplySpec
    from kefu.store import articles as store

    existing, _ = store.list_articles(language=None, category=None, limit=1, cursor=None)
    if existing:
        return {"articles": 0, "replies": 0}
    drafts = [
        ArticleDraft(
            title=seed.title,
            body=seed.body,
            language=seed.language,
            category=seed.category,
            tags=list(seed.tags),
            visibility=seed.visibility,
        )
        for seed in seed_articles()
    ]
    articles.import_published(_EDITOR, drafts)
    for row in seed_replies():
        replies.create_reply(_SUPERVISOR, ReplySpec(**row))
    return {"articles": len(seed_articles()), "replies": len(seed_replies())}
