"""The agent and group routes of the HTTP API: the groups, a group's roster, agents and their availability.

A Router included by handler.py on the first request for one of its paths (routers.py): the agents' domain
(kefu.agents, its store and models) is not imported by a function whose requests are about tickets.
"""

from __future__ import annotations

from answers import caller_of, json_response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu.agents import service as agents
from kefu.identity import Caller
from kefu.model.agents import Agent, AgentSpec, AvailabilityUpdate, Group, GroupMember, GroupSpec
from kefu.tickets import service as tickets

router = APIGatewayHttpRouter()


def caller() -> Caller:
    return caller_of(router.current_event)


@router.get("/groups", tags=["agents"], summary="The groups", responses=responses(list[Group], errors=(403,)))
def list_groups():
    return json_response(agents.list_groups(caller()))


@router.put(
    "/groups/<groupId>",
    tags=["agents"],
    summary="Create or update a group (admins)",
    description="409 for a group the deployment configuration defines (change it there).",
    responses=responses(Group, errors=(403, 409)),
)
def put_group(groupId: str, body: GroupSpec):
    return json_response(agents.upsert_group(caller(), groupId, body))


@router.get(
    "/groups/<groupId>/agents",
    tags=["agents"],
    summary="A group's agents with availability and load",
    responses=responses(list[GroupMember], errors=(403,)),
)
def group_agents(groupId: str):
    return json_response(agents.group_roster(caller(), groupId))


@router.put(
    "/agents/<agentId>",
    tags=["agents"],
    summary="Create or update an agent (admins)",
    description="The groups in `groupIds` must exist (422 otherwise).",
    responses=responses(Agent, errors=(403, 409)),
)
def put_agent(agentId: str, body: AgentSpec):
    # A group named twice is one membership (the store writes one item per group, in one transaction that may not
    # touch an item twice).
    body = body.model_copy(update={"groupIds": list(dict.fromkeys(body.groupIds))})
    return json_response(agents.upsert_agent(caller(), agentId, body))


@router.put(
    "/agents/<agentId>/availability",
    tags=["agents"],
    summary="Set availability (`me` for yourself)",
    description="Agents set their own; supervisors anyone's (403 otherwise).",
    responses=responses(Agent, errors=(403, 409)),
)
def put_availability(agentId: str, body: AvailabilityUpdate):
    return json_response(tickets.set_availability(caller(), agentId, body))
