"""Which support groups exist: those the deployment declares (`kefu.deployment`), then those an admin added through
the API. A deployed group is never shadowed by a stored one, and reading it costs no DynamoDB call."""

from __future__ import annotations

from kefu.deployment import configured_groups
from kefu.model.agents import AssignmentMode, Group
from kefu.store import agents as store
from kefu.store.agents import Roster


def find_group(group_id: str) -> Group | None:
    configured = configured_groups().get(group_id)
    if configured is not None:
        return configured
    return store.get_group(group_id)


def all_groups() -> list[Group]:
    """The deployed groups, then those an admin added."""
    groups = configured_groups()
    return [*groups.values(), *(group for group in store.list_groups() if group.id not in groups)]


def roster(group_id: str) -> Roster:
    """The group's agents and rotation as stored, with the assignment mode that applies: the deployment's for a
    deployed group, else the stored one (least loaded when none was set)."""
    stored = store.roster(group_id)
    configured = configured_groups().get(group_id)
    mode = configured.assignment if configured else stored.assignment or AssignmentMode.LEAST_LOADED
    return stored._replace(assignment=mode)
