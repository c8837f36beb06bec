"""Who is calling: identity and roles from verified JWT claims."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from kefu.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})

T = TypeVar("T")


def parse_groups(raw: Any) -> list[str]:
    """`cognito:groups` as it may arrive: a list, API Gateway v2's string rendering of an array claim `[a b c]`
    (space-separated, the only separator it uses), or a plain single value.

    Cognito group names may hold commas (not spaces), so nothing but whitespace separates two groups: a group
    named `x,admin` is that one group, never `admin`.
    """
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            return text[1:-1].split()
        return [text] if text else []
    if isinstance(raw, Iterable):
        return [str(part) for part in raw]
    return [str(raw)]


def claim_true(raw: Any) -> bool:
    """A boolean claim as it may arrive: JSON true, or the string "true" API Gateway v2 renders every claim as."""
    if isinstance(raw, bool):
        return raw
    return isinstance(raw, str) and raw.strip().lower() == "true"


@dataclass(frozen=True)
class Caller:
    """Who is calling. For a customer, `sub` is the id of their customer record, which every customer-scoped check
    compares with: the token's own sub, or the record their login was linked to (kefu.customers.linking), the token's
    sub then kept as `login`."""

    sub: str
    groups: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None
    name: str | None = None
    #: Whether the identity provider verified the e-mail address or phone number (only a verified one links).
    email_verified: bool = False
    phone: str | None = None
    phone_verified: bool = False
    #: The token's sub when `sub` is the customer record it was linked to; None when they are the same.
    login: str | None = None
    #: One of kefu's own workers (e-mail, intake, escalation, the queue, surveys), acting for the desk as a whole:
    #: never set from a token's claims, so no person is one.
    system: bool = False
    #: What was looked up about the caller (their agent record), kept as long as this caller: a handler makes one
    #: per request, so a request looks each thing up once and the next request afresh.
    _looked_up: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Caller:
        if not claims or not claims.get("sub"):
            raise Unauthenticated("a bearer token is required")
        return cls(
            sub=str(claims["sub"]),
            groups=frozenset(parse_groups(claims.get("cognito:groups"))),
            email=claims.get("email") or None,
            name=claims.get("name") or None,
            email_verified=claim_true(claims.get("email_verified")),
            phone=claims.get("phone_number") or None,
            phone_verified=claim_true(claims.get("phone_number_verified")),
        )

    def claims(self) -> dict[str, Any]:
        """The caller as claims `from_claims` reads back (the token's sub becomes the linked record's id)."""
        return {
            "sub": self.sub,
            "cognito:groups": sorted(self.groups),
            "email": self.email,
            "name": self.name,
            "email_verified": self.email_verified,
            "phone_number": self.phone,
            "phone_number_verified": self.phone_verified,
        }

    @property
    def role(self) -> Role:
        """The strongest role the caller holds."""
        for role in (Role.ADMIN, Role.SUPERVISOR, Role.AGENT):
            if role in self.groups:
                return role
        return Role.CUSTOMER

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def oversees_all(self) -> bool:
        """Supervisors and admins see every group's tickets."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    def remember(self, key: str, look_up: Callable[[], T]) -> T:
        """`look_up()`, called the first time `key` is asked for on this caller; its answer again afterwards."""
        if key not in self._looked_up:
            self._looked_up[key] = look_up()
        return self._looked_up[key]

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"this needs one of the roles: {allowed}")

    def require_staff(self) -> None:
        self.require(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
