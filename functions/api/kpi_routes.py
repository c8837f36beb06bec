"""The KPI routes of the HTTP API (`GET /reports/kpis`, `POST /tickets/{ticketId}/work`), on a Router the API's
resolver includes: translate the request, call kefu.kpis, shape the answer. Domain errors reach the resolver's
exception handlers (problem+json)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from answers import token_caller
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from problems import responses

from kefu.identity import Caller
from kefu.kpis import reports, work
from kefu.kpis.figures import csv_text
from kefu.tickets import policy

router = APIGatewayHttpRouter()

#: A desk date as the query writes it; whether it is a real date in the range reports cover is the domain's rule.
DESK_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Breakdown = Literal["day", "week", "month", "channel", "category", "priority", "group", "agent", "hour", "weekday"]

REPORT_DESCRIPTION = """Service KPIs over a period of desk days (the desk's time zone, `period.timeZone`), read from
aggregates kept in step with every ticket change (never a scan of tickets).

`from`, `to`: desk dates (YYYY-MM-DD, real dates from 1970-01-01 to 9998-12-31), both required (400 without them),
`from` <= `to`, at most 400 days (400 otherwise). `by`: `day` (default), `week`
(ISO weeks), `month`, or a dimension: `channel`, `category`, `priority`, `group`, `agent` (the ticket's owner, else
its assignee), `hour`, `weekday` (of the moment counted, on the desk's clock). Supervisors and admins read any
breakdown (with `agent=<id>`: one agent); agents only `by=agent`, their own figures (403 otherwise).
`Accept: text/csv` answers CSV (nested fields as dotted columns, a last `total` line).

Each figure is counted on the desk day of the moment it belongs to:
- **created**, **complaints** (category `complaint`: `count`, `share` of created, `closedWithin48hRate`: first resolved
  within 48 h of creation), **firstResponse** and **slaBreachRate.firstResponse**: the creation day.
- **firstResponse**: creation to the first public reply by a person (automatic acknowledgements and system authors
  excluded); `meanSeconds`, nearest-rank `p50Seconds` and `p90Seconds` (durations kept to the second under 10 minutes,
  the minute under a day, the hour beyond), `withinTargetRate` (no later than the ticket's first-response due time),
  `businessMeanSeconds` (business time on the ticket's SLA calendar).
- **resolved**, **resolution** (creation to the last resolution, same statistics), **handleTime** (seconds worked:
  `metadata.handleSeconds` of intake messages plus `POST /tickets/{id}/work`; mean over resolved tickets that have
  any), **fcrRate** (resolved by the group first routed to, never reopened, no follow-up ticket, no ticket of the same
  customer and category opened within 7 days after), **reopenRate**, **slaBreachRate.resolution**: the day of the
  last resolution; a later reopen takes the ticket out of that day until it is resolved again.
- **escalations** (steps that raised the level, `byLevel`): the day of the step. **csat** (`responses`, `mean`,
  `satisfiedRate`: 4-5) and **nps** (`responses`, `score`: % promoters 9-10 minus % detractors 0-6): the answer's day.
- **backlog**: tickets created and not resolved or closed at the end of the row's last day, `backlogByAge` by age in
  desk days (`0d`, `1-2d`, `3-6d`, `7d+`); null in dimension rows.
- **deflections**: `ticketsResolved` (resolved as `self-service`: the customer said the offered article answered them;
  the day of that resolution), `withoutTicket` (`POST /kb/articles/{id}/deflections` from the new-ticket form, once per
  customer, article and day; totals and time rows only), `count` (both).
- **revisitCoverage**: `revisited` / `due` (`rate`) of the revisit campaigns' runs on the day each was scheduled:
  customers found due (a selected resolved ticket, no revisit within their tier's cycle; unreachable ones included),
  customers sent a survey or a phone-revisit task. Totals and time rows only.
Rates are 0..1; a rate or mean over nothing is null."""


def caller() -> Caller:
    return token_caller(router.current_event)


@router.get(
    "/reports/kpis",
    tags=["reports"],
    summary="Service KPIs for a period",
    description=REPORT_DESCRIPTION,
    responses=responses(
        None, description="The KPIs (application/json, or text/csv for Accept: text/csv)", errors=(403,)
    ),
)
def kpi_report(
    start: Annotated[str | None, Query(alias="from", max_length=10, pattern=DESK_DATE)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10, pattern=DESK_DATE)] = None,
    by: Annotated[Breakdown | None, Query()] = None,
    agent: Annotated[str | None, Query(max_length=128)] = None,
    accept: Annotated[str | None, Header(alias="accept")] = None,
):
    report = reports.kpi_report(caller(), start, end, by, agent)
    if accept and "text/csv" in accept.lower():
        return Response(status_code=200, content_type="text/csv; charset=utf-8", body=csv_text(report))
    return Response(status_code=200, content_type="application/json", body=json.dumps(report, ensure_ascii=False))


@router.post(
    "/tickets/<ticketId>/work",
    tags=["tickets"],
    summary="Record handle time worked on a ticket (agents)",
    description=f"`seconds` worked, 1..{work.MAX_SECONDS}; counted in the ticket's handle time (KPIs). 404 for a "
    "ticket the caller does not reach (the deployment's access scope).",
    responses=responses(None, 201, "The ticket", errors=(403, 409)),
)
def record_work(ticketId: str, body: work.WorkRecord):
    who = caller()
    ticket = work.record_work(who, ticketId, body)
    return Response(
        status_code=201,
        content_type="application/json",
        body=json.dumps(policy.ticket_view(who, ticket)),
        headers={"ETag": f'"{ticket.version}"'},
    )
