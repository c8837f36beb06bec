"""Handle time agents record on a ticket (`POST /tickets/{id}/work`): a `work` entry on its timeline, which the
ticket's KPI facts add up with the handle time contact systems report on intake messages."""

from pydantic import BaseModel, ConfigDict, Field

from kefu.clock import now
from kefu.identity import Caller
from kefu.model.tickets import EntryKind, Ticket, Visibility
from kefu.tickets import service as tickets

#: One record covers at most a working day: more is a stuck timer, not work.
MAX_SECONDS = 8 * 3600


class WorkRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: int = Field(ge=1, le=MAX_SECONDS, description=f"seconds worked on the ticket, 1..{MAX_SECONDS}")


def record_work(caller: Caller, ticket_id: str, work: WorkRecord) -> Ticket:
    """The seconds an agent worked the ticket, on its timeline (internal); any staff member may record their own."""
    caller.require_staff()

    def decide(ticket: Ticket):
        return tickets.Change(
            ticket.model_copy(update={"updatedAt": now()}),
            [tickets.Draft(EntryKind.WORK, Visibility.INTERNAL, data={"seconds": work.seconds})],
        )

    return tickets.change(caller, ticket_id, decide)
