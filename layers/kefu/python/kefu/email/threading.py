"""What ties a mail to an existing ticket, and how kefu marks its own mail so that replies come back to it.

Three signals, strongest first: the Message-IDs the mail answers (In-Reply-To, References), the ticket
token kefu puts in its subjects ("… [TK-7Q2M9KXR]"), and the ticket in the address kefu replies from
(support+TK-7Q2M9KXR@domain), which survives clients that drop headers and rewrite subjects.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kefu.email.prefilter import may_start
from kefu.ids import is_ticket_id

if TYPE_CHECKING:
    from kefu.email.model import InboundMail, ThreadSignals

#: More ids than this add nothing to threading and bound the lookups one mail can cause.
MAX_MESSAGE_IDS = 50

#: kefu's ticket token in a subject. It and `_REPLY_PREFIXES` are compiled by the first subject that may hold them (re's
#: own cache keeps them): a new conversation's subject has neither, and compiling both was ~3.5 M instructions of
#: inbound mail's cold start (callgrind).
_TOKEN = r"\[\s*(TK-[0-9A-Z]{8})\s*\]"
#: The address token's patterns, compiled by the first mail looked up for its ticket (re's own cache keeps them): a
#: new sender's mail is not, and outbound mail never reads one (~2.4 M instructions of their cold starts).
_PLUS_ADDRESS = r"^[^@+\s]+\+(TK-[0-9A-Z]{8})@([^@\s]+)$"
_WORD = r"[^\s<>,;:\"()]+"
#: All leading reply and forward prefixes at once ("Re: RE: Fwd:", "回复：答复："), in the languages clients use.
_REPLY_PREFIXES = r"""^(?:\s*(?:
        (?:re|fwd?|fw|aw|wg|sv|vs|antw|tr|rv|odp|res|enc)\s*(?:\[\d+\]|\^\d+|\(\d+\))?
      | 回复|回覆|答复|答覆|转发|轉發|转寄|轉寄
    )\s*[:：])+"""
_REPLY_PREFIX_FLAGS = re.IGNORECASE | re.VERBOSE
#: The prefixes' first two letters, lower-cased (the Chinese ones are not ASCII): a subject whose first two characters
#: past space are ASCII and start none of them has no prefix (matched without case, an ASCII character matches a
#: letter only as its own case: kefu.email.screening's out-of-office markers are let go so too).
_ASCII_PREFIX_STARTS = frozenset({"re", "fw", "aw", "wg", "sv", "vs", "an", "tr", "rv", "od", "en"})


def thread_signals(mail: InboundMail, *, domain: str | None) -> ThreadSignals:
    """The signals in `mail`; an address token counts only at `domain` (any domain when None)."""
    # Imported here: outbound mail marks its subjects and reply addresses with this module's other functions and
    # never reads an inbound mail; the model's records (five NamedTuples) would cost its cold start ~8 M instructions
    # (each class is made from its fields at import). Inbound mail has imported the model already, to parse the mail.
    from kefu.email.model import ThreadSignals

    ids = [*mail.in_reply_to, *reversed(mail.references)]
    return ThreadSignals(
        message_ids=tuple(dict.fromkeys(item for item in ids if item))[:MAX_MESSAGE_IDS],
        subject_token=_subject_token(mail.subject),
        address_token=_address_token(mail, domain),
    )


def subject_with_token(subject: str, ticket_id: str) -> str:
    """The subject with " [TK-…]" added once, so that a reply from any client carries the ticket back."""
    if any(token.upper() == ticket_id.upper() for token in re.findall(_TOKEN, subject, re.IGNORECASE)):
        return subject
    subject = subject.rstrip()
    return f"{subject} [{ticket_id}]" if subject else f"[{ticket_id}]"


def reply_address(mailbox: str, ticket_id: str) -> str:
    """The address kefu sends a ticket's mail from: `support@d` → `support+TK-…@d` (any earlier tag replaced)."""
    local, at, domain = mailbox.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not a mailbox: {mailbox!r}")
    if not is_ticket_id(ticket_id):
        raise ValueError(f"not a ticket id: {ticket_id!r}")
    return f"{local.split('+', 1)[0]}+{ticket_id}@{domain}"


def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes (in the languages clients use) and without kefu's token."""
    if "[" in subject:  # where a token starts
        subject = re.sub(_TOKEN, " ", subject, flags=re.IGNORECASE)
    start = subject.lstrip()  # the pattern's \s: the same characters (str.isspace)
    if len(start) >= 2 and may_start(start, _ASCII_PREFIX_STARTS):  # a prefix and its colon are 2 characters or more
        subject = re.sub(_REPLY_PREFIXES, "", subject, flags=_REPLY_PREFIX_FLAGS)
    return " ".join(subject.split())


def _subject_token(subject: str) -> str | None:
    """The last ticket token: kefu appends its token, so the last one is the one kefu added most recently."""
    tokens = [token.upper() for token in re.findall(_TOKEN, subject, re.IGNORECASE)]
    valid = [token for token in tokens if is_ticket_id(token)]
    return valid[-1] if valid else None


def _address_token(mail: InboundMail, domain: str | None) -> str | None:
    recipients = [address.address for address in (*mail.to, *mail.cc)]
    for header in ("delivered-to", "x-original-to"):
        for value in mail.headers.get(header, ()):
            recipients += (word for word in re.findall(_WORD, value) if "@" in word)
    wanted = domain.strip().lower() if domain else None
    for recipient in recipients:
        match = re.match(_PLUS_ADDRESS, recipient.strip().strip("<>"), re.IGNORECASE)
        if match and (wanted is None or match.group(2).lower() == wanted):
            token = match.group(1).upper()
            if is_ticket_id(token):
                return token
    return None
