"""`customer.updated`: the business's CRM tells kefu a customer's tier, tags and its own id for them.

The message comes through the intake queue beside the contacts. It names the customer by kefu id, e-mail or phone;
a customer kefu does not know yet by that e-mail or phone gets a record (with the contact point claimed), so a VIP
is served as one from their first contact. The tier takes effect at the next routing and SLA decision: opening reads
the tier from the record (customer callers, agents naming an id) or from the contact point (by e-mail or phone),
and both are changed together. Delivery is at least once and in any order: applying is setting, and a message
carrying `occurredAt` older than the last one applied changes nothing.
"""

from kefu.clock import now
from kefu.customers import contact
from kefu.customers.updates import CustomerUpdated
from kefu.errors import InvalidRequest
from kefu.ids import new_customer_id
from kefu.model.audit import AuditAction, AuditNote
from kefu.model.customer_records import CustomerProfile
from kefu.model.customers import Customer
from kefu.model.ticket_requests import CustomerRef
from kefu.store import customer_records as records
from kefu.store import customers as customer_store

#: Who the audit trail says changed a record on the CRM's word (`system:` is no Cognito sub).
CRM_ACTOR = "system:crm"


def apply(message: CustomerUpdated) -> CustomerProfile:
    """Set the customer's tier, tags and external id; InvalidRequest for a customer id kefu never issued or a
    malformed contact point (no retry can apply those)."""
    changes: dict = {"externalId": message.externalId}
    if message.tier is not None:
        changes["tier"] = message.tier
    if message.tags is not None:
        changes["tags"] = list(dict.fromkeys(tag.lower() for tag in message.tags))
    if message.occurredAt is not None:
        changes["crmUpdatedAt"] = message.occurredAt
    entry = AuditNote(actorId=CRM_ACTOR, actorRole="system", action=AuditAction.CHANGED, fields=list(changes))
    for _ in range(3):
        customer_id = _customer_id(message.customer)
        try:
            return records.change(
                customer_id,
                changes,
                expected_version=None,
                at=now(),
                crm_newer_than=message.occurredAt is not None,
                audit=entry,
            )
        except records.CustomerNotFound:
            if message.customer.id:
                raise InvalidRequest(f"customer {message.customer.id} does not exist") from None
            continue  # its contact point was claimed by a record not written yet: look again
        except records.CustomerMerged as merged:
            # The CRM's id may name a record merged since: the change is the survivor's.
            message = message.model_copy(update={"customer": CustomerRef(id=merged.survivor_id)})
        except records.CustomerErased:
            raise InvalidRequest(f"customer {customer_id} was erased: the CRM's change is not kept") from None
    raise InvalidRequest("the customer could not be found or created by its contact point")


def _customer_id(ref: CustomerRef) -> str:
    if ref.id:
        return ref.id
    email = contact.email_address(ref.email) if ref.email else None
    phone = contact.phone_number(ref.phone) if ref.phone else None
    for kind, value in (("email", email), ("phone", phone)):
        if value:
            found = customer_store.by_contact(kind, value)
            if found:
                return found.id
    moment = now()
    customer = Customer(
        id=new_customer_id(), name=ref.name, email=email, phone=phone, createdAt=moment, updatedAt=moment
    )
    records.claim(customer_store.new_items(customer))
    return customer.id
