"""The table's kinds of a customer's records (kefu.store.audit, kefu.store.exports): the audit trail of their
record, their data exports. Apart from kefu.store.models, which says why."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute

from kefu.store.attributes import UtcDateTimeAttribute
from kefu.store.models import KefuItem


class AuditItem(KefuItem, discriminator="audit"):
    """Who read, changed, exported or erased a customer's record (kefu.store.audit):
    pk=AUDIT#CUST#<customer>, sk=<at>#<entry id>; gsi1pk=AUDIT#ACTOR#<actor>, gsi1sk=<at>#<entry id>."""

    entry_id = UnicodeAttribute(attr_name="id")
    customer_id = UnicodeAttribute(attr_name="customerId")
    actor_id = UnicodeAttribute(attr_name="actorId")
    actor_role = UnicodeAttribute(attr_name="actorRole")
    action = UnicodeAttribute()
    #: What the action touched (the fields a change set), never their values.
    fields = ListAttribute(of=UnicodeAttribute, null=True)
    at = UtcDateTimeAttribute()


class ExportItem(KefuItem, discriminator="export"):
    """A customer's data export (kefu.store.exports): pk=CUST#<customer>, sk=EXPORT#<job id>."""

    job_id = UnicodeAttribute(attr_name="id")
    customer_id = UnicodeAttribute(attr_name="customerId")
    status = UnicodeAttribute()  # running | done | failed
    requested_by = UnicodeAttribute(attr_name="requestedBy")
    requested_at = UtcDateTimeAttribute(attr_name="requestedAt")
    finished_at = UtcDateTimeAttribute(attr_name="finishedAt", null=True)
    #: The archive's key in the attachments bucket (exports/<job id>.jsonl), once written.
    archive_key = UnicodeAttribute(attr_name="archiveKey", null=True)
    error = UnicodeAttribute(null=True)
