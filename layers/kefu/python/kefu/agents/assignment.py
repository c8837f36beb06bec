"""Who takes a new ticket: the available agent of its group with the matching skill and tier, least loaded or, in
a round-robin group, the next one in turn.

Pure: it chooses from a roster read beforehand; the write that gives the ticket to the agent carries the
capacity condition (and, in turn, the rotation's), so a choice made on a stale roster can never overfill an agent.
"""

from __future__ import annotations

from kefu.model.agents import AgentTier, Availability, GroupMember
from kefu.model.customers import Tier

#: The agent tiers a customer tier may be served by: a VIP is never given to a first-line trainee.
SERVED_BY: dict[Tier, frozenset[AgentTier]] = {
    Tier.STANDARD: frozenset(AgentTier),
    Tier.HIGH_VALUE: frozenset(AgentTier),
    Tier.VIP: frozenset({AgentTier.L2, AgentTier.L3}),
}


def choose_agent(
    roster: list[GroupMember], *, skill: str | None, tier: Tier, exclude: frozenset[str] = frozenset()
) -> tuple[GroupMember | None, str]:
    """The agent to assign, or None (the ticket waits in its group's queue), with the reason either way."""
    free = _free(roster, tier, exclude)
    if not free:
        return None, _NOBODY.format(tier=tier.value)
    skilled = [member for member in free if skill and skill in member.skills]
    pool = skilled or free
    chosen = min(pool, key=lambda m: (m.load / m.capacity if m.capacity else 1.0, m.load, m.agentId))
    why = f"least loaded online agent ({chosen.load}/{chosen.capacity})"
    if skilled:
        why += f" with the skill {skill}"
    return chosen, why


def choose_in_turn(
    roster: list[GroupMember],
    *,
    skill: str | None,
    tier: Tier,
    after: str | None,
    exclude: frozenset[str] = frozenset(),
) -> tuple[GroupMember | None, str]:
    """Round robin: the first qualifying agent after `after` (who got the group's last ticket) in the order of agent
    ids, wrapping round; agents offline, at capacity or of the wrong tier are skipped. With the skill, the turn goes
    round those who have it."""
    free = _free(roster, tier, exclude)
    if not free:
        return None, _NOBODY.format(tier=tier.value)
    skilled = [member for member in free if skill and skill in member.skills]
    pool = sorted(skilled or free, key=lambda m: m.agentId)
    chosen = next((m for m in pool if after is None or m.agentId > after), pool[0])
    why = f"next online agent in turn after {after or 'nobody yet'} ({chosen.load}/{chosen.capacity})"
    if skilled:
        why += f" among those with the skill {skill}"
    return chosen, why


_NOBODY = "no online agent of the group with room under their capacity serves a {tier} customer"


def _free(roster: list[GroupMember], tier: Tier, exclude: frozenset[str]) -> list[GroupMember]:
    return [
        member
        for member in roster
        if member.availability is Availability.ONLINE
        and member.load < member.capacity
        and member.tier in SERVED_BY[tier]
        and member.agentId not in exclude
    ]
