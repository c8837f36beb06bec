"""What handlers and other capabilities call on tickets, gathered from the modules that do it: queries, opening,
conversation, transitions, handover, and writes (the read-decide-write path they all share). Importing it loads
them all; a module that needs one piece (the SLA clock, the lifecycle rules) imports that piece alone, as the
customer routes import a customer's tickets (customer_tickets.py: with it comes the customer-records subsystem)."""

from kefu.tickets.conversation import NotReopenable, add_message, relay_customer_message
from kefu.tickets.handover import Transfer, assign, pick_up_next, set_availability, transferred
from kefu.tickets.opening import idempotency_config, open_ticket, open_ticket_once
from kefu.tickets.queries import get_ticket, list_tickets, page_size, timeline
from kefu.tickets.transitions import transition, update_ticket
from kefu.tickets.writes import Change, Draft, Written, change, write

__all__ = [
    "Change",
    "Draft",
    "NotReopenable",
    "Transfer",
    "Written",
    "add_message",
    "assign",
    "change",
    "get_ticket",
    "idempotency_config",
    "list_tickets",
    "open_ticket",
    "open_ticket_once",
    "page_size",
    "pick_up_next",
    "relay_customer_message",
    "set_availability",
    "timeline",
    "transferred",
    "transition",
    "update_ticket",
    "write",
]
