"""Demo configuration and data for the local stack, written through the domain's own services.

The demo people are the default identities of `kefu local token`, so a token for `--role agent`
belongs to an agent who exists, is online and sits in a group.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.agents import service as agents
from kefu.deployment import configured_groups
from kefu.identity import Caller, Role
from kefu.model.agents import AgentSpec, AgentTier, Availability, AvailabilityUpdate, GroupKind, GroupSpec
from kefu_local.kb_seed import seed_knowledge

GROUPS: dict[str, GroupSpec] = {
    "l1": GroupSpec(name="L1 general enquiries", kind=GroupKind.GENERAL),
    "l2": GroupSpec(name="L2 expert support", kind=GroupKind.EXPERT),
    "vip": GroupSpec(name="VIP desk", kind=GroupKind.VIP, description="High-value and VIP customers"),
    "complaints": GroupSpec(name="Complaints desk", kind=GroupKind.COMPLAINTS),
    "logistics": GroupSpec(name="Logistics", kind=GroupKind.BACK_OFFICE),
    "finance": GroupSpec(name="Finance", kind=GroupKind.BACK_OFFICE),
    "technical": GroupSpec(name="Technical", kind=GroupKind.BACK_OFFICE),
}


@dataclass(frozen=True)
class DemoPerson:
    sub: str
    email: str
    role: Role
    agent: AgentSpec | None = None


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("demo-customer", "customer@example.com", Role.CUSTOMER),
    DemoPerson(
        "agent-li",
        "li.wei@example.com",
        Role.AGENT,
        AgentSpec(name="Li Wei", email="li.wei@example.com", groupIds=["l1"], skills=["orders", "zh", "en"]),
    ),
    DemoPerson(
        "agent-chen",
        "chen.jing@example.com",
        Role.AGENT,
        AgentSpec(
            name="Chen Jing",
            email="chen.jing@example.com",
            groupIds=["l2", "technical"],
            skills=["technical", "payment", "zh"],
            tier=AgentTier.L2,
        ),
    ),
    DemoPerson(
        "agent-zhao",
        "zhao.min@example.com",
        Role.AGENT,
        AgentSpec(
            name="Zhao Min",
            email="zhao.min@example.com",
            groupIds=["vip", "complaints"],
            skills=["complaint", "vip", "zh", "en"],
            tier=AgentTier.L2,
            capacity=6,
        ),
    ),
    DemoPerson(
        "sup-wang",
        "wang.fang@example.com",
        Role.SUPERVISOR,
        AgentSpec(
            name="Wang Fang",
            email="wang.fang@example.com",
            groupIds=["l1", "l2", "vip", "complaints"],
            skills=["complaint", "escalation"],
            tier=AgentTier.L3,
            capacity=5,
        ),
    ),
    DemoPerson("admin", "admin@example.com", Role.ADMIN),
)


def demo_person(role: Role) -> DemoPerson:
    """The first demo person of a role: the default identity of a token for that role."""
    return next(person for person in DEMO_PEOPLE if person.role is role)


#: Who writes the demo data: an administrator, so the services check roles as for anyone else.
_SEEDER = Caller(sub="kefu-local-seed", groups=frozenset({Role.ADMIN.value}))


def seed_demo_data() -> None:
    """Groups and online agents, and the knowledge base with its canned replies (kefu_local.kb_seed, once). Safe
    to run again: every write is an upsert. Groups the deployment configuration
    (the template's KEFU_DEPLOYMENT_FILE) declares already exist and are left as configured."""
    configured = configured_groups()
    for group_id, spec in GROUPS.items():
        if group_id in configured:
            continue
        agents.upsert_group(_SEEDER, group_id, spec)
    for person in DEMO_PEOPLE:
        if person.agent is None:
            continue
        agents.upsert_agent(_SEEDER, person.sub, person.agent)
        agents.set_availability(_SEEDER, person.sub, AvailabilityUpdate(availability=Availability.ONLINE))
    seed_knowledge()
