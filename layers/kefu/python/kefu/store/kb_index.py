"""The knowledge base's published search index on the domain table (kefu.knowledge.published builds and reads it).

   the index's file:                   GetItem pk=KB#INDEX, sk=FILE (its bytes, or where in S3 they are)
   the index's version:                GetItem pk=KB#INDEX, sk=HEAD (what a function holding one asks every refresh)

The file is the marshalled, compressed index (kefu.knowledge.index) with its version (a digest of its bytes). One
that fits an item (`INLINE_LIMIT`: the table's items hold 400 KB; a desk's few hundred articles make tens of KB)
is held in the item itself, so the functions that open tickets read it with the table's client they have already;
a larger one (10k articles make about 1.8 MB, docs/knowledge-base.md) is put in the knowledge bucket and the item
names its key. The head item repeats the version only: a function checking that its index is still the newest
reads one small item, not the file's.

Both items are written in one BatchWriteItem after any S3 object: a reader of the head that finds a version it
does not hold reads the file item, whose own version is what it then holds, so the two arriving in either order
only makes a reader read the file once more.
"""

from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from kefu.store.models import KefuItem

PK = "KB#INDEX"
FILE_SK = "FILE"
HEAD_SK = "HEAD"
#: The largest file held in the item itself: the item's 400 KB less room for its keys and other attributes.
INLINE_LIMIT = 350_000


class KbIndexItem(KefuItem, discriminator="kb_index"):
    """pk=KB#INDEX, sk=FILE (`data` or `bucket_key`) or sk=HEAD (the version only)."""

    version = UnicodeAttribute()
    data = BinaryAttribute(null=True, legacy_encoding=False)
    bucket_key = UnicodeAttribute(attr_name="bucketKey", null=True)


class StoredFile(NamedTuple):
    """The file item: its version, and its bytes or (larger ones) the S3 key they are at."""

    version: str
    data: bytes | None
    bucket_key: str | None


def read_file() -> StoredFile | None:
    """The published file as the table names it; None when nothing was published to the table."""
    try:
        item = KbIndexItem.get(PK, FILE_SK)
    except DoesNotExist:
        return None
    return StoredFile(item.version, item.data, item.bucket_key)


def read_version() -> str | None:
    """The version of the published file (the head item), None when there is none."""
    try:
        return KbIndexItem.get(PK, HEAD_SK).version
    except DoesNotExist:
        return None


def write(version: str, *, data: bytes | None = None, bucket_key: str | None = None) -> None:
    """The file item (its bytes, or the S3 key a larger file was put at first) and the head, in one request."""
    if (data is None) == (bucket_key is None):
        raise ValueError("the file item holds either the bytes or their S3 key")
    if data is not None and len(data) > INLINE_LIMIT:
        raise ValueError(f"{len(data)} bytes do not fit an item (at most {INLINE_LIMIT}): put them in S3")
    with KbIndexItem.batch_write() as batch:
        batch.save(KbIndexItem(PK, FILE_SK, version=version, data=data, bucket_key=bucket_key))
        batch.save(KbIndexItem(PK, HEAD_SK, version=version))
