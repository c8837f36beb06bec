"""The deployment's access scope: which tickets an agent reaches (the deployment document's `access` section,
infra/config/<stage>.yaml, validated at synth with this model).

- `agents: all` (the default): every agent reads and works every ticket;
- `agents: groups`: an agent reaches the tickets of their own groups (their agent record's `groupIds`), and any
  ticket they own, hold or helped on, wherever it went since (a transfer keeps its owner and helpers).

Supervisors and admins reach every ticket under either, as do kefu's own workers (e-mail, intake, escalation, the
queue). A ticket out of an agent's reach is answered as one that does not exist (`kefu.tickets.policy`).
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from kefu import deployment


class AgentScope(StrEnum):
    #: Every agent reaches every ticket.
    ALL = "all"
    #: An agent reaches their groups' tickets and those they own, hold or helped on.
    GROUPS = "groups"


class AccessSettings(BaseModel):
    """Who among the staff reaches which tickets."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    agents: AgentScope = AgentScope.ALL


@deployment.per_document
def access_settings(document: dict[str, Any]) -> AccessSettings:
    """The deployment's `access` section (every agent reaches every ticket without one); read once per deployment
    document."""
    return AccessSettings.model_validate(document.get("access") or {})
