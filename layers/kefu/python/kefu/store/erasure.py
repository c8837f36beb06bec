"""Erasing a customer's personal data from the table, as steps each safe to repeat (kefu.customers.erasure runs them,
a Step Functions execution at a time; kefu_infra.capabilities.privacy).

What is erased, and what is kept so that the KPI aggregates do not move (their facts come from a ticket's status,
times, channel, category, priority, groups, agents, SLA clock and its timeline's kinds, authors' roles, visibility
and structural data: kefu.kpis.facts):

- the record: name, e-mail, phone, note, tags, language, preferences, external id, other contact points, its name
  index keys; it stays as `erasure: erased` with its dates, so its id answers 410 and its KPIs keep their customer;
- its contact points (e-mail/phone lookups) and its app logins: deleted;
- each ticket: subject, description, resolution note and attachments replaced; each timeline entry's body and
  attachments replaced and its data stripped of every value that is not structural (`redacted_data`);
- each received mail's record (sender, subject, detail, Message-ID, raw key), its Message-ID lookups and its
  ticket's mail thread: removed; the sender's hourly burst counter: deleted;
- survey comments on the survey, its answer and the customer's result: removed (the scores stay).

Raw mails and attachments in S3 are listed by `ticket_files` before the ticket is redacted (the redaction removes
their keys): the caller deletes the objects first, then redacts, so an interrupted step loses no key to an object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from kefu.model.audit import AuditNote
from kefu.store import audit as audit_store
from kefu.store import cursor as cursors
from kefu.store import logins
from kefu.store.customer_merge import PERSONAL, contact_points, read
from kefu.store.customers import CONTACT_SK, contact_key, customer_key
from kefu.store.mail import BURST_SK, THREAD_PREFIX, message_key
from kefu.store.mail_models import BurstItem, MailRecordItem, MailThreadItem, MessageIdItem
from kefu.store.models import ContactItem, CustomerItem, KefuItem, TicketItem, TimelineItem
from kefu.store.survey_models import CustomerSurveyItem, SurveyAnswerItem, SurveyItem
from kefu.store.surveys import ANSWER_SK, RESULT_PREFIX, SURVEY_SK, survey_key
from kefu.store.tickets import TICKET_SK, TIMELINE_PREFIX, ticket_key
from kefu.store.writes import condition_failed

#: What replaces a text that was personal data.
ERASED = "[erased]"
ERASING = "erasing"
DONE = "erased"
#: Keys of a timeline entry's data whose short, code-like values are facts, not personal data (statuses, groups,
#: levels, events, ids kefu drew): kept, so the KPIs computed from them stay the same.
STRUCTURAL_KEYS = frozenset(
    {
        "action",
        "automatic",
        "channel",
        "event",
        "followUp",
        "from",
        "fromGroup",
        "group",
        "level",
        "milestone",
        "priority",
        "category",
        "reason",
        "status",
        "surveyId",
        "to",
        "toGroup",
        "assigneeId",
        "agentId",
        "ownerId",
        "rule",
        "target",
    }
)
# A code: letters, digits, `_` and `-` only (an address, a number with `+`, a name with a space never is one).
_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class ErasureRefused(Exception):
    """The record cannot be erased as it stands (merged into another, or absorbing one): the message says why."""


@dataclass(frozen=True)
class ErasureState:
    status: str
    requested_at: datetime | None
    erased_at: datetime | None
    #: How many times erasure was asked for (each starts an execution, named after it).
    run: int = 0


@dataclass
class TicketFiles:
    """The S3 objects a ticket's personal data is in: attachment keys, raw mail keys (each in its bucket)."""

    attachments: list[str] = field(default_factory=list)
    raw_mails: list[str] = field(default_factory=list)


def request(customer_id: str, *, at: datetime, note: AuditNote) -> ErasureState:
    """Mark the record as being erased (once; a repeated request counts another run) with its audit entry; an
    erased record is returned as it is. ErasureRefused for a merged or absorbing record; CustomerNotFound."""
    item = read(customer_id)
    if item.merged_into:
        raise ErasureRefused(f"customer {customer_id} was merged into {item.merged_into}: erase that one")
    if item.absorbing:
        pending = ", ".join(sorted(item.absorbing))
        raise ErasureRefused(f"customer {customer_id} is absorbing {pending}: repeat that merge to finish it first")
    if item.erasure == DONE:
        return ErasureState(DONE, item.erasure_requested_at, item.erased_at)
    actions: list[Action] = [CustomerItem.erasure.set(ERASING), CustomerItem.erasure_runs.add(1)]
    if item.erasure_requested_at is None:
        actions.append(CustomerItem.erasure_requested_at.set(at))
    try:
        item.update(
            actions, condition=CustomerItem.merged_into.does_not_exist() & CustomerItem.absorbing.does_not_exist()
        )
    except UpdateError as err:
        if condition_failed(err):
            return request(customer_id, at=at, note=note)  # merged or changed meanwhile: decide again
        raise
    audit_store.add(customer_id, note, at)
    return ErasureState(ERASING, item.erasure_requested_at, None, int(item.erasure_runs or 0))


