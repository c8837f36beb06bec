"""The automatic QA checks' findings, one item per ticket (pattern 15's companion; kefu.qa.inspection):

  a ticket's findings:   GetItem pk=TICKET#<id>, sk=QA#FINDINGS
  many tickets' findings: BatchGetItem of those keys (the monthly sampling: 100 per call)

The item sits in the ticket's partition, beside its timeline, and carries what sampling stratifies on (the agent,
the desk month of the resolution, complaint, lowest CSAT), so sampling never reads a timeline. It holds ticket ids,
timeline entry ids, rule names and, as evidence, only the configured phrases and emotion words that matched, never
a customer's free text or contact data: erasing a customer touches nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.models import KefuItem
from kefu.store.tickets import ticket_key

FINDINGS_SK = "QA#FINDINGS"
_BATCH_GET = 100


class QaFindingsItem(KefuItem, discriminator="qa_findings"):
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    agent_id = UnicodeAttribute(attr_name="agentId", null=True)
    #: The desk month (yyyy-mm) the ticket was resolved in.
    month = UnicodeAttribute(null=True)
    complaint = BooleanAttribute(default=False)
    lowest_csat = NumberAttribute(attr_name="lowestCsat", null=True)
    findings = CompactJSONAttribute(default=list)
    ticket_version = NumberAttribute(attr_name="ticketVersion")
    checked_at = UtcDateTimeAttribute(attr_name="checkedAt")


def read(ticket_id: str) -> QaFindingsItem | None:
    try:
        return QaFindingsItem.get(ticket_key(ticket_id), FINDINGS_SK)
    except QaFindingsItem.DoesNotExist:
        return None


def put(
    ticket_id: str,
    *,
    agent_id: str | None,
    month: str | None,
    complaint: bool,
    lowest_csat: int | None,
    findings: list[dict],
    ticket_version: int,
    at: datetime,
) -> None:
    """Keep the ticket's findings, unless a newer version of the ticket was checked already (a late record)."""
    item = QaFindingsItem(
        ticket_key(ticket_id),
        FINDINGS_SK,
        ticket_id=ticket_id,
        agent_id=agent_id,
        month=month,
        complaint=complaint,
        lowest_csat=lowest_csat,
        findings=findings,
        ticket_version=ticket_version,
        checked_at=at,
    )
    item.save(
        condition=QaFindingsItem.pk.does_not_exist() | (QaFindingsItem.ticket_version <= ticket_version),
    )


def read_many(ticket_ids: Iterable[str]) -> dict[str, QaFindingsItem]:
    """The findings of these tickets that have any, by ticket id (BatchGetItem, 100 keys a call)."""
    keys = [(ticket_key(ticket_id), FINDINGS_SK) for ticket_id in dict.fromkeys(ticket_ids)]
    found: dict[str, QaFindingsItem] = {}
    for start in range(0, len(keys), _BATCH_GET):
        for item in QaFindingsItem.batch_get(keys[start : start + _BATCH_GET]):
            found[item.ticket_id] = item
    return found
