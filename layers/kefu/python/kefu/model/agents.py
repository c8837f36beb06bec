from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kefu.model.defaults import empty_list
from kefu.model.group_ids import GroupId
from kefu.model.text import Trimmed


class Availability(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class GroupKind(StrEnum):
    GENERAL = "general"  # L1 general enquiries
    EXPERT = "expert"  # L2 expert support
    VIP = "vip"
    COMPLAINTS = "complaints"
    BACK_OFFICE = "back_office"  # logistics, finance, technical departments


class AssignmentMode(StrEnum):
    """How a group gives a new ticket to one of its agents (either way: online, the right tier, under capacity)."""

    LEAST_LOADED = "least_loaded"  # the agent with the lowest load for their capacity
    ROUND_ROBIN = "round_robin"  # the next agent after the one who got the group's last ticket, in a stable order


class AgentTier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class _Model(BaseModel):
    # Schemas are built on first use: a cold start pays only for the models its request touches.
    model_config = ConfigDict(defer_build=True)


class _Strict(_Model):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class GroupSpec(_Strict):
    name: Annotated[str, Trimmed(min_length=1, max_length=100)]
    kind: GroupKind = GroupKind.GENERAL
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    assignment: AssignmentMode = AssignmentMode.LEAST_LOADED


class Group(_Model):
    id: str
    name: str
    kind: GroupKind
    description: str | None = None
    assignment: AssignmentMode = AssignmentMode.LEAST_LOADED
    updatedAt: datetime


class AgentSpec(_Strict):
    name: Annotated[str, Trimmed(min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    groupIds: list[GroupId] = Field(min_length=1, max_length=20)
    # The length is a max_length, not a counted repeat of `\w` (`{1,40}`): see kefu.sla.config.Person.
    skills: list[Annotated[str, StringConstraints(max_length=40, pattern=r"^[\w\-]+$")]] = Field(
        default_factory=empty_list, max_length=50
    )
    tier: AgentTier = AgentTier.L1
    capacity: int = Field(default=10, ge=0, le=1000)


class AvailabilityUpdate(_Strict):
    availability: Availability


class Agent(_Model):
    id: str
    name: str | None = None
    email: str | None = None
    groupIds: list[str]
    skills: list[str] = Field(default_factory=empty_list)
    tier: AgentTier = AgentTier.L1
    capacity: int
    availability: Availability
    load: int
    updatedAt: datetime | None = None


class GroupMember(_Model):
    """An agent as their group's roster shows them (access pattern 9)."""

    agentId: str
    name: str | None = None
    groupIds: list[str] = Field(default_factory=empty_list)
    skills: list[str] = Field(default_factory=empty_list)
    tier: AgentTier = AgentTier.L1
    capacity: int
    availability: Availability
    load: int
