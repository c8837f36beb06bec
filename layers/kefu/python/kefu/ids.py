"""Human-friendly random ids: no counter, so no hot key and nothing to guess from."""

import secrets

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a phone call.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_ticket_id() -> str:
    """`TK-` and 8 characters: 40 bits, so a collision among a million tickets is about 1 in 2 million."""
    return f"TK-{_random(8)}"


def new_customer_id() -> str:
    return f"CU-{_random(10)}"
