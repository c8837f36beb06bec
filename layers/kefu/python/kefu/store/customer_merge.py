"""Merging one customer record (the absorbed) into another (the survivor), as an ordered list of steps, each safe to
repeat: a merge cut short anywhere finishes when it is asked for again.

1. `begin`: one transaction records the merge on the absorbed record (`mergedInto`, its name out of the name index)
   and on the survivor (`absorbing` lists it), with an audit entry on each. From then on every customer route
   answers the absorbed id with the survivor, and neither record can be merged elsewhere or erased until step 5.
2. `move_contact` for each contact point of the absorbed record: the e-mail/phone lookups name the survivor.
3. `move_login` for each app login of the absorbed record (kefu.store.logins): its next request is the survivor.
4. `move_ticket` for each ticket still under the absorbed id (`absorbed_ticket_ids`), with the surveys sent about
   it, and `move_surveys` (the absorbed record's survey results).
5. `finish`: one transaction fills the survivor's blanks from the absorbed record (tags joined, notes kept, the
   contact points it took over; the survivor's tier stands: staff change it, which rewrites every contact point),
   takes the absorbed id off its `absorbing` list and leaves the absorbed record a tombstone without personal data
   (id, `mergedInto`, dates).

Two merges racing over the same records (A←B with B←A, or C←A with B←A) meet in step 1: the transactions touch
the same items under their versions, so one is refused and sees, on reading again, why (already merged, merged
elsewhere, absorbing one itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from kefu.errors import Conflict
from kefu.model.audit import AuditNote
from kefu.model.customer_records import ContactPoint
from kefu.store import audit as audit_store
from kefu.store import logins
from kefu.store.customer_records import CustomerNotFound
from kefu.store.customers import CONTACT_SK, CUSTOMER_SK, contact_key, customer_key, name_keys
from kefu.store.models import ContactItem, CustomerItem, KefuItem, TicketItem, TimelineItem
from kefu.store.survey_models import CustomerSurveyItem, SurveyItem
from kefu.store.surveys import RESULT_PREFIX, SURVEY_SK, survey_key
from kefu.store.tickets import TICKET_SK, TIMELINE_PREFIX, ticket_key
from kefu.store.writes import CONDITION_FAILED, cancellation_codes, condition_failed, connection

#: The personal data of a record: what the survivor takes over, and what the absorbed tombstone no longer holds.
PERSONAL = ("name", "email", "phone", "note", "tags", "preferred_language", "contact_preferences", "external_id")


class MergeRefused(Conflict):
    """The records cannot be merged as asked (HTTP 409): the message says why and what to do."""


@dataclass(frozen=True)
class MergeStart:
    #: False when the merge was recorded before (an interrupted merge, asked for again): its steps are redone.
    started: bool
    survivor_tier: str
    survivor_name: str | None


def read(customer_id: str) -> CustomerItem:
    try:
        return CustomerItem.get(customer_key(customer_id), CUSTOMER_SK, consistent_read=True)
    except DoesNotExist:
        raise CustomerNotFound(customer_id) from None


def begin(absorbed_id: str, survivor_id: str, *, at: datetime, notes: tuple[AuditNote, AuditNote]) -> MergeStart:
    """Step 1: record the merge on both records (or find it recorded); MergeRefused when it cannot be."""
    for _ in range(4):
        survivor, absorbed = read(survivor_id), read(absorbed_id)
        _check(survivor, absorbed)
        if absorbed.merged_into == survivor_id:
            return MergeStart(False, survivor.tier, survivor.name)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    absorbed,
                    [
                        CustomerItem.merged_into.set(survivor_id),
                        CustomerItem.merged_at.set(at),
                        CustomerItem.gsi1pk.remove(),
                        CustomerItem.gsi1sk.remove(),
                    ],
                    condition=CustomerItem.merged_into.does_not_exist()
                    & CustomerItem.erasure.does_not_exist()
                    & CustomerItem.absorbing.does_not_exist(),
                )
                transaction.update(
                    survivor,
                    [CustomerItem.absorbing.add({absorbed_id})],
                    condition=CustomerItem.merged_into.does_not_exist() & CustomerItem.erasure.does_not_exist(),
                )
                transaction.save(audit_store.item_of(absorbed_id, notes[0], at))
                transaction.save(audit_store.item_of(survivor_id, notes[1], at))
        except TransactWriteError as err:
            if any(code is not None for code in cancellation_codes(err)):
                continue  # one of them changed meanwhile (perhaps a racing merge): read both again, then decide
            raise
        return MergeStart(True, survivor.tier, survivor.name)
    raise MergeRefused(f"customers {survivor_id} and {absorbed_id} kept changing; try the merge again")


def _check(survivor: CustomerItem, absorbed: CustomerItem) -> None:
    s, a = survivor.customer_id, absorbed.customer_id
    if survivor.merged_into:
        raise MergeRefused(f"customer {s} was merged into {survivor.merged_into}: merge into that one")
    if survivor.erasure:
        raise MergeRefused(f"customer {s} was erased: nothing can be merged into it")
    if absorbed.merged_into and absorbed.merged_into != s:
        raise MergeRefused(f"customer {a} was merged into {absorbed.merged_into} already")
    if absorbed.erasure:
        raise MergeRefused(f"customer {a} was erased: there is nothing left to merge")
    if absorbed.absorbing and not absorbed.merged_into:
        pending = ", ".join(sorted(absorbed.absorbing))
        raise MergeRefused(f"customer {a} is absorbing {pending}: repeat that merge to finish it first")
    if s in (absorbed.absorbing or set()):
        raise MergeRefused(f"customer {s} is being merged into {a}: repeat that merge to finish it")


def contact_points(item: CustomerItem) -> list[ContactPoint]:
    points = [ContactPoint(kind="email", value=item.email)] if item.email else []
    points += [ContactPoint(kind="phone", value=item.phone)] if item.phone else []
    return points + [ContactPoint(**point) for point in item.other_contacts or []]


def move_contact(point: ContactPoint, absorbed_id: str, survivor_id: str, *, tier: str, name: str | None) -> bool:
    """Step 2: the contact point names the survivor, if it was the absorbed record's (or is the survivor's now)."""
    actions: list[Action] = [ContactItem.customer_id.set(survivor_id), ContactItem.tier.set(tier)]
    actions.append(ContactItem.name.set(name) if name else ContactItem.name.remove())
    try:
        ContactItem(contact_key(point.kind, point.value), CONTACT_SK).update(
            actions,
            condition=(ContactItem.customer_id == absorbed_id) | (ContactItem.customer_id == survivor_id),
        )
    except UpdateError as err:
        if condition_failed(err):
            return False  # another record's claim (or none): the record held it, never owned it
        raise
    return True


def move_logins(absorbed_id: str, survivor_id: str, at: datetime) -> None:
    """Step 3: the absorbed record's logins are the survivor's; a token whose sub is the absorbed id, should one
    come (a record made for an app user), finds the survivor at its first request."""
    for sub in logins.logins_of(absorbed_id):
        logins.move(sub, absorbed_id, survivor_id)
    logins.settle(absorbed_id, survivor_id, linked_by="merge", at=at)


def absorbed_ticket_ids(absorbed_id: str, *, limit: int = 100) -> list[str]:
    """Up to `limit` tickets still under the absorbed id (keys only: the index's projection does not matter)."""
    page = KefuItem._get_connection().query(
        f"CUST#{absorbed_id}", index_name="gsi1", attributes_to_get=["pk"], limit=limit
    )
    return [
        item["pk"]["S"].removeprefix("TICKET#")
        for item in page.get("Items", [])
        if item["pk"]["S"].startswith("TICKET#")
    ]


def move_ticket(ticket_id: str, absorbed_id: str, survivor_id: str) -> None:
    """Step 4: the ticket is the survivor's, under a new version (a writer holding the old one reads it again);
    its surveys first (an answer to one sent before the merge then counts for the survivor), so that a merge cut
    short between the two still finds the ticket under the absorbed id."""
    _move_surveys_of(ticket_id, absorbed_id, survivor_id)
    for _ in range(5):
        try:
            item = TicketItem.get(ticket_key(ticket_id), TICKET_SK, consistent_read=True)
        except DoesNotExist:
            return
        if item.customer_id != absorbed_id:
            return
        try:
            item.update(
                [TicketItem.customer_id.set(survivor_id), TicketItem.gsi1pk.set(f"CUST#{survivor_id}")],
                condition=TicketItem.customer_id == absorbed_id,
            )
        except UpdateError as err:
            if condition_failed(err):
                continue  # the ticket was written meanwhile: read it again
            raise
        return
    raise Conflict(f"ticket {ticket_id} kept changing while it moved; repeat the merge")


def _move_surveys_of(ticket_id: str, absorbed_id: str, survivor_id: str) -> None:
    """The surveys sent about the ticket (its timeline's survey entries name them) are the survivor's."""
    entries = TimelineItem.query(
        ticket_key(ticket_id),
        TimelineItem.sk.startswith(TIMELINE_PREFIX),
        filter_condition=TimelineItem.entry_kind == "survey",
    )
    survey_ids = {entry.data.get("surveyId") for entry in entries if isinstance(entry.data, dict)}
    for survey_id in sorted(i for i in survey_ids if isinstance(i, str)):
        try:
            SurveyItem(survey_key(survey_id), SURVEY_SK).update(
                [SurveyItem.customer_id.set(survivor_id)], condition=SurveyItem.customer_id == absorbed_id
            )
        except UpdateError as err:
            if not condition_failed(err):
                raise


def move_surveys(absorbed_id: str, survivor_id: str) -> None:
    """Step 4: the absorbed record's survey results are the survivor's (copied, then deleted from the absorbed)."""
    results = KefuItem.query(customer_key(absorbed_id), KefuItem.sk.startswith(RESULT_PREFIX), consistent_read=True)
    for result in list(results):
        if not isinstance(result, CustomerSurveyItem):
            continue
        moved = CustomerSurveyItem(customer_key(survivor_id), result.sk, **_survey_fields(result))
        moved.save()
        try:
            SurveyItem(survey_key(result.survey_id), SURVEY_SK).update(
                [SurveyItem.customer_id.set(survivor_id)], condition=SurveyItem.pk.exists()
            )
        except UpdateError as err:
            if not condition_failed(err):
                raise
        try:
            result.delete()
        except DeleteError as err:
            if not condition_failed(err):
                raise


def _survey_fields(item: CustomerSurveyItem) -> dict[str, Any]:
    return {
        "survey_id": item.survey_id,
        "ticket_id": item.ticket_id,
        "campaign_id": item.campaign_id,
        "channel": item.channel,
        "csat": item.csat,
        "nps": item.nps,
        "comment": item.comment,
        "answered_at": item.answered_at,
    }


def finish(absorbed_id: str, survivor_id: str, *, at: datetime) -> None:
    """Step 5: the survivor takes over what it lacks; the absorbed record keeps no personal data. Done once: a
    survivor no longer absorbing the record has finished this merge before."""
    for _ in range(4):
        survivor, absorbed = read(survivor_id), read(absorbed_id)
        if absorbed_id not in (survivor.absorbing or set()):
            return
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(survivor, _taken_over(survivor, absorbed, at))
                transaction.update(
                    absorbed, [getattr(CustomerItem, name).remove() for name in (*PERSONAL, "other_contacts")]
                )
        except TransactWriteError as err:
            if CONDITION_FAILED in cancellation_codes(err):
                continue
            raise
        return
    raise Conflict(f"customer {survivor_id} kept changing; repeat the merge to finish it")


def _taken_over(survivor: CustomerItem, absorbed: CustomerItem, at: datetime) -> list[Action]:
    actions: list[Action] = [CustomerItem.absorbing.delete({absorbed.customer_id}), CustomerItem.updated_at.set(at)]
    for name in ("name", "note", "preferred_language", "contact_preferences", "external_id"):
        mine, theirs = getattr(survivor, name), getattr(absorbed, name)
        if theirs and not mine:
            actions.append(getattr(CustomerItem, name).set(theirs))
        elif name == "note" and mine and theirs and theirs != mine:
            actions.append(CustomerItem.note.set(f"{mine}\n\n{theirs}"[:4000]))
    if absorbed.name and not survivor.name:
        keys = name_keys(survivor.customer_id, absorbed.name)
        if keys["gsi1pk"] and keys["gsi1sk"]:  # a name of letters (one of spaces only has no index keys)
            actions += [CustomerItem.gsi1pk.set(keys["gsi1pk"]), CustomerItem.gsi1sk.set(keys["gsi1sk"])]
    tags = list(dict.fromkeys([*(survivor.tags or []), *(absorbed.tags or [])]))[:20]
    if tags != list(survivor.tags or []):
        actions.append(CustomerItem.tags.set(tags))
    if absorbed.last_revisited_at and (
        survivor.last_revisited_at is None or absorbed.last_revisited_at > survivor.last_revisited_at
    ):
        actions.append(CustomerItem.last_revisited_at.set(absorbed.last_revisited_at))
    held = {(p.kind, p.value) for p in contact_points(survivor)}
    others = [p.model_dump() for p in contact_points(absorbed) if (p.kind, p.value) not in held and _owned(p, survivor)]
    if others:
        actions.append(CustomerItem.other_contacts.set([*(survivor.other_contacts or []), *others]))
    return actions


def _owned(point: ContactPoint, survivor: CustomerItem) -> bool:
    """Whether the contact point's lookup names the survivor (moved in step 2, not another record's claim)."""
    try:
        item = ContactItem.get(contact_key(point.kind, point.value), CONTACT_SK, consistent_read=True)
    except DoesNotExist:
        return False
    return item.customer_id == survivor.customer_id
