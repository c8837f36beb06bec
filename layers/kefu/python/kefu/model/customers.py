from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict

from kefu.model.text import Trimmed

#: A label on a customer's record (the CRM's or staff's).
Tag = Annotated[str, Trimmed(min_length=1, max_length=64)]


class Tier(StrEnum):
    STANDARD = "standard"
    HIGH_VALUE = "high_value"
    VIP = "vip"


class Customer(BaseModel):
    # Validators built on first use, as the other models' (kefu.model): a function's init does not pay for them.
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    tier: Tier = Tier.STANDARD
    createdAt: datetime
    updatedAt: datetime
    #: When a revisit campaign last reached the customer: no campaign reaches them again within their cycle.
    lastRevisitedAt: datetime | None = None


class CustomerSummary(BaseModel):
    """What a contact point tells about its customer without reading the customer record."""

    model_config = ConfigDict(defer_build=True)

    id: str
    tier: Tier = Tier.STANDARD
    name: str | None = None


def normalize_email(address: str) -> str:
    return address.strip().lower()
