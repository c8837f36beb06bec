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


#: The largest key attribute DynamoDB takes (a sort key's limit, in UTF-8 bytes); a start key past it is a
#: ValidationException, so a cursor carrying one was never issued.
LARGEST_KEY = 1024


def decode(
    cursor: str | None, *, key_names: set[str], partition: tuple[str, str], sort: tuple[str, str] | None = None
) -> dict[str, Any] | None:
    """The start key for DynamoDB, or BadCursor when the cursor was not issued for this listing: its keys, its
    partition, and (`sort`: attribute, prefix) the sort-key prefix the query's condition names, since DynamoDB
    refuses a start key outside the condition's range with a ValidationException."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        flat = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as err:
        raise BadCursor("the cursor is not one kefu issued") from err
    if not isinstance(flat, dict) or set(flat) != key_names or not all(isinstance(v, str) and v for v in flat.values()):
        raise BadCursor("the cursor is not one kefu issued")
    try:
        # A lone surrogate (`"\ud800"` is valid JSON) has no UTF-8 form: DynamoDB could never have issued it.
        if any(len(v.encode("utf-8")) > LARGEST_KEY for v in flat.values()):
            raise BadCursor("the cursor is not one kefu issued")
    except UnicodeEncodeError as err:
        raise BadCursor("the cursor is not one kefu issued") from err
    name, value = partition
    if flat.get(name) != value:
        raise BadCursor("the cursor belongs to another listing")
    if sort is not None and not flat.get(sort[0], "").startswith(sort[1]):
        raise BadCursor("the cursor belongs to another listing")
    return {key: {"S": text} for key, text in flat.items()}
