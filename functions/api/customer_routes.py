"""The customer-record routes of the HTTP API: staff under /customers, a customer's own record under /me.

A Router included by handler.py, whose exception handlers turn the domain's errors into problem+json.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from answers import token_caller
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu import errors
from kefu.customers import erasure, exports
from kefu.customers import merge as merging
from kefu.customers import service as customers
from kefu.identity import Caller
from kefu.model.audit import AuditEntry
from kefu.model.customer_records import (
    CustomerPatch,
    CustomerProfile,
    CustomerSummary,
    ErasureStatus,
    ExportJob,
    MergeRequest,
    OwnProfile,
    OwnProfilePatch,
)
from kefu.model.tickets import Page, Ticket
from kefu.tickets import policy
from kefu.tickets.customer_tickets import customer_tickets as tickets_of_customer

PROBLEM = "application/problem+json"
router = APIGatewayHttpRouter()
CURSOR_RULE = "`cursor` is one this listing issued, with the same filters (400 otherwise)."
IF_MATCH = "`If-Match` with the ETag you read is required: 428 without it, 412 when it is not the record's current one."

MERGED_OR_ERASED = (
    "A record merged into another answers 301 with the survivor (`Location`, `location`, `mergedInto`); an erased "
    "one (or one being erased) 410 with `erasure` (`status` erasing or erased, `requestedAt`, `erasedAt`)."
)

OWN_ERASED = "410 with `erasure` once your record was erased (or while it is being erased)."
EXPORT_RULE = (
    "One archive of JSON lines, each with its `type`: `profile`, `ticket`, `timelineEntry` (public entries), "
    "`survey`, `rawMail` (MIME, base64) and `attachment` (base64). Written asynchronously: follow the job."
)
EXPORT_LINK = (
    "`status` running, done (with `link`, a pre-signed GET of the archive valid `linkExpiresIn` seconds from this "
    "answer: read the job again for a fresh one), failed (with `error`) or erased (the customer's data, the archive "
    "with it, was erased since). 404 for a job this customer does not have."
)

_ETAG = re.compile(r'^(?:W/)?"([0-9]{1,12})"$|^([0-9]{1,12})$')


def caller() -> Caller:
    return token_caller(router.current_event)


def if_match_version(value: str | None) -> int | None:
    """The version the caller read (None for `*`); a change without If-Match is refused (428)."""
    if value is None:
        raise errors.PreconditionRequired("changing a customer record needs If-Match with the ETag you read")
    text = value.strip()
    if text == "*":
        return None
    match = _ETAG.match(text)
    if match is None:
        raise errors.StaleVersion('If-Match must be an ETag this API issued, such as "3"')
    return int(match.group(1) or match.group(2))


def with_etag(record: CustomerProfile | OwnProfile) -> Response:
    return Response(
        status_code=200,
        content_type="application/json",
        body=record.model_dump_json(),
        headers={"ETag": f'"{record.version}"'},
    )


def page(items: list[Any], next_cursor: str | None) -> Response:
    body = {"items": items, "nextCursor": next_cursor}
    return Response(status_code=200, content_type="application/json", body=json.dumps(body))


@router.get(
    "/customers",
    tags=["customers"],
    summary="Find customers (agents): by e-mail, by phone (E.164 or a local number) or by name prefix (q)",
    description="Exactly one of `email`, `phone` or `q` (400 otherwise); `q` has a letter (400 otherwise); the e-mail "
    "address or phone number must be one (422 otherwise). A contact point names one customer: no `cursor` with "
    "`email` or `phone` (400). " + CURSOR_RULE,
    responses=responses(Page[CustomerSummary], errors=(403,)),
)
def search_customers(
    email: Annotated[str | None, Query(max_length=254)] = None,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    found = customers.search(caller(), email=email, phone=phone, q=q, limit=limit, cursor=cursor)
    return page([item.model_dump(mode="json") for item in found.items], found.nextCursor)


@router.get(
    "/customers/<customerId>",
    tags=["customers"],
    summary="A customer's record (agents): profile, contact points, ticket count, last contact, CSAT/NPS answers",
    description=MERGED_OR_ERASED,
    responses=responses(CustomerProfile, errors=(301, 403, 410)),
)
def get_customer(customerId: str):
    return with_etag(customers.profile(caller(), customerId))


@router.get(
    "/customers/<customerId>/tickets",
    tags=["customers"],
    summary="A customer's tickets, newest first (agents)",
    description=CURSOR_RULE
    + " Under the deployment's `groups` access scope, an agent's page leaves out the tickets they do not reach (it "
    "may come out short, with a `nextCursor` still to follow). " + MERGED_OR_ERASED,
    responses=responses(Page[Ticket], errors=(301, 403, 410)),
)
def customer_tickets(
    customerId: str,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    who = caller()
    found = tickets_of_customer(who, customerId, limit=limit, cursor=cursor)
    return page([policy.ticket_view(who, ticket) for ticket in found.items], found.nextCursor)


@router.patch(
    "/customers/<customerId>",
    tags=["customers"],
    summary="Change a customer's name, tier, tags or note (agents); If-Match required",
    description=f"{IF_MATCH} Something to change, and a customer always keeps a tier: `tier` is not null "
    f"(422 otherwise). {MERGED_OR_ERASED}",
    responses=responses(CustomerProfile, errors=(301, 403, 409, 410, 412, 428)),
)
def patch_customer(
    customerId: str,
    body: CustomerPatch,
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
):
    return with_etag(customers.update(caller(), customerId, body, if_match=if_match_version(if_match)))


@router.post(
    "/customers/<customerId>/merge",
    tags=["customers"],
    summary="Merge another customer record (`from`) into this one (supervisors, admins)",
    description="The other record's tickets, contact points, app logins, survey results and history move to this "
    "one, which takes over what it lacks (name, note, tags, contact points; its own tier stands). Asking again "
    "for a merge that was cut short finishes it. Afterwards the other id answers every customer route with 301 and "
    "this one's id (`Location`, `location`, `mergedInto`). 422 for a record into itself; 409 when either record "
    "was merged into another or erased, or takes part in a merge not finished yet (repeat that one first).",
    responses=responses(CustomerProfile, errors=(403, 409)),
)
def merge_customer(customerId: str, body: MergeRequest):
    return with_etag(merging.merge(caller(), customerId, body.from_))


def accepted(model: ErasureStatus | ExportJob, status: int = 202, location: str | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=model.model_dump_json(),
        headers={"Location": location} if location else None,
    )


ERASED_ANSWER: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Erased already (asking again changes nothing)",
        "content": {"application/json": {"model": ErasureStatus}},
    }
}


@router.delete(
    "/customers/<customerId>",
    tags=["customers"],
    summary="Erase a customer's personal data (admins): 202 while it runs, 200 once erased",
    description="Removes or irreversibly replaces the customer's personal data in the record, contact points, app "
    "logins, tickets (subjects, descriptions, timelines, resolution notes), survey comments, raw mails, "
    "attachments and export archives; the anonymised facts (statuses, times, groups, scores) stay, so the KPIs do "
    "not change. It runs asynchronously: from the request on, `GET /customers/{id}` answers 410 with `erasure` "
    "(`status` erasing, then erased) and the audit trail has the request and, when done, an `erased` entry with "
    '`fields` ["done"]. Asking again while it runs starts it again (it redoes what is left: an erasure cut '
    "short finishes); once erased, 200 and nothing more. 409 for a record merged into another (erase that one) "
    "or absorbing one (finish that merge first).",
    responses={**responses(ErasureStatus, 202, "Erasure under way", errors=(403, 409)), **ERASED_ANSWER},
)
def erase_customer(customerId: str):
    found, started = erasure.request(caller(), customerId)
    return accepted(found, 202 if started else 200)


@router.post(
    "/customers/<customerId>/export",
    tags=["customers"],
    summary="Export a customer's data (admins): 202 with a job to follow",
    description=EXPORT_RULE + " " + MERGED_OR_ERASED,
    responses=responses(ExportJob, 202, "The export job (follow `Location`)", errors=(301, 403, 410)),
)
def export_customer(customerId: str):
    job = exports.request(caller(), customerId)
    return accepted(job, location=f"/customers/{customerId}/exports/{job.id}")


@router.get(
    "/customers/<customerId>/exports/<jobId>",
    tags=["customers"],
    summary="An export job of a customer (admins): its status and, once done, a short-lived link to the archive",
    description=EXPORT_LINK,
    responses=responses(ExportJob, errors=(403,)),
)
def customer_export(customerId: str, jobId: str):
    return accepted(exports.status(caller(), customerId, jobId), 200)


@router.post(
    "/me/export",
    tags=["customers"],
    summary="Export your own data (customers): 202 with a job to follow",
    description=EXPORT_RULE
    + " 404 before your first ticket or change (kefu keeps nothing about you yet). "
    + OWN_ERASED,
    responses=responses(ExportJob, 202, "The export job (follow `Location`)", errors=(403, 410)),
)
def export_me():
    job = exports.request_own(caller())
    return accepted(job, location=f"/me/exports/{job.id}")


@router.get(
    "/me/exports/<jobId>",
    tags=["customers"],
    summary="An export of your own data (customers): its status and, once done, a short-lived link to the archive",
    description=EXPORT_LINK,
    responses=responses(ExportJob, errors=(403,)),
)
def own_export(jobId: str):
    return accepted(exports.own_status(caller(), jobId), 200)


@router.get(
    "/me",
    tags=["customers"],
    summary="Your own record (customers)",
    description=OWN_ERASED,
    responses=responses(OwnProfile, errors=(403, 410)),
)
def get_me():
    return with_etag(customers.me(caller()))


@router.patch(
    "/me",
    tags=["customers"],
    summary="Change your name, preferred language or contact preferences (customers); If-Match required",
    description=f"{IF_MATCH} Something to change (422 otherwise). {OWN_ERASED}",
    responses=responses(OwnProfile, errors=(403, 409, 410, 412, 428)),
)
def patch_me(body: OwnProfilePatch, if_match: Annotated[str | None, Header(alias="if-match")] = None):
    return with_etag(customers.update_me(caller(), body, if_match=if_match_version(if_match)))


@router.get(
    "/customers/<customerId>/audit",
    tags=["customers"],
    summary="Who read, changed, exported or erased a customer's record, oldest first (admins)",
    description=CURSOR_RULE,
    responses=responses(Page[AuditEntry], errors=(403,)),
)
def customer_audit(
    customerId: str,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    found = customers.audit_of_customer(caller(), customerId, limit=limit, cursor=cursor)
    return page([entry.model_dump(mode="json") for entry in found.items], found.nextCursor)


@router.get(
    "/audit",
    tags=["customers"],
    summary="The customer records a person or system read, changed, exported or erased, oldest first (admins)",
    description=f"`actor` is the id (a token's `sub`) of a person or system (422 otherwise). {CURSOR_RULE}",
    responses=responses(Page[AuditEntry], errors=(403,)),
)
def actor_audit(
    actor: Annotated[str, Query(min_length=1, max_length=128)],
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
):
    found = customers.audit_of_actor(caller(), actor, limit=limit, cursor=cursor)
    return page([entry.model_dump(mode="json") for entry in found.items], found.nextCursor)
