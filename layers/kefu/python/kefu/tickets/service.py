"""What handlers and other capabilities call on tickets, gathered from the modules that do it: queries, opening,
conversation, transitions, handover, and writes (the read-decide-write path they all share).

Each name is loaded from its module the first time it is used (a module `__getattr__`, PEP 562), not when this one
is imported: a function that only reads tickets (the API answering its first `GET /tickets/{id}`) then loads the
queries alone, not opening's routing and assignment, the conversation's mail and moods, or the handover's
rotations (~12 ms of a cold start). A module that needs one piece (the SLA clock, the lifecycle rules) imports that
piece alone, as the customer routes import a customer's tickets (customer_tickets.py: with it comes the
customer-records subsystem)."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kefu.tickets.conversation import NotReopenable, add_message, relay_customer_message
    from kefu.tickets.handover import Transfer, assign, pick_up_next, set_availability, transferred
    from kefu.tickets.opening import idempotency_config, open_ticket, open_ticket_once
    from kefu.tickets.queries import get_ticket, list_tickets, page_size, timeline
    from kefu.tickets.transitions import transition, update_ticket
    from kefu.tickets.writes import Change, Draft, Written, change, write

#: Each name this module offers → the module it comes from.
HOMES: dict[str, str] = {
    **dict.fromkeys(("NotReopenable", "add_message", "relay_customer_message"), "kefu.tickets.conversation"),
    **dict.fromkeys(("Transfer", "assign", "pick_up_next", "set_availability", "transferred"), "kefu.tickets.handover"),
    **dict.fromkeys(("idempotency_config", "open_ticket", "open_ticket_once"), "kefu.tickets.opening"),
    **dict.fromkeys(("get_ticket", "list_tickets", "page_size", "timeline"), "kefu.tickets.queries"),
    **dict.fromkeys(("transition", "update_ticket"), "kefu.tickets.transitions"),
    **dict.fromkeys(("Change", "Draft", "Written", "change", "write"), "kefu.tickets.writes"),
}

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


def __getattr__(name: str) -> Any:
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # kept: later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *HOMES})
