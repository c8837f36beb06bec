"""The published search index, and the copy each function that searches keeps in memory.

Publishing (or changing a published article) rebuilds the index from the published articles' stored terms and
writes it to the domain table (kefu.store.kb_index): in an item of its own when it fits one (a desk's few hundred
articles), else in the knowledge bucket at INDEX_KEY with the item naming it. A function loads it on its first
search (the API) or opening (intake, inbound mail) and then asks the table, at most every KEFU_KB_REFRESH_SECONDS
(30 s by default), whether a newer one exists (a GetItem of its small head item: the version changed); the function
that published uses its own new index at once. A function holding none reads the file item without asking first.

Why the table: the functions that open a ticket (intake, inbound mail) read the index to record its suggestions, and
intake made an S3 client for it alone, which with its first request cost more than the rest of the advice; the
table's client is made already, for the ticket (intake's cold start to its first ticket: 1,632 M instructions with
the index in S3, 1,593 M so, callgrind; inbound mail, which reads its raw mail from S3 anyway, 1,618 M and 1,621 M).
An index published before it was kept in the table (a deployment's S3 object, no item) is read from the bucket as
before, until the next publish writes the item.

Ceiling: the index is held whole in memory and rebuilt whole. 10k articles (about 3M weighted terms) build in
seconds and load in well under a second (`make bench` measures both); past roughly 50k articles, or when many
editors publish each minute, move search to OpenSearch Serverless (docs/knowledge-base.md) fed by the table's stream.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from kefu.clock import iso, now
from kefu.config import KB_BUCKET_VAR, required, settings
from kefu.knowledge.index import IndexedArticle, SearchIndex, snippet_of
from kefu.store import kb_index as stored

#: The S3 key of an index too large for the table's item (and of every index published before the table held it).
INDEX_KEY = "kb/search-index.v1.bin"


@dataclass
class _Held:
    index: SearchIndex
    #: The version of the file the index was read from (kefu.store.kb_index); None: read from the bucket without an
    #: item in the table, or nothing published.
    version: str | None
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
    """Drop the index held in memory (tests; a function that must read it again)."""
    global _held
    with _lock:
        _held = None


def current() -> SearchIndex:
    """The newest published index: the one held, unless the table names a newer one (checked at most every
    refresh)."""
    global _held
    with _lock:
        held = _held
        if held is not None and time.monotonic() - held.checked < _refresh_seconds():
            return held.index
        # A function holding no index yet reads the file at once: asking for its version first would be a call that
        # could only say to read it.
        if held is not None and stored.read_version() == held.version:
            held.checked = time.monotonic()
            return held.index
        file = stored.read_file()
        if file is None:  # published before the table held it, or never: the bucket's object, or none
            _held = _Held(_from_bucket(INDEX_KEY) or SearchIndex(), None, time.monotonic())
        elif file.data is not None:
            _held = _Held(SearchIndex.loads(file.data).prepare(), file.version, time.monotonic())
        else:
            _held = _Held(_from_bucket(file.bucket_key or INDEX_KEY) or SearchIndex(), file.version, time.monotonic())
        return _held.index


def _from_bucket(key: str) -> SearchIndex | None:
    """The index at `key` in the knowledge bucket, prepared; None when there is no such object."""
    client = _s3()
    try:
        answer = client.get_object(Bucket=bucket(), Key=key)
    except client.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        return None
    return SearchIndex.loads(answer["Body"].read()).prepare()


def version_of(data: bytes) -> str:
    """A file's version: a digest of its bytes (which hold when it was built, so every rebuild is a new one)."""
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def rebuild() -> SearchIndex:
    """Build the index from every published article's stored terms, write it (the table's item, or the bucket for a
    larger one), and use it here at once."""
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
    data = index.dumps()
    version = version_of(data)
    if len(data) <= stored.INLINE_LIMIT:
        stored.write(version, data=data)
    else:  # put first: the item that names the object is written once the object is there
        _s3().put_object(Bucket=bucket(), Key=INDEX_KEY, Body=data, ContentType="application/octet-stream")
        stored.write(version, bucket_key=INDEX_KEY)
    with _lock:
        _held = _Held(index, version, time.monotonic())
    return index
