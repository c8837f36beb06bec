"""A local stand-in for the Cognito user pool: mints tokens as Cognito does and checks them as the
HTTP API JWT authorizer does (RS256 signature against the pool's key, `kid`, `exp`/`nbf`/`iat`,
issuer, and `aud` — or an access token's `client_id` when there is no `aud`).

The key pair is made once and kept in the local state directory, so `kefu local up` and
`kefu local token` (separate processes) agree on it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kefu.identity import Role

#: Fixed, so a token minted before `kefu local up` started (or on another port) still verifies.
LOCAL_ISSUER = "https://cognito-idp.local.kefu/local-userpool"
LOCAL_CLIENT_ID = "kefu-local-client"
PRIVATE_KEY_FILE = "userpool-key.pem"


class TokenUse(StrEnum):
    ID = "id"
    ACCESS = "access"


#: The Cognito groups a user of each role (docs/architecture.md, "HTTP API") belongs to; a customer is in none.
ROLE_GROUPS: dict[Role, list[str]] = {
    Role.CUSTOMER: [],
    Role.AGENT: ["agent"],
    Role.SUPERVISOR: ["agent", "supervisor"],
    Role.ADMIN: ["admin"],
}


class InvalidToken(Exception):
    """The authorizer refuses the token. `description` is what goes into `www-authenticate`."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


class MissingToken(InvalidToken):
    def __init__(self) -> None:
        super().__init__("no token in the Authorization header")


@dataclass(frozen=True)
class TokenVerifier:
    """What the HTTP API JWT authorizer is configured with: one issuer, its key, the audiences."""

    public_key: Any
    kid: str
    issuer: str
    audiences: frozenset[str]

    def verify(self, token: str, now: float | None = None) -> dict[str, Any]:
        """The token's claims, or `InvalidToken` saying why the authorizer refuses it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as err:
            raise InvalidToken("the token could not be parsed") from err
        if header.get("alg") != "RS256":
            raise InvalidToken("the token is not signed with RS256")
        if header.get("kid") != self.kid:
            raise InvalidToken("the token's kid does not match a key of the issuer")
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                # Time and audience are checked below, against an injectable clock and Cognito's rules.
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidSignatureError as err:
            raise InvalidToken("the token signature is invalid") from err
        except jwt.InvalidTokenError as err:
            raise InvalidToken("the token could not be parsed") from err
        self._check_times(claims, time.time() if now is None else now)
        if claims.get("iss") != self.issuer:
            raise InvalidToken("the token does not have a valid issuer")
        self._check_audience(claims)
        return claims

    @staticmethod
    def _check_times(claims: Mapping[str, Any], now: float) -> None:
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise InvalidToken("the token does not have an expiration time")
        if now >= exp:
            raise InvalidToken("the token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and now < nbf:
            raise InvalidToken("the token is not valid yet")
        iat = claims.get("iat")
        if isinstance(iat, int | float) and now < iat:
            raise InvalidToken("the token was issued in the future")

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        # API Gateway evaluates `aud` when present, and `client_id` only when there is no `aud`.
        if "aud" in claims:
            raw = claims["aud"]
            presented = {raw} if isinstance(raw, str) else set(raw or [])
        else:
            presented = {claims["client_id"]} if isinstance(claims.get("client_id"), str) else set()
        if not presented & self.audiences:
            raise InvalidToken("the token does not have a valid audience")


@dataclass(frozen=True)
class LocalUserPool:
    """The local user pool: its signing key, issuer and app client."""

    private_key: rsa.RSAPrivateKey
    issuer: str = LOCAL_ISSUER
    client_id: str = LOCAL_CLIENT_ID

    @property
    def kid(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:16]).rstrip(b"=").decode()

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(
            public_key=self.private_key.public_key(),
            kid=self.kid,
            issuer=self.issuer,
            audiences=frozenset({self.client_id}),
        )

    def mint(
        self,
        sub: str,
        *,
        email: str | None = None,
        groups: Iterable[str] = (),
        token_use: TokenUse = TokenUse.ID,
        ttl_seconds: int = 3600,
        now: float | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        phone: str | None = None,
        verified: bool = True,
    ) -> str:
        """A token with the claims Cognito puts in an ID token (`aud`) or access token (`client_id`).

        `verified` is what Cognito says of the e-mail address and phone number (`email_verified`,
        `phone_number_verified`): only a verified one links an app user to the customer record it belongs to.
        """
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {"sub": sub}
        group_list = list(groups)
        if group_list:
            # Cognito leaves the claim out for a user in no group.
            claims["cognito:groups"] = group_list
        claims["iss"] = self.issuer
        if token_use is TokenUse.ID:
            claims["aud"] = self.client_id
            claims["cognito:username"] = sub
            if email:
                claims["email"] = email
                claims["email_verified"] = verified
            if phone:
                claims["phone_number"] = phone
                claims["phone_number_verified"] = verified
        else:
            claims["client_id"] = self.client_id
            claims["scope"] = "aws.cognito.signin.user.admin"
            claims["username"] = sub
        claims.update(
            {
                "origin_jti": str(uuid.uuid4()),
                "event_id": str(uuid.uuid4()),
                "token_use": token_use.value,
                "auth_time": issued,
                "iat": issued,
                "exp": issued + ttl_seconds,
                "jti": str(uuid.uuid4()),
            }
        )
        claims.update(extra_claims or {})
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def mint_for_role(self, role: Role, sub: str, email: str | None = None, **kwargs: Any) -> str:
        return self.mint(sub, email=email, groups=ROLE_GROUPS[role], **kwargs)

    @classmethod
    def load_or_create(cls, state_dir: Path) -> LocalUserPool:
        """The pool whose key is kept in `state_dir`, making the key on first use."""
        return cls(private_key=_load_or_create_key(state_dir / PRIVATE_KEY_FILE))


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = made.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            # link() fails if another process made the key first; then both use that one.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key
