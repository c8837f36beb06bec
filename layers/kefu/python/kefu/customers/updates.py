"""The `customer.updated` message a business's CRM puts on the intake queue (kefu.customers.crm applies it).

A module of its own so that the intake function's init reads the message's model without the customer-records
subsystem that applies it (its store, models and audit trail), which a contact, the usual message, never needs.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kefu.model.customers import Tag, Tier
from kefu.model.text import Trimmed
from kefu.model.ticket_requests import CustomerRef

CUSTOMER_UPDATED = "customer.updated"


class CustomerUpdated(BaseModel):
    """One CRM change. Unknown fields are refused, as for contacts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["customer.updated"]
    #: The CRM's own id for the customer (kept on the record as `externalId`).
    externalId: Annotated[str, Trimmed(min_length=1, max_length=256)]
    customer: CustomerRef
    tier: Tier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    occurredAt: AwareDatetime | None = None
