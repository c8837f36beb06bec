"""Agents, their group memberships and groups (access pattern 9)."""

from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from kefu.clock import now
from kefu.model.agents import Agent, AgentSpec, AssignmentMode, Availability, Group, GroupMember, GroupSpec
from kefu.store.attributes import as_stored
from kefu.store.full_items import read_in_full
from kefu.store.group_keys import GROUP_SK, group_key
from kefu.store.group_models import GroupItem, RotationItem
from kefu.store.models import AgentItem, KefuItem, MemberItem
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, connection

AGENT_SK = "AGENT"
ROTATION_SK = "ROTATION"
ALL_GROUPS = "GROUPS"


class Roster(NamedTuple):
    """What assignment reads about a group: its agents, how it assigns, and where its rotation stands."""

    group_id: str
    members: list[GroupMember]
    #: As stored for a group an admin added; None for a deployed group (its mode is in the deployment document).
    assignment: AssignmentMode | None
    #: Round robin: who got the group's last ticket by rotation, and how many it has given (0: none yet).
    last_agent_id: str | None = None
    turn: int = 0

    def next_turn(self, agent_id: str) -> "Turn":
        """The rotation moved on to `agent_id`, to write with the ticket."""
        return Turn(self.group_id, agent_id, self.turn)


class Turn(NamedTuple):
    """A round-robin group's rotation moving on to `agent_id` from turn `read` (0: none given yet): written with the
    ticket it gives, only if nobody moved it meanwhile."""

    group_id: str
    agent_id: str
    read: int

    def item(self) -> RotationItem:
        return RotationItem(group_key(self.group_id), ROTATION_SK, last_agent_id=self.agent_id, turn=self.read + 1)

    def condition(self) -> Condition:
        return RotationItem.pk.does_not_exist() if self.read == 0 else (RotationItem.turn == self.read)


class AgentChanged(Exception):
    """The agent's load or groups moved while we were writing; read again and retry."""


def agent_key(agent_id: str) -> str:
    return f"AGENT#{agent_id}"


def member_key(agent_id: str) -> str:
    return f"MEMBER#{agent_id}"


def get_agent(agent_id: str) -> Agent | None:
    try:
        item = AgentItem.get(agent_key(agent_id), AGENT_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return _agent(item)


def put_agent(agent_id: str, spec: AgentSpec, current: Agent | None) -> Agent:
    """Create or update an agent and its memberships; load and availability are kept as they are."""
    stamp = as_stored(now())
    load = current.load if current else 0
    availability = current.availability if current else Availability.OFFLINE
    old_groups = set(current.groupIds) if current else set()
    item = AgentItem(
        agent_key(agent_id),
        AGENT_SK,
        agent_id=agent_id,
        name=spec.name,
        email=spec.email,
        group_ids=list(spec.groupIds),
        skills=set(spec.skills) or None,
        tier=spec.tier.value,
        capacity=spec.capacity,
        availability=availability.value,
        load=load,
        updated_at=stamp,
    )
    # The agent must still be as we read it, or a concurrent assignment's load change would be lost.
    condition = AgentItem.pk.does_not_exist() if current is None else (AgentItem.load == load)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item, condition=condition)
            for group_id in spec.groupIds:
                transaction.save(_member(agent_id, group_id, item))
            for group_id in old_groups - set(spec.groupIds):
                transaction.delete(MemberItem(group_key(group_id), member_key(agent_id)))
    except TransactWriteError as err:
        if CONDITION_FAILED in cancellation_codes(err):
            raise AgentChanged(agent_id) from err
        raise
    return _agent(item)


def set_availability(agent: Agent, availability: Availability) -> Agent:
    stamp = as_stored(now())
    with TransactWrite(connection=connection()) as transaction:
        transaction.update(
            AgentItem(agent_key(agent.id), AGENT_SK),
            actions=[AgentItem.availability.set(availability.value), AgentItem.updated_at.set(stamp)],
            condition=AgentItem.pk.exists(),
        )
        for group_id in agent.groupIds:
            transaction.update(
                MemberItem(group_key(group_id), member_key(agent.id)),
                actions=[MemberItem.availability.set(availability.value)],
                condition=MemberItem.pk.exists(),
            )
    return agent.model_copy(update={"availability": availability, "updatedAt": stamp})


