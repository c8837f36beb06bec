"""The bodies of the requests that open or change a ticket (kefu.model.tickets holds the ticket they make).

Apart from the ticket, because a request that reads tickets never needs them: the API's init, and its first request
when that is a read, no longer create these six models (9.3 M instructions of the API's cold start, callgrind:
pydantic collects a model's fields when its class is made, even with its schema's build deferred).
functions/api/handler.py loads this module with the first request that takes one of them.
"""

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from kefu.model.defaults import empty_list
from kefu.model.text import Trimmed
from kefu.model.tickets import (
    Attachment,
    Category,
    Channel,
    Priority,
    Resolution,
    Status,
    StrictModel,
    Visibility,
)

_TAG = re.compile(r"^[\w\-:.]{1,40}$", re.UNICODE)
#: A ticket's subject, and its description or a message's text (the intake message's fields take the same).
Subject = Annotated[str, Trimmed(min_length=1, max_length=300)]
MessageText = Annotated[str, Trimmed(min_length=1, max_length=100_000)]


class CustomerRef(StrictModel):
    """Who a ticket is for, when an agent opens it on a customer's behalf."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    email: Annotated[str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    phone: Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()\-]+$")] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None

    def model_post_init(self, _context: Any) -> None:
        if not (self.id or self.email or self.phone):
            raise ValueError("customer needs an id, an email or a phone")


class NewTicket(StrictModel):
    subject: Subject
    description: MessageText
    category: Category | None = None
    channel: Channel | None = None
    attachments: list[Attachment] = Field(default_factory=empty_list, max_length=20)
    customer: CustomerRef | None = None
    priority: Priority | None = None
    tags: list[str] = Field(default_factory=empty_list, max_length=20)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return _check_tags(tags)


class TicketPatch(StrictModel):
    priority: Priority | None = None
    category: Category | None = None
    tags: list[str] | None = Field(default=None, max_length=20)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else _check_tags(tags)


class NewMessage(StrictModel):
    body: MessageText
    visibility: Visibility = Visibility.PUBLIC
    attachments: list[Attachment] = Field(default_factory=empty_list, max_length=20)


class TransitionRequest(StrictModel):
    to: Status
    note: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    resolution: Resolution | None = None


class AssignRequest(StrictModel):
    """Exactly one of: take it yourself, hand it to an agent, transfer it to a group."""

    take: bool = False
    agentId: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    groupId: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    note: Annotated[str, StringConstraints(max_length=10_000)] | None = None

    def model_post_init(self, _context: Any) -> None:
        chosen = sum([self.take, self.agentId is not None, self.groupId is not None])
        if chosen != 1:
            raise ValueError("give exactly one of take, agentId or groupId")


def _check_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if not _TAG.match(tag):
            raise ValueError(f"tag {tag!r} must be 1-40 letters, digits, '-', '_', ':' or '.'")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned
