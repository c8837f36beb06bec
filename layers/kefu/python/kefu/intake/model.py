"""The intake queue message: what a contact system puts on the queue, as JSON (docs/architecture.md, "Intake queue
message")."""

import json
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from kefu.model.text import Trimmed
from kefu.model.ticket_requests import CustomerRef, MessageText, Subject
from kefu.model.tickets import Category, Channel, Priority

#: The metadata travels onto the timeline; a contact system's whole session dump does not belong there.
MAX_METADATA_BYTES = 8 * 1024

#: Message attributes of a contact intake parks in the dead-letter queue itself, because no retry can take it (not
#: JSON, not an intake message, a key reused with other content): why (short), why in detail, when, and the id the
#: message had on the intake queue (the one its logs name). A message without them got there by SQS's own redrive,
#: its retries exhausted; `kefu dlq redrive` takes them off again.
ERROR_ATTRIBUTE = "kefu-error"
ERROR_DETAIL_ATTRIBUTE = "kefu-error-detail"
FAILED_AT_ATTRIBUTE = "kefu-failed-at"
SOURCE_MESSAGE_ID_ATTRIBUTE = "kefu-source-message-id"
DEAD_LETTER_ATTRIBUTES = (ERROR_ATTRIBUTE, ERROR_DETAIL_ATTRIBUTE, FAILED_AT_ATTRIBUTE, SOURCE_MESSAGE_ID_ATTRIBUTE)

ExternalId = Annotated[str, Trimmed(min_length=1, max_length=256)]


class IntakeMessage(BaseModel):
    """One contact. Unknown fields are refused: a contact system sending something kefu does not read is a bug
    on one side or the other, and the message is better parked in the dead-letter queue than half-read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    #: Unique per channel: the same (channel, externalId) is the same contact, however often it is delivered.
    externalId: ExternalId
    customer: CustomerRef
    subject: Subject
    body: MessageText
    category: Category | None = None
    priority: Priority | None = None
    occurredAt: AwareDatetime | None = None
    #: Free-form, from the contact system; `threadId` (a string) names the conversation the contact belongs to.
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _small_with_a_string_thread(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
        if size > MAX_METADATA_BYTES:
            raise ValueError(f"metadata is {size} bytes as JSON; at most {MAX_METADATA_BYTES} are kept")
        thread = value.get("threadId")
        if thread is not None and not (isinstance(thread, str) and 0 < len(thread.strip()) <= 256):
            raise ValueError("metadata.threadId is the contact system's conversation id: a string of 1-256 chars")
        return value

    @property
    def thread_id(self) -> str:
        """The external conversation this contact belongs to: `metadata.threadId` when the contact system has
        conversations (a chat session, a social thread, a call case); otherwise the contact is a conversation of
        its own, named by its externalId."""
        thread = self.metadata.get("threadId")
        return thread.strip() if isinstance(thread, str) else self.externalId

    def origin(self) -> dict[str, Any]:
        """Where the contact came from, as recorded on the timeline."""
        origin: dict[str, Any] = {"channel": self.channel.value, "externalId": self.externalId}
        origin["threadId"] = self.thread_id
        if self.occurredAt is not None:
            origin["occurredAt"] = self.occurredAt.isoformat()
        if self.metadata:
            origin["metadata"] = self.metadata
        return origin


class IntakeOutcome(BaseModel):
    """What became of a contact: the ticket it opened (a follow-up of its thread's earlier ticket, when that one
    could not take it), or the ticket of its thread it was added to."""

    model_config = ConfigDict(frozen=True)

    ticketId: str
    opened: bool
    followUpOf: str | None = None
    channel: Channel
    externalId: str


def _kind(value: Any) -> str:
    """Which message a queue body is: a CRM's `customer.updated`, else a contact (as every message was before)."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind == "customer.updated" else "contact"


#: The union's tags, which validation errors put in their locations (left out of the reason an operator reads).
MESSAGE_KINDS = ("contact", "customer.updated")


def _message_type() -> Any:
    from kefu.customers.updates import CustomerUpdated

    return Annotated[
        Annotated[IntakeMessage, Tag("contact")] | Annotated[CustomerUpdated, Tag("customer.updated")],
        Discriminator(_kind),
    ]


#: What the intake queue carries: a contact, or a customer.updated from the business's CRM.
QueueMessage = _message_type()
