"""QA reviews (pattern 15) on the single table, indexed by overloading existing GSIs with `QA#` key prefixes (no
index of their own):

  a review:                         GetItem pk=TICKET#<ticket>, sk=QA#REVIEW#<n> (review id `<ticket>-R<n>`)
  the reviews of a ticket:          Query pk=TICKET#<ticket>, sk begins_with QA#REVIEW# (calibration)
  an agent's reviews by month:      gsi2 gsi2pk=QA#AGENT#<agent>, gsi2sk=<month>#<review id> (begins_with <month>)
  reviews by status and reviewer:   gsi4 gsi4pk=QA#STATUS#<status>, gsi4sk=<reviewer or ->#<month>#<review id>
                                    (begins_with `<reviewer>#`: a reviewer's; `-#`: the open queue, no reviewer yet)

A review sits in its ticket's partition, so the first review of a sampled ticket has a fixed id (`-R1`) and
sampling the same month again finds it rather than making another. Each change is conditioned on the version read.
Reviews hold ticket and agent ids, scores and reviewers' comments about the agent's work: no customer data.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from kefu.ids import is_ticket_id
from kefu.model.tickets import Page
from kefu.store import cursor as cursors
from kefu.store.attributes import CompactJSONAttribute, UtcDateTimeAttribute
from kefu.store.full_items import read_in_full
from kefu.store.models import KefuItem
from kefu.store.qa_coverage import CoverageChange, coverage_update
from kefu.store.tickets import ticket_key
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, condition_failed, connection

REVIEW_PREFIX = "QA#REVIEW#"
UNASSIGNED = "-"
#: A review's number within its ticket: 1-999, ASCII digits, no leading zero.
_NUMBER = re.compile(r"[1-9][0-9]{0,2}")
MOST_REVIEWS = 999


class ReviewChanged(Exception):
    """The review moved on since it was read (another reviewer, the agent): read it again."""


class ReviewExists(Exception):
    """A review with this id exists already."""


class QaReviewItem(KefuItem, discriminator="qa_review"):
    review_id = UnicodeAttribute(attr_name="id")
    ticket_id = UnicodeAttribute(attr_name="ticketId")
    agent_id = UnicodeAttribute(attr_name="agentId")
    month = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    calibration = BooleanAttribute(default=False)
    reviewer_id = UnicodeAttribute(attr_name="reviewerId", null=True)
    rubric = CompactJSONAttribute()
    scores = CompactJSONAttribute(default=list)
    comment = UnicodeAttribute(null=True)
    total = NumberAttribute(null=True)
    passed = BooleanAttribute(null=True)
    fatal_failed = CompactJSONAttribute(attr_name="fatalFailed", default=list)
    scored_at = UtcDateTimeAttribute(attr_name="scoredAt", null=True)
    respond_by = UtcDateTimeAttribute(attr_name="respondBy", null=True)
    acknowledged_at = UtcDateTimeAttribute(attr_name="acknowledgedAt", null=True)
    acknowledgement_note = UnicodeAttribute(attr_name="acknowledgementNote", null=True)
    appeal = CompactJSONAttribute(null=True)
    decision = CompactJSONAttribute(null=True)
    created_at = UtcDateTimeAttribute(attr_name="createdAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    version = VersionAttribute()


def review_id(ticket_id: str, number: int) -> str:
    return f"{ticket_id}-R{number}"


def split_id(review: str) -> tuple[str, int] | None:
    """(ticket id, number) of a review id, or None for a string that is not one."""
    ticket_id, sep, number = review.rpartition("-R")
    if not sep or not is_ticket_id(ticket_id) or not _NUMBER.fullmatch(number):
        return None
    return ticket_id, int(number)


def _keys(record: dict[str, Any]) -> dict[str, str]:
    reviewer = record.get("reviewerId") or UNASSIGNED
    return {
        "gsi2pk": f"QA#AGENT#{record['agentId']}",
        "gsi2sk": f"{record['month']}#{record['id']}",
        "gsi4pk": f"QA#STATUS#{record['status']}",
        "gsi4sk": f"{reviewer}#{record['month']}#{record['id']}",
    }


_FIELDS = {
    "review_id": "id",
    "ticket_id": "ticketId",
    "agent_id": "agentId",
    "month": "month",
    "status": "status",
    "reason": "reason",
    "calibration": "calibration",
    "reviewer_id": "reviewerId",
    "rubric": "rubric",
    "scores": "scores",
    "comment": "comment",
    "total": "total",
    "passed": "passed",
    "fatal_failed": "fatalFailed",
    "scored_at": "scoredAt",
    "respond_by": "respondBy",
    "acknowledged_at": "acknowledgedAt",
    "acknowledgement_note": "acknowledgementNote",
    "appeal": "appeal",
    "decision": "decision",
    "created_at": "createdAt",
    "created_by": "createdBy",
}


_JSON = frozenset({"rubric", "scores", "fatalFailed", "appeal", "decision"})
_TIMES = frozenset({"scoredAt", "respondBy", "acknowledgedAt", "createdAt"})


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _stored(name: str, value: Any) -> Any:
    """A record's value as its attribute takes it: JSON values plain, instants as datetimes."""
    if value is None:
        return None
    if name in _JSON:
        return json.loads(json.dumps(value, default=_iso))
    if name in _TIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    if hasattr(value, "value"):  # an enum member
        return value.value
    return value


