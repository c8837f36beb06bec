"""Signed, expiring survey tokens: what a survey link carries instead of a login.

A token is 70 URL-safe characters: base64url (no padding) of 52 bytes —

    version (1, = 1) | key id (4) | survey id (10) | expiry, epoch seconds (5, big-endian) | HMAC-SHA256 (32)

The MAC covers the 20 bytes before it. Nothing personal is in it: the survey id is a random-looking digest, the key
id names the signing key, not the customer. The key is the survey secret in AWS Secrets Manager
(KEFU_SURVEY_SECRET_ARN), fetched on first use and kept for the life of the process; its key id is the first four
bytes of SHA-256 of the secret version's id. Tokens signed with the current (AWSCURRENT) or the previous
(AWSPREVIOUS) version verify, so rotating the secret does not break the links already sent; a token naming a key
this process does not know makes it fetch the secret again, at most once every few minutes.

Whatever is wrong with a token that is not merely expired — cut short, altered, signed with an unknown or wrong
key, an unknown format — is one answer, SurveyNotFound: nothing tells a forger which part failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from kefu.config import SURVEY_SECRET_ARN_VAR, settings
from kefu.errors import SurveyExpired, SurveyNotFound

VERSION = 1
SURVEY_ID_PREFIX = "SV-"
_SURVEY_ID_BYTES = 10
_KEY_ID_BYTES = 4
_EXPIRY_BYTES = 5
_MAC_BYTES = 32
_SIGNED_BYTES = 1 + _KEY_ID_BYTES + _SURVEY_ID_BYTES + _EXPIRY_BYTES
TOKEN_BYTES = _SIGNED_BYTES + _MAC_BYTES
TOKEN_LENGTH = (TOKEN_BYTES * 4 + 2) // 3
#: The last expiry a datetime can hold (9999-12-31 23:59:59 UTC), in epoch seconds.
_LAST_EXPIRY = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
#: A token naming an unknown key makes the process read the secret again, but not more often than this.
REFRESH_SECONDS = 300
# Crockford's base32 (kefu.ids): survey ids read like ticket ids.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Claims:
    survey_id: str
    expires_at: datetime


def sign(survey_id: str, expires_at: datetime) -> str:
    """The token for a survey, valid until `expires_at` (whole seconds), signed with the current key."""
    key_id, key = _keyring().current()
    body = bytes([VERSION]) + key_id + survey_id_bytes(survey_id) + _expiry_bytes(expires_at)
    return _b64(body + _mac(key, body))


def verify(token: str, now: datetime) -> Claims:
    """The survey a token names, if kefu signed it and it has not expired; SurveyNotFound or SurveyExpired."""
    raw = _decode(token)
    if raw is None or len(raw) != TOKEN_BYTES or raw[0] != VERSION:
        raise SurveyNotFound()
    body, mac = raw[:_SIGNED_BYTES], raw[_SIGNED_BYTES:]
    key = _keyring().key(body[1 : 1 + _KEY_ID_BYTES])
    # Compared even when the key is unknown (against a throwaway MAC), so timing does not say which failed.
    expected = _mac(key if key is not None else b"\0" * 32, body)
    if not hmac.compare_digest(expected, mac) or key is None:
        raise SurveyNotFound()
    offset = 1 + _KEY_ID_BYTES
    survey_id = _survey_id(body[offset : offset + _SURVEY_ID_BYTES])
    seconds = int.from_bytes(body[offset + _SURVEY_ID_BYTES :], "big")
    if seconds > _LAST_EXPIRY:
        # Five bytes reach past year 9999, which kefu never signs: a token of no format kefu issues.
        raise SurveyNotFound()
    expires_at = datetime.fromtimestamp(seconds, UTC)
    if now >= expires_at:
        raise SurveyExpired(expires_at)
    return Claims(survey_id, expires_at)


def survey_id_for(*parts: str) -> str:
    """A survey id derived from what identifies the survey (its campaign and ticket): the same parts, the same id."""
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).digest()[:_SURVEY_ID_BYTES]
    return SURVEY_ID_PREFIX + _base32(digest)


def is_survey_id(value: str) -> bool:
    return (
        value.startswith(SURVEY_ID_PREFIX)
        and len(value) == len(SURVEY_ID_PREFIX) + _SURVEY_ID_BYTES * 8 // 5
        and all(ch in _ALPHABET for ch in value[len(SURVEY_ID_PREFIX) :])
    )


def survey_id_bytes(survey_id: str) -> bytes:
    if not is_survey_id(survey_id):
        raise ValueError(f"{survey_id!r} is not a survey id")
    number = 0
    for ch in survey_id[len(SURVEY_ID_PREFIX) :]:
        number = number * 32 + _ALPHABET.index(ch)
    return number.to_bytes(_SURVEY_ID_BYTES, "big")


def _survey_id(raw: bytes) -> str:
    return SURVEY_ID_PREFIX + _base32(raw)


def _base32(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(len(raw) * 8 // 5):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _expiry_bytes(expires_at: datetime) -> bytes:
    return int(expires_at.timestamp()).to_bytes(_EXPIRY_BYTES, "big")


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> bytes | None:
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # One token, one spelling: the last character carries unused bits that a lenient decoder ignores, so a
    # link with that character changed would otherwise still open the survey.
    return raw if _b64(raw) == token else None


# --- the signing keys ----------------------------------------------------------------------------------------


def key_id(version_id: str) -> bytes:
    return hashlib.sha256(version_id.encode("utf-8")).digest()[:_KEY_ID_BYTES]


@dataclass
class Keyring:
    """The survey secret's current and previous versions, read from Secrets Manager when first needed."""

    secret_arn: str
    keys: dict[bytes, bytes] = field(default_factory=dict)
    current_id: bytes | None = None
    previous_read: bool = False
    read_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> tuple[bytes, bytes]:
        with self.lock:
            if self.current_id is None:
                self._read("AWSCURRENT")
            assert self.current_id is not None
            return self.current_id, self.keys[self.current_id]

    def key(self, wanted: bytes) -> bytes | None:
        with self.lock:
            if self.current_id is None:
                self._read("AWSCURRENT")
            if wanted not in self.keys and not self.previous_read:
                self._read("AWSPREVIOUS")
            if wanted not in self.keys and time.monotonic() - self.read_at > REFRESH_SECONDS:
                # Rotated since this process read the secret: the token's key may be the new current one.
                self.keys.clear()
                self.current_id, self.previous_read = None, False
                self._read("AWSCURRENT")
                self._read("AWSPREVIOUS")
            return self.keys.get(wanted)

    def _read(self, stage: str) -> None:
        client = _client()
        try:
            answer = client.get_secret_value(SecretId=self.secret_arn, VersionStage=stage)
        except client.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            answer = None  # never rotated: there is no previous version
        if stage == "AWSPREVIOUS":
            self.previous_read = True
        if answer is None:
            return
        secret = answer.get("SecretString")
        material = secret.encode("utf-8") if secret is not None else bytes(answer["SecretBinary"])
        kid = key_id(answer["VersionId"])
        self.keys[kid] = material
        if stage == "AWSCURRENT":
            self.current_id = kid
            self.read_at = time.monotonic()


_keyrings: dict[str, Keyring] = {}
_keyrings_lock = threading.Lock()


def _keyring() -> Keyring:
    arn = settings().survey_secret_arn
    if not arn:
        raise RuntimeError(f"{SURVEY_SECRET_ARN_VAR} is not set: the survey signing secret is unknown")
    with _keyrings_lock:
        if arn not in _keyrings:
            _keyrings[arn] = Keyring(arn)
        return _keyrings[arn]


def forget_keys() -> None:
    """Drop the keys read so far (the next token read fetches the secret again)."""
    with _keyrings_lock:
        _keyrings.clear()


@cache
def _client() -> Any:
    from kefu.store.clients import shared_client

    return shared_client("secretsmanager", settings().region)
