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
    """JSON text without the blanks after `,` and `:` that `JSONAttribute` writes: a ticket item rewritten at each
    change is billed by its size (its SLA view and clock are ~30 objects and lists). Reads any JSON text."""

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        return _COMPACT.encode(value)


#: What `json.dumps(value, separators=(",", ":"))` builds anew at each call (its other options are the defaults).
_COMPACT = json.JSONEncoder(separators=(",", ":"))
