"""A customer's tickets, as staff read them beside the customer's record (`GET /customers/{id}/tickets`).

Apart from the other reads (queries.py): it checks the customer's record first (known, not merged or erased), so it
needs the customer-records subsystem, which reading a ticket does not. Tickets depend on customers, never the other
way (tests/unit/test_import_graph)."""

from __future__ import annotations

from kefu.customers import service as customers
from kefu.identity import Caller
from kefu.model.tickets import Page, Ticket
from kefu.store import tickets as store
from kefu.tickets import policy


def customer_tickets(caller: Caller, customer_id: str, *, limit: int | None, cursor: str | None) -> Page[Ticket]:
    """A customer's tickets, newest first (access pattern 2), those within the caller's reach: under the `groups`
    access scope an agent's page leaves out other groups' tickets (it may come out short, even empty, with a
    `nextCursor` still to follow)."""
    caller.require_staff()
    size = customers.page_size(limit)
    customers.require_known(customer_id)
    found = store.by_customer(customer_id, status=None, limit=size, cursor=cursor)
    return found.model_copy(update={"items": [ticket for ticket in found.items if policy.reaches(caller, ticket)]})
