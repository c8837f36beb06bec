"""The one stored form of a moment: ISO 8601 UTC text with milliseconds and a Z (`kefu.clock.iso`), which sorts as
text in time order, so index keys and `<`/`>` conditions built from it agree with the attribute."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import Attribute
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