def state(customer_id: str) -> ErasureState | None:
    """The record's erasure, or None if it was never asked for."""
    item = read(customer_id)
    if not item.erasure:
        return None
    return ErasureState(item.erasure, item.erasure_requested_at, item.erased_at, int(item.erasure_runs or 0))


def ticket_page(customer_id: str, cursor: str | None, *, limit: int) -> tuple[list[str], str | None]:
    """A page of the customer's ticket ids (keys only) and the cursor of the next (None after the last)."""
    partition = f"CUST#{customer_id}"
    start = cursors.decode(cursor, key_names={"pk", "sk", "gsi1pk", "gsi1sk"}, partition=("gsi1pk", partition))
    page = KefuItem._get_connection().query(
        partition, index_name="gsi1", attributes_to_get=["pk"], limit=limit, exclusive_start_key=start
    )
    ids = [item["pk"]["S"].removeprefix("TICKET#") for item in page.get("Items", [])]
    last = page.get("LastEvaluatedKey")
    if len(ids) < limit:
        last = None  # DynamoDB may name a last key on a page that ended the partition: nothing follows it
    return ids, cursors.encode(last)


def ticket_files(ticket_id: str) -> TicketFiles:
    """Where the ticket's files are (none once it was redacted: the keys go with it)."""
    files = TicketFiles()
    try:
        ticket = TicketItem.get(ticket_key(ticket_id), TICKET_SK, consistent_read=True)
    except DoesNotExist:
        return files
    files.attachments += [a["key"] for a in ticket.attachments or [] if a.get("key")]
    for item in _entries(ticket_id):
        for entry in _with_packed(item):
            files.attachments += [a["key"] for a in entry.get("attachments") or [] if a.get("key")]
            ses_id = (entry.get("data") or {}).get("sesMessageId")
            if isinstance(ses_id, str):
                record = _mail_record(ses_id)
                if record is not None and record.raw_key:
                    files.raw_mails.append(record.raw_key)
    files.attachments = list(dict.fromkeys(files.attachments))
    return files


def redact_ticket(ticket_id: str) -> None:
    """Replace the ticket's personal data (its files deleted first: `ticket_files`)."""
    for item in _entries(ticket_id):
        for entry in _with_packed(item):
            ses_id = (entry.get("data") or {}).get("sesMessageId")
            if isinstance(ses_id, str):
                _forget_mail(ses_id, ticket_id)
        item.update(
            [
                TimelineItem.data.set(redacted_data(item.data or {})),
                TimelineItem.attachments.set([_redacted_file(a) for a in item.attachments or []]),
                *([TimelineItem.body.set(ERASED)] if item.body else []),
                *([TimelineItem.packed.set([_redacted_entry(p) for p in item.packed])] if item.packed else []),
            ]
        )
    for thread in MailThreadItem.query(ticket_key(ticket_id), MailThreadItem.sk.startswith(THREAD_PREFIX)):
        thread.delete()
    _redact_ticket_item(ticket_id)


def _redact_ticket_item(ticket_id: str) -> None:
    for _ in range(5):
        try:
            ticket = TicketItem.get(ticket_key(ticket_id), TICKET_SK, consistent_read=True)
        except DoesNotExist:
            return
        resolution = dict(ticket.resolution or {})
        if resolution.get("note"):
            resolution["note"] = ERASED
        try:
            ticket.update(
                [
                    TicketItem.subject.set(ERASED),
                    TicketItem.description.set(ERASED),
                    TicketItem.attachments.set([_redacted_file(a) for a in ticket.attachments or []]),
                    *([TicketItem.resolution.set(resolution)] if ticket.resolution else []),
                ]
            )
        except UpdateError as err:
            if condition_failed(err):
                continue  # written meanwhile (its version moved): read it again
            raise
        return


