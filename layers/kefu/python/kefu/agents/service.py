"""Agent and group administration."""

from __future__ import annotations

from kefu.agents.groups import all_groups, find_group
from kefu.deployment import configured_groups
from kefu.errors import AgentNotFound, Conflict, Forbidden, GroupNotFound, InvalidRequest
from kefu.identity import Caller, Role
from kefu.ids import is_agent_id, is_group_id
from kefu.model.agents import Agent, AgentSpec, AvailabilityUpdate, Group, GroupMember, GroupSpec
from kefu.store import agents as store

_RETRIES = 5


def resolve_agent_id(caller: Caller, agent_id: str) -> str:
    agent_id = caller.sub if agent_id == "me" else agent_id
    if not is_agent_id(agent_id):
        raise AgentNotFound(agent_id[:128])
    return agent_id


def _check_group_id(group_id: str) -> None:
    if not is_group_id(group_id):
        raise InvalidRequest(
            "a group id is 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit"
        )


def upsert_agent(caller: Caller, agent_id: str, spec: AgentSpec) -> Agent:
    caller.require(Role.ADMIN)
    if agent_id != "me" and not is_agent_id(agent_id):
        raise InvalidRequest("an agent id is 1-128 letters, digits or - _ . @ : +")
    agent_id = resolve_agent_id(caller, agent_id)
    missing = [g for g in spec.groupIds if find_group(g) is None]
    if missing:
        raise InvalidRequest(f"unknown group(s): {', '.join(missing)}")
    for _ in range(_RETRIES):
        try:
            return store.put_agent(agent_id, spec, store.get_agent(agent_id))
        except store.AgentChanged:
            continue
    raise Conflict(f"agent {agent_id} kept changing; try again")


def set_availability(caller: Caller, agent_id: str, update: AvailabilityUpdate) -> Agent:
    """The agent's availability as given. Taking waiting tickets on coming online is the tickets' business:
    `kefu.tickets.service.set_availability` does both."""
    caller.require_staff()
    agent_id = resolve_agent_id(caller, agent_id)
    if agent_id != caller.sub and caller.role is Role.AGENT:
        raise Forbidden("agents set their own availability; supervisors may set anyone's")
    agent = store.get_agent(agent_id)
    if agent is None:
        raise AgentNotFound(agent_id)
    return store.set_availability(agent, update.availability)


def group_roster(caller: Caller, group_id: str) -> list[GroupMember]:
    caller.require(Role.SUPERVISOR, Role.ADMIN)
    if not is_group_id(group_id) or find_group(group_id) is None:
        raise GroupNotFound(group_id)
    return store.group_members(group_id)


def upsert_group(caller: Caller, group_id: str, spec: GroupSpec) -> Group:
    caller.require(Role.ADMIN)
    _check_group_id(group_id)
    if group_id in configured_groups():
        raise Conflict(f"group {group_id} is part of the deployment configuration; change it there and deploy")
    return store.put_group(group_id, spec)


def list_groups(caller: Caller) -> list[Group]:
    caller.require_staff()
    return all_groups()
