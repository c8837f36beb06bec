"""Human-friendly random ids: no counter, so no hot key and nothing to guess from."""

import re
import secrets

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a phone call.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _random(length: int) -> str:
    # One read of the system's randomness for the whole id (secrets.choice reads it once a character): 256 is a
    # multiple of the alphabet's 32 letters, so each byte modulo 32 is a uniformly random letter, as choice gives.
    return "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in secrets.token_bytes(length))


def new_ticket_id() -> str:
    """`TK-` and 8 characters: 40 bits, so a collision among a million tickets is about 1 in 2 million."""
    return f"TK-{_random(8)}"


def new_customer_id() -> str:
    return f"CU-{_random(10)}"


_TICKET_ID = re.compile(r"^TK-[0-9A-HJKMNP-TV-Z]{8}$")  # the alphabet above
#: Agents are Cognito users: their id is the `sub` (a UUID), or a readable id an admin chose.
_AGENT_ID = re.compile(r"^[A-Za-z0-9][\w\-.@:+]{0,127}$")
_GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def is_ticket_id(value: str) -> bool:
    return bool(_TICKET_ID.match(value))


def is_agent_id(value: str) -> bool:
    return bool(_AGENT_ID.match(value))


def is_group_id(value: str) -> bool:
    return bool(_GROUP_ID.match(value))
