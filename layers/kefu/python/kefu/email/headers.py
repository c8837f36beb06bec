"""The MIME policy kefu writes mail with: message-id headers as bare `<id>` tokens, folded only between them.

Python's default policy treats In-Reply-To and References as unstructured text, and once an id is long (SES's own
ids are ~80 characters) it folds them into RFC 2047 encoded words (`=?utf-8?q?=3C…?=`), which mail clients do not
read as message ids, so the customer's answer loses its thread. Message-ID, In-Reply-To and References are written
here as `<id>` tokens, one space apart, a new line started (folding whitespace) only where the next token would
pass the policy's line length; a token longer than a line stays whole on a line of its own (RFC 5322 allows 998).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from email import policy as email_policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader

#: What an id must be to be written bare: visible ASCII, no brackets or whitespace (RFC 5322 `msg-id`, leniently).
_BARE_ID = re.compile(r"[!-;=?-~]+")


class MessageIdsHeader:
    """One or more `<id>` tokens (mixed into `email.headerregistry.BaseHeader` by the registry)."""

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict) -> None:
        kwds["decoded"] = " ".join(value.split())
        kwds["parse_tree"] = UnstructuredHeader.value_parser(kwds["decoded"])

    def fold(self, *, policy: email_policy.EmailPolicy) -> str:
        limit = policy.max_line_length or sys.maxsize
        head = f"{self.name}:"  # type: ignore[attr-defined]
        lines = [head]
        for token in str(self).split():
            if lines[-1] != head and len(lines[-1]) + 1 + len(token) > limit:
                lines.append("")
            lines[-1] += f" {token}"
        return policy.linesep.join(lines) + policy.linesep


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in ("message-id", "in-reply-to", "references"):
        # The registry mixes BaseHeader into the class it is given (as for the stdlib's own header classes, which
        # do not derive from it either); typeshed asks for a BaseHeader subclass.
        registry.map_to_type(name, MessageIdsHeader)  # type: ignore[arg-type]
    return registry


#: `email.policy.default` but for the message-id headers.
POLICY = email_policy.default.clone(header_factory=_registry())


def message_ids(ids: Iterable[str]) -> str:
    """The ids as a header value: `<id>` tokens, in order, once each; an id that cannot be written bare (non-ASCII,
    whitespace, brackets: none kefu or a conforming client makes) is left out rather than encoded."""
    bare = (item.strip().strip("<>") for item in ids)
    return " ".join(f"<{item}>" for item in dict.fromkeys(bare) if _BARE_ID.fullmatch(item))
