"""What a refused write means, named where the transaction is built: the domain catches these, never a pynamodb or
botocore exception, and no caller counts item positions in a transaction."""

from __future__ import annotations


class WriteRefused(Exception):
    """A condition of the write did not hold: nothing was written."""


class VersionConflict(WriteRefused):
    """Someone else changed the ticket between our read and our write (for a new ticket: its id is taken)."""


class KnowledgeVersionConflict(Exception):
    """The article or reply moved on since the version the writer read (kefu.store.articles, kefu.store.replies)."""


class AlreadyExists(WriteRefused):
    """An item the write creates exists already (a customer created meanwhile, an answer recorded meanwhile)."""

    def __init__(self, key: str):
        super().__init__(f"{key} exists already")
        self.key = key


class LookupTaken(WriteRefused):
    """A lookup written to point at the ticket (an external thread's, a survey's follow-up) points at another one."""

    def __init__(self, key: str):
        super().__init__(f"lookup {key} points at another ticket")
        self.key = key


class TurnTaken(WriteRefused):
    """A round-robin group's rotation moved on since it was read: another opening took the turn."""

    def __init__(self, group_id: str):
        super().__init__(f"the rotation of group {group_id} moved on")
        self.group_id = group_id


class AgentUnavailable(WriteRefused):
    """An agent whose load the write moves was removed, or left a group, since they were read."""

    def __init__(self, agent_id: str, why: str = "changed since read"):
        super().__init__(f"agent {agent_id}: {why}")
        self.agent_id = agent_id


class AgentAtCapacity(AgentUnavailable):
    """The agent given the ticket reached their capacity since they were read."""

    def __init__(self, agent_id: str):
        super().__init__(agent_id, "at capacity")


class TransactionCollided(WriteRefused):
    """Another transaction wrote one of the same items at the same moment: read again and retry."""
