"""Personal data never reaches a log line: one logging.Filter on kefu's Powertools Logger masks each record.

What it masks, before any handler formats the record:
* by key, anywhere in the structured fields (`extra=`, a dict message, nested dicts and lists): names, e-mail
  addresses, phone numbers, and what people wrote (subjects, bodies, descriptions, comments, notes);
* by shape, in every string left (the message, other fields, the formatted traceback): e-mail addresses, phone
  numbers written internationally (`+86 138…`) and Chinese mobile numbers (`13800138000`, `138 0013 8000`).

Ids (ticket, customer, message ids), statuses, counts and timestamps stay readable: an operator still follows a
request through the logs. Exceptions are logged by their type and frames only, since their messages can quote what
a customer sent.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

MASK = "***"

#: Field names (lower-cased, without `_` and `-`) whose values are personal data whatever they look like.
SENSITIVE_KEYS = frozenset(
    {
        "name",
        "firstname",
        "lastname",
        "fullname",
        "customername",
        "displayname",
        "email",
        "emailaddress",
        "phone",
        "phonenumber",
        "mobile",
        "address",
        "subject",
        "body",
        "description",
        "comment",
        "note",
        "text",
        "html",
        "sender",
        "recipient",
        "recipients",
        "replyto",
    }
)

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_INTERNATIONAL_PHONE = re.compile(r"(?<![\w+])\+\d[\d \-().]{6,18}\d(?!\d)")
_CN_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)")

#: The attributes every LogRecord has: anything else on a record came from `extra=` (or Powertools' own keys).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def mask_text(text: str) -> str:
    text = _EMAIL.sub("<email>", text)
    text = _INTERNATIONAL_PHONE.sub("<phone>", text)
    return _CN_MOBILE.sub("<phone>", text)


def mask(value: Any, key: str | None = None) -> Any:
    """`value` with personal data masked; `key` is the field it is the value of."""
    if key is not None and key.lower().replace("_", "").replace("-", "") in SENSITIVE_KEYS and value is not None:
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(v) for v in value]
    return value


class PersonalDataFilter(logging.Filter):
    """Masks each record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = mask(record.msg)
        else:
            record.msg = mask_text(record.getMessage())
            record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, mask(value, key))
        if record.exc_info and record.exc_info[0] is not None:
            # Formatted here (Powertools prints an `exception` field as given) without the exceptions' messages.
            record.exception = traceback_without_messages(record.exc_info[1])
            record.exception_name = record.exc_info[0].__name__
            record.exc_info = None
            record.exc_text = None
        return True


def traceback_without_messages(error: BaseException | None) -> str:
    """Where an exception came from (its frames, and those of the exceptions that led to it), each named by its
    type only: a message can quote anything a customer sent, a name included, which no pattern recognises."""
    parts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames = "".join(traceback.format_tb(error.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{type(error).__name__}: {MASK}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return mask_text("\n\nwhich was raised while handling:\n".join(parts))
