"""A support group's id as the configuration names one (SLA supervisors and escalation steps, routing rules, the
revisit and survey settings).

A module of its own so that those configuration models need not import `kefu.model.agents`: its model classes cost
about 14 M instructions to define (pydantic's class creation, even with the schema deferred), which a function that
only reads its SLA configuration (the KPI refresh, the escalation task) would pay on its first piece of work.
"""

from typing import Annotated

from pydantic import StringConstraints

GroupId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
