"""A ticket and its customer read once for one piece of work that needs them more than once.

The outbound dispatcher's stream record may hold more than one timeline entry (an agent's first reply and the
`new -> open` status change packed behind it, kefu.store.tickets._packs): the reply's mail and its event, and the
status change's event, each want the ticket and its customer. Read through one `TicketReads`, made for the record
and dropped with it, they are read once each (2 GetItems, not 6). Never kept beyond that work: a later record, or a
retry of this one, reads the ticket as it is then.
"""

from __future__ import annotations

from functools import cached_property

from kefu.errors import TicketNotFound
from kefu.model.customers import Customer
from kefu.model.tickets import Ticket
from kefu.store import customers as customer_store
from kefu.store import tickets as ticket_store


class TicketReads:
    """The ticket `ticket_id` and its customer, each read when first asked for and kept for later asks."""

    def __init__(self, ticket_id: str) -> None:
        self.ticket_id = ticket_id

    @cached_property
    def ticket(self) -> Ticket | None:
        """The ticket; None if it is gone (or its id can name none)."""
        try:
            return ticket_store.get(self.ticket_id)
        except TicketNotFound:
            return None

    @cached_property
    def customer(self) -> Customer | None:
        """The ticket's customer, or the one they were merged into; None if there is none (or no ticket)."""
        return customer_store.get(self.ticket.customerId) if self.ticket is not None else None


def reads_for(ticket_id: str, reads: TicketReads | None) -> TicketReads:
    """`reads` if they are `ticket_id`'s, else new ones: an entry is only ever handled with its own ticket's."""
    return reads if reads is not None and reads.ticket_id == ticket_id else TicketReads(ticket_id)
