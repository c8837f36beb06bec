"""Attribute types of kefu's items. The one stored form of a moment: ISO 8601 UTC text with milliseconds and a Z
(`kefu.clock.iso`), which sorts as text in time order, so index keys and `<`/`>` conditions built from it agree with
the attribute; JSON without blanks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import Attribute, JSONAttribute
from pynamodb.constants import STRING

from kefu.clock import iso
from kefu.model.text import has_utf8_form


class UtcDateTimeAttribute(Attribute[datetime]):
    """A tz-aware datetime in, stored as `iso` text; read back tz-aware in UTC. Items written before this attribute
    existed hold the same text, so they read unchanged."""

    attr_type = STRING

    def serialize(self, value: Any) -> str:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"{self.attr_name} takes a timezone-aware datetime, not {value!r}")
        return iso(value)

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC)


def as_stored(moment: datetime) -> datetime:
    """The moment as a UtcDateTimeAttribute reads it back (milliseconds, UTC): what a write returns matches a read."""
    return datetime.fromisoformat(iso(moment)).astimezone(UTC)


class CompactJSONAttribute(JSONAttribute):
    """JSON text as small as it reads: without the blanks after `,` and `:` that `JSONAttribute` writes, and with
    text other than ASCII as itself rather than `\\u8ba2`-style escapes. An item is billed by its size in UTF-8, where a
    Chinese character is 3 bytes and its escape 6: a Chinese subject in an entry's data, the matched words of a
    routing entry, an article's title in the suggestions cost twice what they say. Reads any JSON text, escaped or
    not (items written before)."""

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        text = _COMPACT.encode(value)
        if text.isascii() or has_utf8_form(text):
            return text
        return _COMPACT_ASCII.encode(value)  # a lone surrogate: not text DynamoDB stores, so escaped as before


#: What `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` builds anew at each call (its other options
#: are the defaults), and the same escaping all but ASCII.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"))
