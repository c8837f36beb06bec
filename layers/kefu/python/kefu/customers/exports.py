"""A customer's data export (PIPL/GDPR-style access): `POST /customers/{id}/export` (admins) or `POST /me/export`
(the customer), answered 202 with a job; `GET …/exports/{jobId}` gives its status and, once done, a short-lived
pre-signed link to one archive.

Asynchronous on the privacy state machine, the erasure's (kefu_infra.capabilities.privacy): the archive reads every
ticket, timeline, raw mail and attachment of the customer, more than an API request should wait for; the machine's
retries, its failure alarm and its catch (the job marked failed) come with it, and one state machine and function
serve both privacy jobs instead of a queue, its dead-letter queue and another consumer.

The archive is JSON lines, one object a line with its `type`: `profile` (the record as staff see it), `ticket`,
`timelineEntry` (public entries only: internal notes are the desk's), `survey` (the customer's answers), `rawMail`
(the MIME as received, base64) and `attachment` (base64), written to the attachments bucket under
`exports/<job id>.jsonl`. An erasure deletes it with the rest.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from typing import Any

from kefu.clock import now
from kefu.customers import audit, jobs, linking
from kefu.customers.service import known_id
from kefu.errors import Forbidden, NotFound, TicketNotFound
from kefu.identity import Caller, Role
from kefu.model.audit import AuditAction
from kefu.model.customer_records import ExportJob
from kefu.model.tickets import Ticket
from kefu.store import customer_records as records
from kefu.store import erasure as erasure_store
from kefu.store import exports as store
from kefu.store import surveys as survey_store
from kefu.store import tickets as ticket_store

_PAGE = 100


class ExportNotFound(NotFound):
    def __init__(self, job_id: str):
        super().__init__(f"there is no export {job_id[:64]} of this customer")


def request(caller: Caller, customer_id: str) -> ExportJob:
    """An admin asks for a customer's export (its audit entry written with the job)."""
    caller.require(Role.ADMIN)
    return _start(caller, known_id(customer_id))


def request_own(caller: Caller) -> ExportJob:
    """A customer asks for their own export."""
    _require_customer(caller)
    return _start(caller, linking.resolved(caller).sub)


def status(caller: Caller, customer_id: str, job_id: str) -> ExportJob:
    caller.require(Role.ADMIN)
    return _status(known_id(customer_id), job_id)


def own_status(caller: Caller, job_id: str) -> ExportJob:
    _require_customer(caller)
    return _status(linking.resolved(caller).sub, job_id)


def _require_customer(caller: Caller) -> None:
    if not caller.is_customer:
        raise Forbidden("/me is a customer's own record; staff export customers under /customers")


def _start(caller: Caller, customer_id: str) -> ExportJob:
    # The record as a route sees it: 404 for none, 301 for a merged one, 410 for an erased one (nothing to export).
    if records.summary(customer_id) is None:
        raise records.CustomerNotFound(customer_id)
    job_id = f"EX-{secrets.token_hex(8).upper()}"
    moment = now()
    job = store.create(customer_id, job_id, requested_by=caller.sub, at=moment)
    audit.record(caller, customer_id, AuditAction.EXPORTED)
    jobs.start({"job": "export", "customerId": customer_id, "jobId": job_id}, jobs.execution_name("export", job_id, 1))
    return job


def _status(customer_id: str, job_id: str) -> ExportJob:
    job = store.get(customer_id, job_id) if len(job_id) <= 64 else None
    if job is None:
        raise ExportNotFound(job_id)
    if job.status != "done":
        return job
    key = store.archive_key(job_id)
    return job.model_copy(update={"link": jobs.link(jobs.files_bucket(), key), "linkExpiresIn": jobs.LINK_SECONDS})


def step(document: dict[str, Any]) -> dict[str, Any]:
    """The export's one task: write the archive, mark the job done (or failed, when the customer was erased or
    merged meanwhile: there is nothing of theirs to export then)."""
    customer_id, job_id = document["customerId"], document["jobId"]
    try:
        lines = list(archive_lines(customer_id))
    except (records.CustomerErased, records.CustomerMerged, records.CustomerNotFound) as gone:
        store.finish(customer_id, job_id, archive_key=None, error=str(gone), at=now())
        return {**document, "done": True}
    key = store.archive_key(job_id)
    jobs.write_object(jobs.files_bucket(), key, b"".join(lines), "application/x-ndjson")
    store.finish(customer_id, job_id, archive_key=key, error=None, at=now())
    return {**document, "done": True}


def failed(document: dict[str, Any]) -> dict[str, Any]:
    """The execution gave up (its catch): the job says so, so that nobody waits for it."""
    cause = (document.get("error") or {}).get("Error") or "the export failed"
    store.finish(document["customerId"], document["jobId"], archive_key=None, error=str(cause)[:200], at=now())
    return {**document, "done": True}


def archive_lines(customer_id: str) -> Iterator[bytes]:
    profile = records.profile(customer_id)
    if profile is None:
        raise records.CustomerNotFound(customer_id)
    yield _line("profile", profile.model_dump(mode="json"))
    for ticket in _tickets(customer_id):
        yield _line("ticket", ticket.model_dump(mode="json"))
        entries = ticket_store.whole_timeline(ticket.id, public_only=True)
        yield from (_line("timelineEntry", e.model_dump(mode="json")) for e in entries)
        files = erasure_store.ticket_files(ticket.id)
        for key in files.raw_mails:
            content = jobs.read_object(jobs.raw_mail_bucket(), key)
            if content is not None:
                yield _line("rawMail", {"ticketId": ticket.id, "mime": base64.b64encode(content).decode()})
        for key in files.attachments:
            content = jobs.read_object(jobs.files_bucket(), key)
            if content is not None:
                name = key.rsplit("/", 1)[-1]
                body = {"ticketId": ticket.id, "name": name, "content": base64.b64encode(content).decode()}
                yield _line("attachment", body)
    cursor = None
    while True:
        page = survey_store.customer_results(customer_id, limit=_PAGE, cursor=cursor)
        yield from (_line("survey", result.model_dump(mode="json")) for result in page.items)
        if not page.nextCursor:
            return
        cursor = page.nextCursor


def _line(kind: str, body: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, **body}, ensure_ascii=False).encode() + b"\n"


def _tickets(customer_id: str) -> Iterator[Ticket]:
    """The customer's tickets, each read by key (the index's projection is not relied upon)."""
    cursor = None
    while True:
        ticket_ids, cursor = erasure_store.ticket_page(customer_id, cursor, limit=_PAGE)
        for ticket_id in ticket_ids:
            try:
                yield ticket_store.get(ticket_id)
            except TicketNotFound:
                continue
        if not cursor:
            return
