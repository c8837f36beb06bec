"""The monthly QA sample (pure): which tickets of each agent's month are reviewed.

For every agent (every active agent, and anyone who resolved tickets that month):

1. all their complaints and tickets answered with a low CSAT (up to `max_per_agent`);
2. then, until they have `per_agent`, tickets with automatic findings, most findings first;
3. then, until they have `per_agent`, tickets drawn at random.

An agent with no ticket that month is covered as "no tickets" (an empty sample), never skipped. The draw is seeded
by the month (and the agent), so a month sampled again picks the same tickets, whatever order the tickets were read
in, and adding an agent changes nobody else's sample.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kefu.qa.model import SampleReason


@dataclass(frozen=True)
class Candidate:
    """A ticket resolved in the month, as sampling sees it."""

    ticket_id: str
    agent_id: str
    complaint: bool = False
    low_csat: bool = False
    findings: int = 0


@dataclass(frozen=True)
class Pick:
    ticket_id: str
    reason: SampleReason


@dataclass(frozen=True)
class AgentSample:
    agent_id: str
    #: Tickets of the agent resolved in the month.
    resolved: int
    picks: tuple[Pick, ...]

    @property
    def no_tickets(self) -> bool:
        return self.resolved == 0


def seed_of(month: str) -> str:
    """The month's seed: the same month always draws the same tickets."""
    return hashlib.sha256(f"kefu-qa-sampling:{month}".encode()).hexdigest()[:16]


def sample(
    month: str,
    agents: Iterable[str],
    candidates: Iterable[Candidate],
    *,
    per_agent: int,
    max_per_agent: int,
    seed: str | None = None,
) -> list[AgentSample]:
    """Every agent's sample, agents in id order."""
    seed = seed or seed_of(month)
    pools: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        pools[candidate.agent_id].append(candidate)
    everyone = sorted(set(agents) | set(pools))
    return [
        _agent_sample(agent, pools.get(agent, []), per_agent, max_per_agent, random.Random(f"{seed}:{agent}"))
        for agent in everyone
    ]


def _agent_sample(
    agent: str, pool: list[Candidate], per_agent: int, max_per_agent: int, rng: random.Random
) -> AgentSample:
    # One ticket once, in an order that does not depend on how the tickets were read.
    tickets = sorted({candidate.ticket_id: candidate for candidate in pool}.values(), key=lambda c: c.ticket_id)
    priority = [c for c in tickets if c.complaint or c.low_csat]
    rng.shuffle(priority)
    picks = [Pick(c.ticket_id, SampleReason.COMPLAINT if c.complaint else SampleReason.LOW_CSAT) for c in priority]
    picks = picks[:max_per_agent]
    chosen = {pick.ticket_id for pick in picks}
    rest = [c for c in tickets if c.ticket_id not in chosen]
    with_findings = [c for c in rest if c.findings > 0]
    rng.shuffle(with_findings)
    with_findings.sort(key=lambda c: -c.findings)  # stable: ties keep the seeded order
    for candidate in with_findings:
        if len(picks) >= per_agent:
            break
        picks.append(Pick(candidate.ticket_id, SampleReason.FINDINGS))
        chosen.add(candidate.ticket_id)
    others = [c for c in rest if c.ticket_id not in chosen]
    wanted = max(0, min(per_agent - len(picks), len(others)))
    picks += [Pick(c.ticket_id, SampleReason.RANDOM) for c in rng.sample(others, wanted)]
    return AgentSample(agent_id=agent, resolved=len(tickets), picks=tuple(picks))
