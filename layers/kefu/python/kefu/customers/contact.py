"""Contact points as kefu keeps them: e-mail addresses lower-cased, phone numbers in E.164.

A number written without its country code is read as a number of the desk's home region (China: `138 0013 8000`
is `+8613800138000`); `00` and `+` prefixes are international. A number that is not a valid number of its country
is refused, so a typo never becomes a second customer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kefu import lazy_packages
from kefu.errors import InvalidRequest

#: Where a number without a country code is taken to be.
HOME_REGION = "CN"

# One @, a dot in the domain, no spaces: what a contact point needs (deliverability is not checked here).
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def email_address(raw: str) -> str:
    address = raw.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise InvalidRequest(f"{raw!r} is not an e-mail address")
    return address


@lru_cache(maxsize=256)
def phone_number(raw: str, region: str = HOME_REGION) -> str:
    """The number in E.164 (`+8613800138000`), or InvalidRequest.

    The last numbers read are kept (a pure function of its arguments; a refused number is not kept): taking in a
    contact reads its number twice (its owners first, then the ticket's customer), a conversation's contacts come
    from the same number, and parsing with phonenumbers' metadata costs more than the rest of a contact point."""
    # Imported on first use (its metadata is not needed on every cold start), name by name: its `__init__` imports
    # the as-you-type formatter, short numbers and the matcher too (~35 M instructions of the first contact); and its
    # data without the alternate formats only the matcher reads (~20 M more).
    lazy_packages.defer(lazy_packages.PHONENUMBERS)
    lazy_packages.defer_alternate_formats()
    import phonenumbers

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidRequest(f"{raw!r} is not a phone number") from err
    if not phonenumbers.is_valid_number(number):
        raise InvalidRequest(f"{raw!r} is not a valid phone number (with its country code if not in {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
