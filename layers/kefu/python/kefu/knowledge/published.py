"""The published search index in S3, and the copy each API function keeps in memory.

Publishing (or changing a published article) rebuilds the index from the published articles' stored terms and puts
it at one key of the knowledge bucket. An API function loads it on its first search and then asks S3, at most every
KEFU_KB_REFRESH_SECONDS (30 s by default), whether a newer one exists (a HeadObject: its ETag changed); the function
that published uses its own new index at once. A function holding none reads it (GetObject) without asking first.

Ceiling: the index is held whole in memory and rebuilt whole. 10k articles (about 3M weighted terms) build in
seconds and load in well under a second (`make bench` measures both); past roughly 50k articles, or when many
editors publish each minute, move search to OpenSearch Serverless (docs/knowledge-base.md) fed by the table's stream.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from kefu.clock import iso, now
from kefu.config import KB_BUCKET_VAR, required, settings
from kefu.knowledge.index import IndexedArticle, SearchIndex, snippet_of

INDEX_KEY = "kb/search-index.v1.bin"


@dataclass
class _Held:
    index: SearchIndex
    etag: str | None
    checked: float


_lock = threading.Lock()
_held: _Held | None = None


def bucket() -> str:
    return required(settings().kb_bucket, KB_BUCKET_VAR)


def _refresh_seconds() -> float:
    return settings().kb_refresh_seconds


@cache
def _s3() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("s3", settings().region)


def forget() -> None:
    """Drop the index held in memory (tests; a function that must read S3 again)."""
    global _held
    with _lock:
        _held = None


def current() -> SearchIndex:
    """The newest published index: the one held, unless S3 has a newer one (checked at most every refresh)."""
    global _held
    with _lock:
        held = _held
        if held is not None and time.monotonic() - held.checked < _refresh_seconds():
            return held.index
        client = _s3()
        try:
            # A function holding no index yet reads it at once: asking for its ETag first would be a call (and, on a
            # cold start, an S3 operation's first request and answer) that could only say to read it.
            if held is not None:
                etag = client.head_object(Bucket=bucket(), Key=INDEX_KEY)["ETag"]
                if held.etag == etag:
                    held.checked = time.monotonic()
                    return held.index
            answer = client.get_object(Bucket=bucket(), Key=INDEX_KEY)
        except client.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            _held = _Held(SearchIndex(), None, time.monotonic())  # nothing published yet
            return _held.index
        _held = _Held(SearchIndex.loads(answer["Body"].read()).prepare(), answer["ETag"], time.monotonic())
        return _held.index


def rebuild() -> SearchIndex:
    """Build the index from every published article's stored terms, put it in S3, and use it here at once."""
    from kefu.store import articles as store

    global _held
    index = SearchIndex.build(
        (
            IndexedArticle(
                id=item.article_id,
                title=item.title,
                language=item.language,
                category=item.category,
                visibility=item.visibility,
                snippet=snippet_of(item.body),
                terms=item.terms or {},
            )
            for item in store.published_articles()
        ),
        built_at=iso(now()),
    ).prepare()
    answer = _s3().put_object(
        Bucket=bucket(), Key=INDEX_KEY, Body=index.dumps(), ContentType="application/octet-stream"
    )
    with _lock:
        _held = _Held(index, answer.get("ETag"), time.monotonic())
    return index
