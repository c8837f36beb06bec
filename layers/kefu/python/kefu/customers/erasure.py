"""Erasing a customer (PIPL/GDPR-style), `DELETE /customers/{id}` (admins): asked for here, carried out by the
privacy state machine in steps each safe to repeat (kefu.store.erasure says what is erased and what is kept).

`request` marks the record `erasing` (from then on its id answers 410 with the erasure's status) and starts an
execution; `step` is what the execution's task runs: a page of the customer's tickets at a time (their raw mails
and attachments deleted from S3 first, then their text redacted), then the record, its contact points, logins,
survey comments and export archives, and last the audit entry that reports it done. A failed or stopped execution
leaves the record `erasing`: asking again starts another, which redoes what is left.
"""

from __future__ import annotations

from typing import Any

from kefu.clock import now
from kefu.customers import audit, jobs
from kefu.customers.service import known_id
from kefu.errors import Conflict
from kefu.identity import Caller, Role
from kefu.model.audit import AuditAction, AuditNote
from kefu.model.customer_records import ErasureStatus
from kefu.store import erasure as store
from kefu.store import exports as export_store

#: Who the audit trail says finished an erasure.
ERASURE_ACTOR = "system:erasure"
#: Tickets erased by one task (each a few reads and writes per timeline entry, and its S3 objects).
TICKETS_PER_STEP = 25


class ErasureRefused(Conflict):
    """HTTP 409: the record is merged into another, or absorbing one."""


def request(caller: Caller, customer_id: str) -> tuple[ErasureStatus, bool]:
    """Ask for the customer's erasure; the status, and whether an execution was started (False: erased already)."""
    caller.require(Role.ADMIN)
    known_id(customer_id)
    try:
        found = store.request(customer_id, at=now(), note=audit.note(caller, AuditAction.ERASED, ["requested"]))
    except store.ErasureRefused as refused:
        raise ErasureRefused(str(refused)) from None
    status = ErasureStatus(
        customerId=customer_id, status=found.status, requestedAt=found.requested_at, erasedAt=found.erased_at
    )
    if found.status == store.DONE:
        return status, False
    document = {"job": "erase", "customerId": customer_id, "phase": "tickets", "cursor": None, "done": False}
    jobs.start(document, jobs.execution_name("erase", customer_id, found.run))
    return status, True


def step(document: dict[str, Any]) -> dict[str, Any]:
    """One task of an erasure execution: the next page of tickets, or (after the last) the record; the document
    for the next task (`done` true after the record)."""
    customer_id = document["customerId"]
    if document.get("phase") == "tickets":
        ticket_ids, cursor = store.ticket_page(customer_id, document.get("cursor"), limit=TICKETS_PER_STEP)
        for ticket_id in ticket_ids:
            erase_ticket(ticket_id)
        phase = "tickets" if cursor else "record"
        return {**document, "phase": phase, "cursor": cursor, "done": False}
    erase_record(customer_id)
    return {**document, "phase": "record", "cursor": None, "done": True}


def erase_ticket(ticket_id: str) -> None:
    files = store.ticket_files(ticket_id)
    if files.raw_mails:
        jobs.delete_objects(jobs.raw_mail_bucket(), files.raw_mails)
    if files.attachments:
        jobs.delete_objects(jobs.files_bucket(), files.attachments)
    store.redact_ticket(ticket_id)


def erase_record(customer_id: str) -> None:
    archives = export_store.archives_of(customer_id)
    if archives:
        jobs.delete_objects(jobs.files_bucket(), archives)
    export_store.forget_archives(customer_id)
    note = AuditNote(actorId=ERASURE_ACTOR, actorRole="system", action=AuditAction.ERASED, fields=["done"])
    store.erase_record(customer_id, at=now(), note=note)
