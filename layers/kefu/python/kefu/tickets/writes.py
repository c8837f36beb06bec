"""The one way a ticket changes: read it, decide the change, write it against the version read; retry when someone
else won. Other capabilities (e-mail, escalation, surveys) change tickets through `write`/`change` with their own
`decide`; what a decision wants back once written travels in `Change.outcome`, not in the closure's surroundings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from kefu.errors import Conflict, StaleVersion
from kefu.identity import Caller
from kefu.model.tickets import Attachment, EntryKind, Status, Ticket, TimelineEntry, Visibility
from kefu.store import tickets as store
from kefu.store.failures import VersionConflict
from kefu.store.models import KefuItem
from kefu.store.tickets import LoadChange
from kefu.tickets import policy

RETRIES = 5

T = TypeVar("T")


@dataclass
class Draft:
    """A timeline entry about to be written; it gets its id from the ticket version it is written with."""

    kind: EntryKind
    visibility: Visibility
    body: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Change(Generic[T]):
    """What a decision writes: the ticket as it will be, its new timeline entries, the agents' load changes."""

    ticket: Ticket
    drafts: list[Draft]
    load_changes: list[LoadChange] = field(default_factory=list)
    #: Items written in the change's transaction, each only if its key is new (an e-mail's Message-ID lookup).
    new_items: list[KefuItem] = field(default_factory=list)
    #: What the decision hands back to its caller once this change is the one written.
    outcome: T | None = None


class Written(NamedTuple, Generic[T]):
    """The outcome of `write`: the ticket as last read and as written (the same when there was nothing to change),
    the entries written and the written decision's outcome."""

    read: Ticket
    ticket: Ticket
    entries: list[TimelineEntry]
    outcome: T | None = None

    @property
    def changed(self) -> bool:
        return self.ticket is not self.read


def write(
    caller: Caller,
    ticket_id: str,
    decide: Callable[[Ticket], Change[T] | None],
    *,
    if_match: int | None = None,
) -> Written[T]:
    """Read the ticket, decide the change, write it against the version read; retry when someone else won.

    With If-Match the caller's version is the one that must still be current: no retry, 412.
    """
    for _ in range(RETRIES):
        ticket = store.get(ticket_id)
        policy.ensure_can_read(caller, ticket)
        if if_match is not None and ticket.version != if_match:
            raise StaleVersion(f"the ticket is at version {ticket.version}; the change was made against {if_match}")
        decided = decide(ticket)
        if decided is None:
            return Written(ticket, ticket, [])
        entries = timeline_entries(decided.ticket, decided.drafts, caller)
        loads = _with_groups(decided.load_changes)
        try:
            saved = store.save(
                decided.ticket, entries, load_changes=loads, new_items=decided.new_items, previous=ticket
            )
        except VersionConflict:
            if if_match is not None:
                raise StaleVersion(f"the ticket changed after version {if_match}; read it again") from None
            continue
        return Written(ticket, saved, entries, decided.outcome)
    raise Conflict(f"ticket {ticket_id} kept changing; try again")


def change(
    caller: Caller,
    ticket_id: str,
    decide: Callable[[Ticket], Change[Any] | None],
    *,
    if_match: int | None = None,
) -> Ticket:
    """`write`, for a caller that needs only the ticket as it now is."""
    return write(caller, ticket_id, decide, if_match=if_match).ticket


def timeline_entries(ticket: Ticket, drafts: list[Draft], caller: Caller) -> list[TimelineEntry]:
    """The drafts as the entries the ticket's next version writes (their ids come from that version)."""
    version = ticket.version + 1
    moment = ticket.updatedAt
    return [
        TimelineEntry(
            id=store.timeline_entry_id(version, index),
            ticketId=ticket.id,
            kind=draft.kind,
            visibility=draft.visibility,
            authorId=caller.sub,
            authorRole=caller.role.value,
            body=draft.body,
            data=draft.data,
            attachments=draft.attachments,
            createdAt=moment,
        )
        for index, draft in enumerate(drafts)
    ]


def freed(agent_id: str) -> LoadChange:
    """The agent's load lowered by the ticket they no longer hold (their groups are looked up when written)."""
    return LoadChange(agent_id, (), -1)


def status_draft(current: Status, target: Status, *, reason: str | None = None) -> Draft:
    data: dict[str, Any] = {"from": current.value, "to": target.value}
    if reason:
        data["reason"] = reason
    return Draft(EntryKind.STATUS, Visibility.PUBLIC, data=data)


def _with_groups(changes: list[LoadChange]) -> list[LoadChange]:
    """Load changes also move the agent's membership rows; fill in the groups where they are not known yet."""
    result = []
    for load in changes:
        if load.group_ids:
            result.append(load)
            continue
        # Imported here: only a load change whose groups are unknown (a ticket taken from its assignee) reads the
        # agents' store, whose item and agent models a cold start's first write (an escalation, a reply) would
        # otherwise load for nothing: about 22 M instructions.
        from kefu.store import agents as agent_store

        agent = agent_store.get_agent(load.agent_id)
        if agent is None:
            continue  # the agent was removed; nothing to count against
        result.append(LoadChange(load.agent_id, tuple(agent.groupIds), load.delta, load.guard))
    return result
