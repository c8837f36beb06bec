"""What kefu reads out of one inbound e-mail, whatever client wrote it and whatever charset it claimed.

The annotations here are evaluated (no `from __future__ import annotations`): a NamedTuple given its fields' types as
text makes a `typing.ForwardRef` of each, compiling it, ~0.1 M instructions a field (callgrind) at every import.
Evaluated, this module's 28 fields and kefu.store.mail's 27 cost inbound mail's cold start ~5.5 M instructions less.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple


class Address(NamedTuple):
    address: str  # lower-cased addr-spec, e.g. "li.lei@example.cn"
    name: str | None = None  # the display name, decoded (RFC 2047)


class MailAttachment(NamedTuple):
    filename: str  # decoded (RFC 2231 / RFC 2047); a generated name when the part has none
    content_type: str  # e.g. "image/png"
    content: bytes
    inline: bool = False  # shown in the body (Content-Disposition inline with a Content-ID, e.g. a pasted image)
    content_id: str | None = None  # without the angle brackets

    @property
    def size(self) -> int:
        return len(self.content)


class InboundMail(NamedTuple):
    """One parsed message. Message-IDs are kept without angle brackets, as they appear between them."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first, as in the header
    subject: str  # decoded; "" when absent
    sender: Address | None  # From (the first mailbox)
    reply_to: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None  # timezone-aware when the header had a zone
    text: str  # the whole readable body: text/plain, else the HTML turned into text
    attachments: tuple[MailAttachment, ...]
    #: Every header by lower-cased name, values decoded to str, in order of appearance.
    headers: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    is_report: bool = False  # multipart/report (delivery status, disposition notifications)
    #: What was wrong with the message and repaired while reading it (mislabelled charset, broken MIME…).
    defects: tuple[str, ...] = ()
    #: False when nothing but the text could be read out of the bytes (the parser's last resort): `reply_text` is
    #: then the whole text, none of it taken for quoted history.
    structured: bool = True

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def reply_text(self) -> str:
        """`text` without quoted history and signature: what the customer wrote this time. Worked out when asked
        (a reply, a follow-up), not with every mail read: a new conversation's ticket is described by the whole
        text, and the quoting rules' patterns cost the first mail's compiling (~18 M instructions). Never raises,
        as the parser never does: should the rules fail on some text, the whole text is what was written."""
        if not self.structured:
            return self.text
        from kefu.email.quoting import extract_reply

        try:
            return extract_reply(self.text)
        except Exception:  # a bug in the rules must not lose the mail: all of it is what the customer wrote
            return self.text


class Outcome(StrEnum):
    ACCEPT = "accept"  # becomes a ticket or a message on one
    IGNORE = "ignore"  # kept with its reason, never ticketed, never answered (auto-replies, bounces, loops)
    QUARANTINE = "quarantine"  # kept with its reason for a person to look at (spam, virus, failed authentication)


class Screening(NamedTuple):
    outcome: Outcome
    reason: str  # machine-readable, e.g. "auto-submitted", "bounce", "own-address", "ses-spam-fail"
    detail: str = ""


class ThreadSignals(NamedTuple):
    """What in a mail can tie it to an existing ticket, strongest first."""

    message_ids: tuple[str, ...]  # In-Reply-To, then References newest first, without duplicates
    subject_token: str | None  # a ticket id found as "[TK-…]" in the subject
    address_token: str | None  # a ticket id found in a recipient such as support+TK-…@domain