def redacted_data(value: Any, key: str | None = None) -> Any:
    """A timeline entry's data with what is not structural replaced: numbers, booleans and codes under structural
    keys stay (what the KPIs read); every other text is ERASED."""
    if isinstance(value, dict):
        return {k: redacted_data(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted_data(v, key) for v in value]
    if isinstance(value, str):
        return value if key in STRUCTURAL_KEYS and _CODE.match(value) else ERASED
    return value


def _with_packed(item: TimelineItem) -> list[dict[str, Any]]:
    """The entries an item holds, as far as erasure reads them: its own data and attachments, then each packed
    behind it (kefu.store.tickets._packs) as stored."""
    return [{"data": item.data, "attachments": item.attachments}, *(item.packed or [])]


def _redacted_entry(stored: dict[str, Any]) -> dict[str, Any]:
    """A packed entry redacted as an entry item is: its data, its files, its text."""
    redacted = {**stored, "data": redacted_data(stored.get("data") or {})}
    if stored.get("attachments"):
        redacted["attachments"] = [_redacted_file(a) for a in stored["attachments"]]
    if stored.get("body"):
        redacted["body"] = ERASED
    if not redacted["data"]:
        del redacted["data"]
    return redacted


def _redacted_file(attachment: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {k: attachment[k] for k in ("contentType", "size", "inline") if k in attachment}
    return {"name": ERASED, **kept, "omitted": "erased at the customer's request"}


def _entries(ticket_id: str) -> list[TimelineItem]:
    return list(
        TimelineItem.query(ticket_key(ticket_id), TimelineItem.sk.startswith(TIMELINE_PREFIX), consistent_read=True)
    )


def _mail_record(ses_id: str) -> MailRecordItem | None:
    try:
        return MailRecordItem.get(f"MAIL#{ses_id}", "MAIL", consistent_read=True)
    except DoesNotExist:
        return None


def _forget_mail(ses_id: str, ticket_id: str) -> None:
    """The received mail's record keeps its outcome, not who sent what; its lookups and burst counter go."""
    record = _mail_record(ses_id)
    if record is None:
        return
    if record.message_id:
        for ref in MessageIdItem.query(message_key(record.message_id)):
            if isinstance(ref, MessageIdItem) and ref.ticket_id == ticket_id and ref.direction == "in":
                ref.delete()
    if record.sender:
        hour = record.received_at.strftime("%Y%m%d%H")
        _delete(BurstItem(f"BURST#{record.sender[:900]}#{hour}", BURST_SK))
    record.update(
        [
            MailRecordItem.sender.remove(),
            MailRecordItem.subject.remove(),
            MailRecordItem.detail.remove(),
            MailRecordItem.message_id.remove(),
            MailRecordItem.raw_key.set(ERASED),
        ]
    )


def _delete(item: KefuItem) -> None:
    try:
        item.delete()
    except DeleteError as err:
        if not condition_failed(err):
            raise


def erase_record(customer_id: str, *, at: datetime, note: AuditNote) -> ErasureState:
    """The last step: contact points, logins and survey comments, then the record itself, with its audit entry."""
    item = read(customer_id)
    if item.erasure == DONE:
        return ErasureState(DONE, item.erasure_requested_at, item.erased_at, int(item.erasure_runs or 0))
    for point in contact_points(item):
        _delete_if(
            ContactItem(contact_key(point.kind, point.value), CONTACT_SK), ContactItem.customer_id == customer_id
        )
    for sub in logins.logins_of(customer_id):
        logins.forget(sub, customer_id)
    _erase_survey_comments(customer_id)
    actions: list[Action] = [getattr(CustomerItem, name).remove() for name in (*PERSONAL, "other_contacts")]
    actions += [
        CustomerItem.gsi1pk.remove(),
        CustomerItem.gsi1sk.remove(),
        CustomerItem.erasure.set(DONE),
        CustomerItem.erased_at.set(at),
        CustomerItem.updated_at.set(at),
    ]
    try:
        item.update(actions)
    except UpdateError as err:
        if condition_failed(err):
            return erase_record(customer_id, at=at, note=note)  # changed meanwhile (its version moved): again
        raise
    audit_store.add(customer_id, note, at)
    return ErasureState(DONE, item.erasure_requested_at, at, int(item.erasure_runs or 0))


def _erase_survey_comments(customer_id: str) -> None:
    """Comments go from the customer's results, their surveys and the surveys' answers; the scores stay."""
    results = CustomerSurveyItem.query(customer_key(customer_id), CustomerSurveyItem.sk.startswith(RESULT_PREFIX))
    for result in results:
        if not isinstance(result, CustomerSurveyItem):
            continue
        for survey_item in (
            SurveyItem(survey_key(result.survey_id), SURVEY_SK),
            SurveyAnswerItem(survey_key(result.survey_id), ANSWER_SK),
        ):
            try:
                survey_item.update([type(survey_item).comment.remove()], condition=type(survey_item).pk.exists())
            except UpdateError as err:
                if not condition_failed(err):
                    raise
        if result.comment:
            result.update([CustomerSurveyItem.comment.remove()])


def _delete_if(item: KefuItem, condition: Any) -> None:
    try:
        item.delete(condition=condition)
    except DeleteError as err:
        if not condition_failed(err):
            raise
