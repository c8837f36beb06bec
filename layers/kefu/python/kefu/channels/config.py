"""Which contact channels have a target for kefu's outbound events: the deployment document's `channels` section
(infra/config/<stage>.yaml, validated at synth), and the bus the deployment names in the environment."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kefu import deployment
from kefu.config import EVENT_BUS_VAR, required, settings
from kefu.model.text import Trimmed
from kefu.model.tickets import Channel

#: The `source` of every event kefu puts on its bus.
SOURCE = "kefu"
#: Channels whose answers do not go through the bus: e-mail is sent through SES, and the web portal shows a
#: ticket's answers to its customer, who reads them there. Every other channel needs a configured target.
ANSWERED_WITHOUT_A_TARGET = frozenset({Channel.EMAIL, Channel.WEB})


class ChannelTarget(BaseModel):
    """One contact channel's target: an SQS queue (with its dead-letter queue) its contact system consumes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Who consumes the queue, for the people operating it (the queue's and its alarms' descriptions).
    consumer: Annotated[str, Trimmed(min_length=1, max_length=200)]
    #: How long an event waits in the queue for its consumer.
    retention_days: int = Field(default=4, ge=1, le=14)


def _targets(document: dict[str, Any]) -> dict[Channel, ChannelTarget]:
    section = document.get("channels") or {}
    return {Channel(name): ChannelTarget.model_validate(spec) for name, spec in section.items()}


#: The deployment's channel targets, by channel (none configured: an empty mapping), read once per document.
channel_targets = deployment.per_document(_targets)


def needs_target(channel: Channel) -> bool:
    return channel not in ANSWERED_WITHOUT_A_TARGET


def event_bus() -> str:
    return required(settings().event_bus, EVENT_BUS_VAR)