def group_members(group_id: str) -> list[GroupMember]:
    """The group's agents with their availability and load: one Query."""
    items = MemberItem.query(group_key(group_id), MemberItem.sk.startswith("MEMBER#"), consistent_read=True)
    return [_member_row(item, group_id) for item in items]


def _member_row(item: MemberItem, group_id: str) -> GroupMember:
    # Read from the item's values by their Python names, which is all these attributes' descriptors do
    # (`Attribute.__get__`), after looking the name up by its stored one and checking for a map class: 8 reads a
    # row, more than half of making a row, for each member of a group at each assignment (issue 22).
    values = item.attribute_values
    return GroupMember(
        agentId=values.get("agent_id"),
        name=values.get("name"),
        groupIds=list(values.get("group_ids") or []) or [group_id],
        skills=sorted(values.get("skills") or []),
        tier=values.get("tier"),
        capacity=int(values["capacity"]),
        availability=values.get("availability"),
        load=int(values["load"]),
    )


def roster(group_id: str) -> Roster:
    """A group's agents with their availability and load, its stored assignment mode and its rotation: one Query
    over the group's partition."""
    members: list[GroupMember] = []
    stored_mode: str | None = None
    rotation: RotationItem | None = None
    for item in KefuItem.partition(group_key(group_id), consistent_read=True):
        if isinstance(item, MemberItem):
            members.append(_member_row(item, group_id))
        elif isinstance(item, GroupItem):
            stored_mode = item.assignment
        elif isinstance(item, RotationItem):
            rotation = item
    return Roster(
        group_id,
        members,
        AssignmentMode(stored_mode) if stored_mode else None,
        last_agent_id=rotation.last_agent_id if rotation else None,
        turn=int(rotation.turn) if rotation else 0,
    )


def get_group(group_id: str) -> Group | None:
    """A group an admin added (deployed groups are not stored)."""
    try:
        return _group(GroupItem.get(group_key(group_id), GROUP_SK))
    except DoesNotExist:
        return None


def put_group(group_id: str, spec: GroupSpec) -> Group:
    item = GroupItem(
        group_key(group_id),
        GROUP_SK,
        group_id=group_id,
        name=spec.name,
        group_kind=spec.kind.value,
        description=spec.description,
        assignment=spec.assignment.value,
        updated_at=now(),
        gsi1pk=ALL_GROUPS,
        gsi1sk=group_id,
    )
    item.save()
    return _group(item)


def list_groups() -> list[Group]:
    """The groups an admin added, in id order."""
    return [_group(item) for item in read_in_full(GroupItem.by_customer.query(ALL_GROUPS))]


def _member(agent_id: str, group_id: str, agent: AgentItem) -> MemberItem:
    return MemberItem(
        group_key(group_id),
        member_key(agent_id),
        group_id=group_id,
        agent_id=agent_id,
        group_ids=list(agent.group_ids or []),
        name=agent.name,
        skills=agent.skills,
        tier=agent.tier,
        capacity=agent.capacity,
        availability=agent.availability,
        load=agent.load,
    )


def _agent(item: AgentItem) -> Agent:
    return Agent(
        id=item.agent_id,
        name=item.name,
        email=item.email,
        groupIds=list(item.group_ids or []),
        skills=sorted(item.skills or []),
        tier=item.tier,
        capacity=int(item.capacity),
        availability=item.availability,
        load=int(item.load),
        updatedAt=item.updated_at,
    )


def _group(item: GroupItem) -> Group:
    return Group(
        id=item.group_id,
        name=item.name,
        kind=item.group_kind,
        description=item.description,
        assignment=item.assignment or AssignmentMode.LEAST_LOADED,
        updatedAt=item.updated_at,
    )
