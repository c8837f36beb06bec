"""A campaign run as the revisit state machine carries it: the tasks' requests, the selection it fans out over, and
what each step answers. Times in the state are ISO 8601 UTC with a Z, as Step Functions reads them.

A run is named by its scheduled time (`20261124T030000Z`): the schedule firing twice, or an operator starting the
same scheduled run again, works on the same run record and the same surveys.
"""

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from kefu.model.defaults import empty_list

#: Selections of up to this many targets travel in the state (a few dozen KB, well under Step Functions' 256 KB);
#: a larger one is written to the work bucket and fanned out by a Distributed Map reading it.
INLINE_LIMIT = 200
#: Targets one Send invocation revisits: fewer invocations and state transitions, each well within its timeout.
BATCH_SIZE = 50
#: Resolved tickets read per Query page while selecting.
PAGE_SIZE = 500


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True)


class RunTarget(_Model):
    """One customer to revisit, about their most recent eligible ticket."""

    ticketId: str
    customerId: str


class Batch(_Model):
    """Targets revisited by one invocation; `batch` names its content (the same targets, the same name)."""

    batch: str
    targets: list[RunTarget]


class Items(_Model):
    """Where a large selection's batches are: a JSON array of Batch in the work bucket."""

    bucket: str
    key: str


class Selection(_Model):
    """The Select step's answer, which becomes the state: the run, when it may send, and its batches (in the state
    when few, else in the work bucket)."""

    campaignId: str
    runId: str
    scheduledAt: str
    #: The end of the campaign's quiet hours if the run started in them, else the moment it started.
    sendAt: str
    selected: int
    large: bool
    batches: list[Batch] = Field(default_factory=empty_list)
    items: Items | None = None


class BatchResult(_Model):
    batch: str
    sent: int
    failed: int
    skipped: int
    #: False when the batch had been counted on the run record before (a retried or repeated batch).
    counted: bool


class RunReport(_Model):
    campaignId: str
    runId: str
    status: str
    selected: int
    sent: int
    failed: int
    skipped: int
    responses: int
    excluded: dict[str, int]
    reasons: dict[str, dict[str, int]]
    startedAt: str
    finishedAt: str | None = None


# --- the tasks' requests (the state machine's payloads) --------------------------------------------------------


class SelectTask(_Model):
    action: Literal["select"]
    campaignId: str
    #: `<aws.scheduler.scheduled-time>`, or any moment given when a run is started by hand.
    scheduledAt: AwareDatetime


class SendTask(_Model):
    action: Literal["send"]
    campaignId: str
    runId: str
    scheduledAt: AwareDatetime
    batch: Batch


class ReportTask(_Model):
    action: Literal["report"]
    campaignId: str
    runId: str


class Failure(_Model):
    """What a Catch puts at its ResultPath."""

    Error: str = ""
    Cause: str = ""


class FailTask(_Model):
    action: Literal["fail"]
    campaignId: str
    scheduledAt: AwareDatetime
    failure: Failure = Field(default_factory=Failure)


class RevisitTask(RootModel[Annotated[SelectTask | SendTask | ReportTask | FailTask, Field(discriminator="action")]]):
    """Any of the revisit function's tasks, told apart by `action`."""


# --- names and shapes ------------------------------------------------------------------------------------------


def run_id_for(scheduled_at: datetime) -> str:
    return scheduled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def timestamp(moment: datetime) -> str:
    """A moment as a Step Functions timestamp, in whole seconds rounded up (a Wait never ends early)."""
    moment = moment.astimezone(UTC)
    whole = datetime.fromtimestamp(math.ceil(moment.timestamp()), UTC)
    return whole.strftime("%Y-%m-%dT%H:%M:%SZ")


def batches_of(targets: Sequence[RunTarget], size: int = BATCH_SIZE) -> list[Batch]:
    return [_batch(targets[start : start + size]) for start in range(0, len(targets), size)]


def _batch(targets: Sequence[RunTarget]) -> Batch:
    digest = hashlib.sha256("\n".join(target.ticketId for target in targets).encode()).hexdigest()[:16]
    return Batch(batch=f"B-{digest}", targets=list(targets))
