"""What routing reads (a contact) and what it decides (a routing decision)."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kefu.model.customers import Tier
from kefu.model.defaults import empty_list
from kefu.model.tickets import Category, Channel, Priority


class Sentiment(StrEnum):
    CALM = "calm"
    NEGATIVE = "negative"
    ANGRY = "angry"


class Contact(BaseModel):
    """One contact from a customer, as intake hands it to routing."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    subject: str = ""
    body: str = ""
    channel: Channel | None = None
    #: Given by the caller (a form's category picker, an agent): kept as is.
    category: Category | None = None
    #: Given by the caller: kept, except that a threat (regulator, media, lawyer, chargeback) can still raise it.
    priority: Priority | None = None
    #: What the channel knows besides the text (IVR menu choice, mailbox, whether a social post is public…).
    metadata: dict[str, Any] = Field(default_factory=dict)
    tier: Tier = Tier.STANDARD
    #: Earlier contacts by the same customer within the repeat window (RoutingConfig.repeat_window_hours).
    recentContacts: int = Field(default=0, ge=0)


class Emotion(BaseModel):
    model_config = ConfigDict(defer_build=True)

    sentiment: Sentiment
    #: A threat to go to a regulator, the media, a lawyer or the bank (chargeback).
    threat: bool = False
    #: What was seen, quoted from the text: ("angry wording", "垃圾"), ("repeated punctuation", "!!!")…
    cues: list[tuple[str, str]] = Field(default_factory=empty_list)


class RoutingDecision(BaseModel):
    """Where a contact goes and why; `reasons` are meant for the ticket's timeline."""

    model_config = ConfigDict(defer_build=True)

    category: Category
    priority: Priority
    group: str
    sentiment: Sentiment
    threat: bool
    repeat: bool
    #: The routing rule that matched first, if any.
    rule: str | None = None
    reasons: list[str]
