"""Opaque pagination cursors: the last evaluated key, checked against the listing that issued it."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from kefu.errors import BadCursor


def encode(last_key: dict[str, dict[str, str]] | None) -> str | None:
    if not last_key:
        return None
    flat = {name: value["S"] for name, value in last_key.items()}
    raw = json.dumps(flat, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, *, key_names: set[str], partition: tuple[str, str]) -> dict[str, Any] | None:
    """The start key for DynamoDB, or BadCursor when the cursor was not issued for this listing."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        flat = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as err:
        raise BadCursor("the cursor is not one kefu issued") from err
    if not isinstance(flat, dict) or set(flat) != key_names or not all(isinstance(v, str) and v for v in flat.values()):
        raise BadCursor("the cursor is not one kefu issued")
    name, value = partition
    if flat.get(name) != value:
        raise BadCursor("the cursor belongs to another listing")
    return {key: {"S": text} for key, text in flat.items()}