def _item(record: dict[str, Any], version: int | None) -> QaReviewItem:
    ticket_id, number = split_id(record["id"]) or (record["ticketId"], 0)
    # A whole item is put: a value left out (None) is absent, or its attribute's default.
    values: dict[str, Any] = {
        attribute: value
        for attribute, name in _FIELDS.items()
        if (value := _stored(name, record.get(name))) is not None
    }
    values.update(_keys({**record, "status": _stored("status", record["status"])}))
    item = QaReviewItem(ticket_key(ticket_id), f"{REVIEW_PREFIX}{number}", **values)
    if version is not None:
        item.version = version
    return item


def record_of(item: QaReviewItem) -> dict[str, Any]:
    """The stored review as plain values (the domain validates it into its model)."""
    record = {name: getattr(item, attribute) for attribute, name in _FIELDS.items()}
    record["version"] = int(item.version or 0)
    return record


def get(review: str) -> dict[str, Any] | None:
    parts = split_id(review)
    if parts is None:
        return None
    try:
        item = QaReviewItem.get(ticket_key(parts[0]), f"{REVIEW_PREFIX}{parts[1]}", consistent_read=True)
    except QaReviewItem.DoesNotExist:
        return None
    return record_of(item)


def of_ticket(ticket_id: str) -> list[dict[str, Any]]:
    """Every review of a ticket, first one first."""
    found = [
        record_of(item)
        for item in QaReviewItem.query(
            ticket_key(ticket_id), QaReviewItem.sk.startswith(REVIEW_PREFIX), consistent_read=True
        )
    ]
    return sorted(found, key=lambda record: (split_id(record["id"]) or ("", 0))[1])


def create(record: dict[str, Any], coverage: CoverageChange | None) -> None:
    """A new review (ReviewExists when its id is taken), and what it adds to its agent's month, together."""
    item = _item(record, None)
    try:
        if coverage is None:
            item.save(condition=QaReviewItem.pk.does_not_exist())
            return
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item, condition=QaReviewItem.pk.does_not_exist())
            transaction.update(*coverage_update(coverage))
    except PutError as err:
        if condition_failed(err):
            raise ReviewExists(record["id"]) from None
        raise
    except TransactWriteError as err:
        if cancellation_codes(err)[:1] == [CONDITION_FAILED]:
            raise ReviewExists(record["id"]) from None
        raise


def replace(record: dict[str, Any], version: int, coverage: CoverageChange | None) -> None:
    """The review as changed, on condition it is still at `version` (ReviewChanged otherwise), with what the change
    moves in its agent's month."""
    item = _item(record, version)
    try:
        if coverage is None:
            item.save()
            return
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item)
            transaction.update(*coverage_update(coverage))
    except (PutError, UpdateError) as err:
        if condition_failed(err):
            raise ReviewChanged(record["id"]) from None
        raise
    except TransactWriteError as err:
        if CONDITION_FAILED in cancellation_codes(err):
            raise ReviewChanged(record["id"]) from None
        raise


def by_agent(agent_id: str, month: str | None, status: str | None, *, limit: int, cursor: str | None) -> Page:
    """An agent's reviews, newest month first; `month` narrows by key, `status` after the read (short pages)."""
    partition = f"QA#AGENT#{agent_id}"
    prefix = f"{month}#" if month else None
    return _query(
        QaReviewItem.by_queue,
        "gsi2",
        partition,
        prefix,
        (QaReviewItem.status == status) if status else None,
        limit=limit,
        cursor=cursor,
    )


def by_status(status: str, reviewer: str | None, month: str | None, *, limit: int, cursor: str | None) -> Page:
    """Reviews in a status; `reviewer` (or UNASSIGNED) and then `month` narrow by key; `month` alone after the read."""
    partition = f"QA#STATUS#{status}"
    prefix = None
    condition = None
    if reviewer is not None:
        prefix = f"{reviewer}#{month}#" if month else f"{reviewer}#"
    elif month:
        condition = QaReviewItem.month == month
    return _query(QaReviewItem.by_status, "gsi4", partition, prefix, condition, limit=limit, cursor=cursor)


def _query(index, name: str, partition: str, prefix: str | None, condition, *, limit: int, cursor: str | None) -> Page:
    sort_name = f"{name}sk"
    start = cursors.decode(
        cursor,
        key_names={"pk", "sk", f"{name}pk", sort_name},
        partition=(f"{name}pk", partition),
        sort=(sort_name, prefix) if prefix else None,
    )
    sort_attribute = getattr(QaReviewItem, sort_name)
    result = index.query(
        partition,
        sort_attribute.startswith(prefix) if prefix else None,
        scan_index_forward=False,
        filter_condition=condition,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    items = [record_of(item) for item in read_in_full(result)]
    return Page[dict](items=items, nextCursor=cursors.encode(result.last_evaluated_key))


def lowest_free_number(ticket_id: str) -> int:
    taken = {(split_id(record["id"]) or ("", 0))[1] for record in of_ticket(ticket_id)}
    number = 1
    while number in taken:
        number += 1
    return number
