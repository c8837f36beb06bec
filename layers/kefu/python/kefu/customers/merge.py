"""Merging duplicate customer records (supervisors, admins): `POST /customers/{survivor}/merge {"from": absorbed}`.

The steps, each safe to repeat, are kefu.store.customer_merge's: the merge is recorded on both records first, then
contact points, logins, tickets and survey results move to the survivor, and last the survivor takes over what it
lacks while the absorbed record is left without personal data. A merge cut short (a timeout, a crash) finishes when
it is asked for again; the absorbed id answers every customer route with the survivor from the first step on.
"""

from __future__ import annotations

from kefu.clock import now
from kefu.customers import audit
from kefu.customers.service import known_id, profile
from kefu.errors import InvalidRequest
from kefu.identity import Caller, Role
from kefu.model.audit import AuditAction
from kefu.model.customer_records import CustomerProfile
from kefu.store import customer_merge as steps


def merge(caller: Caller, survivor_id: str, absorbed_id: str) -> CustomerProfile:
    """Merge `absorbed_id` into `survivor_id`; the survivor's profile afterwards. MergeRefused (409) when either
    record was merged elsewhere or erased, or takes part in another merge; InvalidRequest for a record into itself."""
    caller.require(Role.SUPERVISOR, Role.ADMIN)
    known_id(survivor_id)
    if survivor_id == absorbed_id:
        raise InvalidRequest("a customer record cannot be merged into itself")
    known_id(absorbed_id)
    notes = (
        audit.note(caller, AuditAction.MERGED, ["mergedInto"]),
        audit.note(caller, AuditAction.MERGED, ["from"]),
    )
    start = steps.begin(absorbed_id, survivor_id, at=now(), notes=notes)
    absorbed = steps.read(absorbed_id)
    for point in steps.contact_points(absorbed):
        steps.move_contact(
            point, absorbed_id, survivor_id, tier=start.survivor_tier, name=start.survivor_name or absorbed.name
        )
    steps.move_logins(absorbed_id, survivor_id, now())
    while ticket_ids := steps.absorbed_ticket_ids(absorbed_id):
        for ticket_id in ticket_ids:
            steps.move_ticket(ticket_id, absorbed_id, survivor_id)
    steps.move_surveys(absorbed_id, survivor_id)
    steps.finish(absorbed_id, survivor_id, at=now())
    return profile(caller, survivor_id)
