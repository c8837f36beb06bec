"""KPI counts that no ticket's facts hold: deflections on the new-ticket form (a customer an article answered before
they opened a ticket) and the revisit campaigns' runs (customers due a revisit, customers revisited).

Each is a tally: an id, what it records (kept as facts) and the counters it adds to one day's aggregates, written
the way a ticket's facts are (kefu.store.kpis.write_facts): with the difference from what the same id recorded last
time, on condition of that record's revision. Recording the same tally again moves nothing, a run reported again
with other totals moves the difference, so the aggregates equal a recount of the tallies whatever is repeated.

| tally                                    | day                        | counters (dimension `all`)               |
|------------------------------------------|----------------------------|------------------------------------------|
| `deflection:<customer>:<article>:<day>`  | the desk day it was said   | `deflF` 1                                |
| `revisit-due:<campaign>:<run>`           | the run's scheduled day    | `revDue`: customers the run found due    |
| `revisit-done:<campaign>:<run>`          | the run's scheduled day    | `revDone`: customers it revisited        |
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kefu.clock import now
from kefu.errors import Forbidden
from kefu.kpis import counters, service
from kefu.model.text import Trimmed
from kefu.store import kpis as store

if TYPE_CHECKING:
    # Only a deflection (the API) has a caller: the revisit function, which counts its runs here, needs no identity.
    from kefu.identity import Caller

_ATTEMPTS = 8


class DeflectionRequest(BaseModel):
    """What the customer was asking when the article answered them (optional)."""

    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, Trimmed(max_length=500)] | None = Field(
        default=None, description="what the customer typed on the new-ticket form, up to 500 characters"
    )


class Deflection(BaseModel):
    articleId: str
    #: The desk day it counts on.
    day: date
    #: False when this customer already said so about this article that day (counted once).
    counted: bool


def record_deflection(caller: "Caller", article_id: str, request: DeflectionRequest | None) -> Deflection:
    """POST /kb/articles/{id}/deflections: a customer says a public article answered them, so they open no ticket;
    counted once per customer, article and desk day."""
    if not caller.is_customer:
        raise Forbidden("only customers say that an article answered them")
    # Imported here: the revisit function counts its runs through this module and never reads an article.
    from kefu.knowledge.articles import published_public

    article = published_public(caller, article_id)
    day = now().astimezone(service.desk_zone()).date()
    facts = {"customerId": caller.sub, "articleId": article.id, "day": day.isoformat()}
    if request is not None and request.query:
        facts["query"] = request.query
    moved = tally(f"deflection:{caller.sub}:{article.id}:{day.isoformat()}", facts, day, {"deflF": 1}, keep=True)
    return Deflection(articleId=article.id, day=day, counted=moved)


def count_revisit_run(
    campaign_id: str, run_id: str, scheduled_at: datetime, *, due: int | None = None, revisited: int | None = None
) -> None:
    """A campaign run's customers due (when it selected) and revisited (when it reported), on its scheduled day."""
    day = scheduled_at.astimezone(service.desk_zone()).date()
    if due is not None:
        tally(f"revisit-due:{campaign_id}:{run_id}", {"due": due}, day, {"revDue": due})
    if revisited is not None:
        tally(f"revisit-done:{campaign_id}:{run_id}", {"revisited": revisited}, day, {"revDone": revisited})


def tally(tally_id: str, facts: dict[str, Any], day: date, values: Mapping[str, int], *, keep: bool = False) -> bool:
    """Record the tally and move the day's totals by the difference it makes; whether anything moved. With `keep`,
    a tally already recorded stays as it was (its first facts are kept)."""
    counted = {name: value for name, value in values.items() if value}
    slots = {(store.day_key(day), store.slot_sort_key(counters.TOTAL, "")): counted} if counted else {}
    for _ in range(_ATTEMPTS):
        stored = store.read_facts(tally_id)
        if stored.facts == facts or (keep and stored.facts is not None):
            return False
        moves = counters.difference(stored.slots, slots)
        try:
            store.write_facts(tally_id, stored, facts, slots, moves)
        except store.FactsChanged:
            continue
        return bool(moves)
    raise store.FactsChanged(f"the tally {tally_id} kept changing")
