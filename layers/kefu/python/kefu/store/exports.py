"""A customer's data exports: one item per job under the customer's partition (pk=CUST#<id>, sk=EXPORT#<job>)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from kefu.model.customer_records import ExportJob
from kefu.store.customers import customer_key
from kefu.store.record_models import ExportItem

EXPORT_PREFIX = "EXPORT#"


def archive_key(job_id: str) -> str:
    """Where a job's archive is written, in the attachments bucket."""
    return f"exports/{job_id}.jsonl"


def _key(job_id: str) -> str:
    return f"{EXPORT_PREFIX}{job_id}"


def create(customer_id: str, job_id: str, *, requested_by: str, at: datetime) -> ExportJob:
    item = ExportItem(
        customer_key(customer_id),
        _key(job_id),
        job_id=job_id,
        customer_id=customer_id,
        status="running",
        requested_by=requested_by,
        requested_at=at,
    )
    item.save(condition=ExportItem.pk.does_not_exist())
    return _job(item)


def get(customer_id: str, job_id: str) -> ExportJob | None:
    try:
        item = ExportItem.get(customer_key(customer_id), _key(job_id), consistent_read=True)
    except DoesNotExist:
        return None
    return _job(item)


def finish(customer_id: str, job_id: str, *, archive_key: str | None, error: str | None, at: datetime) -> None:
    item = ExportItem(customer_key(customer_id), _key(job_id))
    item.update(
        [
            ExportItem.status.set("failed" if error else "done"),
            ExportItem.finished_at.set(at),
            ExportItem.archive_key.set(archive_key) if archive_key else ExportItem.archive_key.remove(),
            ExportItem.error.set(error) if error else ExportItem.error.remove(),
        ],
        condition=ExportItem.pk.exists(),
    )


def archives_of(customer_id: str) -> list[str]:
    """The keys of the customer's export archives (what an erasure deletes with them)."""
    found = ExportItem.query(customer_key(customer_id), ExportItem.sk.startswith(EXPORT_PREFIX), consistent_read=True)
    return [item.archive_key for item in found if isinstance(item, ExportItem) and item.archive_key]


def forget_archives(customer_id: str) -> None:
    """The customer's export jobs keep their dates and status, no longer where an archive was (it is deleted)."""
    found = ExportItem.query(customer_key(customer_id), ExportItem.sk.startswith(EXPORT_PREFIX), consistent_read=True)
    for item in found:
        if isinstance(item, ExportItem) and item.archive_key:
            item.update([ExportItem.archive_key.remove(), ExportItem.status.set("erased")])


def _job(item: ExportItem) -> ExportJob:
    return ExportJob(
        id=item.job_id,
        customerId=item.customer_id,
        status=item.status,
        requestedAt=item.requested_at,
        finishedAt=item.finished_at,
        error=item.error,
    )
