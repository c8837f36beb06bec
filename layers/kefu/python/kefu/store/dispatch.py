"""The stream records the outbound dispatcher reads (functions/email_outbound): those that may become mail
(kefu.store.mail) and those that may become outbound events (kefu.channels): status changes and survey entries."""

from __future__ import annotations

from kefu.store.mail import outbound_stream_filters


def _timeline_inserts(entry_kind: str) -> dict:
    return {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"kind": {"S": ["timeline"]}, "entryKind": {"S": [entry_kind]}}},
    }


def dispatch_stream_filters(*, acknowledgements: bool) -> list[dict]:
    """Lambda event filter patterns over the table's stream: the mail filters (public replies, and openings when
    acknowledgements are on), plus every new status entry and survey entry (which of these are events, a survey
    sent and not its answer, the dispatcher decides: a filter cannot read inside the entry's JSON data). A status
    entry packed behind an agent's public reply (kefu.store.tickets._packs: the first reply's `new -> open`) comes
    with the reply's record, which the replies' filter passes. At most four: Lambda allows five filters a mapping."""
    return [*outbound_stream_filters(acknowledgements=acknowledgements), *map(_timeline_inserts, ("status", "survey"))]
