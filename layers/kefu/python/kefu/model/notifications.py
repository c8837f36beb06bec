"""Customer notices as kefu.notifications decides them and kefu.store.notices keeps them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from kefu.model.customer_records import ContactPreferences, Language


class NoticeKind(StrEnum):
    """What a notice tells the customer."""

    REPLY = "reply"  # an agent answered (a public reply)
    PENDING = "pending"  # the ticket waits on the customer
    RESOLVED = "resolved"


class Notice(BaseModel):
    """One thing to tell a customer, from the outbound event that said it (`eventId` is the event's)."""

    model_config = ConfigDict(frozen=True)

    eventId: str
    ticketId: str
    kind: NoticeKind
    at: datetime
    #: The agent's answer, for a reply.
    text: str | None = None

    @property
    def key(self) -> str:
        """A token for the notice's sends (a Message-ID part, a schedule name): the event id's entry part."""
        return "notice-" + self.eventId.rsplit("/", 1)[-1].replace(":", "").replace(".", "")


@dataclass(frozen=True)
class Recipient:
    """What the customer's record says about reaching them."""

    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    language: Language | None
    preferences: ContactPreferences = field(default_factory=ContactPreferences)


@dataclass(frozen=True)
class NoticeState:
    """A ticket's notices so far: when one last went out, the one waiting (deferred; a newer one replaces it), the
    events already handled (a repeat is dropped), and the item's version (writes are conditional on it)."""

    last_sent_at: datetime | None = None
    pending: Notice | None = None
    due: datetime | None = None
    handled: tuple[str, ...] = ()
    version: int | None = None

    def has_handled(self, event_id: str) -> bool:
        return event_id in self.handled
