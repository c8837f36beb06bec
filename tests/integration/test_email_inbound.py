"""Mail SES stored becomes a ticket on the e-mail channel, once however often it is delivered, with its files."""

from __future__ import annotations

import json
from email.utils import make_msgid

import boto3
import pytest
import yaml

from tests.conftest import EVENTS, ROOT
from tests.integration.mailroom import (
    ATTACHMENTS_BUCKET,
    COMPLAINTS,
    RAW_BUCKET,
    REGION,
    all_tickets,
    as_stored_by_ses,
    mail,
    mailroom_fixture,  # noqa: F401 - provides the `mailroom` fixture
    message_id_of,
    messages,
    record_of,
    ses_id,
    tickets_of,
    timeline,
)


def test_a_new_mail_opens_an_email_ticket_for_a_new_customer_named_as_the_sender(mailroom):
    message = mail(subject="Re: Order 1042 never arrived", body="Hello,\nmy parcel has not arrived after nine days.")

    ses = mailroom.deliver(message)

    [ticket] = tickets_of("li.lei@example.cn")
    assert ticket.channel.value == "email"
    assert ticket.subject == "Order 1042 never arrived"
    assert ticket.description == "Hello,\nmy parcel has not arrived after nine days."
    from kefu.store import customers

    customer = customers.get(ticket.customerId)
    assert (customer.email, customer.name) == ("li.lei@example.cn", "Li Lei")
    [opening] = messages(ticket.id)
    assert opening.authorId == "system:email"
    assert opening.data["event"] == "created"
    assert opening.data["messageId"] == message_id_of(message)
    assert opening.data["sesMessageId"] == ses
    assert opening.data["from"] == "li.lei@example.cn"
    record = record_of(ses)
    assert (record.outcome, record.ticket_id, record.raw_key) == ("accept", ticket.id, f"inbound/{ses}")


def test_a_mail_is_routed_like_any_contact(mailroom):
    mailroom.deliver(mail(subject="Complaint about your courier", body="I want to complain: the courier was rude."))

    [ticket] = tickets_of("li.lei@example.cn")
    assert (ticket.category.value, ticket.groupId, ticket.priority.value) == ("complaint", "complaints", "P2")
    [routing] = [entry for entry in timeline(ticket.id) if entry.kind == "routing"]
    assert routing.data["rule"] == "complaints"


def test_mail_to_a_groups_own_address_opens_its_ticket_in_that_group(mailroom):
    mailroom.deliver(mail(to=COMPLAINTS, subject="Where is my parcel", body="Order 1042 has not arrived."))

    [ticket] = tickets_of("li.lei@example.cn")
    assert ticket.groupId == "complaints"


def test_mail_to_the_complaints_address_is_a_complaint_whatever_it_says(mailroom):
    mailroom.deliver(mail(to=COMPLAINTS, subject="Where is my parcel", body="Order 1042 has not arrived."))

    [ticket] = tickets_of("li.lei@example.cn")
    assert (ticket.category.value, ticket.groupId, ticket.priority.value) == ("complaint", "complaints", "P2")
    opening = next(entry for entry in timeline(ticket.id) if entry.data.get("event") == "created")
    assert opening.data["complaintsAddress"] == COMPLAINTS


def test_mail_copied_to_the_complaints_address_is_a_complaint_too(mailroom):
    mailroom.deliver(
        mail(subject="Parcel", body="Order 1042 has not arrived.", headers={"Cc": COMPLAINTS.replace("@", "+x@")})
    )

    [ticket] = tickets_of("li.lei@example.cn")
    assert ticket.category.value == "complaint"


def test_without_a_complaints_address_configured_mail_to_it_is_routed_by_its_words(mailroom):
    mailroom.configure(complaints=None)

    mailroom.deliver(mail(to=COMPLAINTS, subject="Where is my parcel", body="Order 1042 has not arrived."))

    [ticket] = tickets_of("li.lei@example.cn")
    assert (ticket.category.value, ticket.groupId) == ("logistics", "complaints")


def test_a_known_sender_gets_the_ticket_on_their_existing_customer_record(mailroom):
    mailroom.deliver(mail(subject="First question", body="Do you ship to Macau?"))
    mailroom.deliver(mail(subject="Second question", body="Can I pay with Alipay?"))

    first, second = tickets_of("li.lei@example.cn")
    assert first.customerId == second.customerId


def test_the_sample_event_is_read_as_the_stored_mail_it_names(mailroom):
    event = json.loads((EVENTS / "eventbridge_s3_object_created.json").read_text())
    key = event["detail"]["object"]["key"]
    mailroom.store(as_stored_by_ses(mail()), key.rsplit("/", 1)[-1])

    assert mailroom.run([mailroom.record(key)]).failures == []

    assert record_of(key.rsplit("/", 1)[-1]).outcome == "accept"


def test_the_same_stored_mail_delivered_twice_opens_one_ticket(mailroom):
    key = mailroom.store(as_stored_by_ses(mail()))

    assert mailroom.run([mailroom.record(key), mailroom.record(key)]).failures == []
    assert mailroom.run([mailroom.record(key)]).failures == []

    [ticket] = tickets_of("li.lei@example.cn")
    assert len(messages(ticket.id)) == 1


def test_the_same_stored_mail_after_its_idempotency_record_expired_still_opens_one_ticket(mailroom):
    key = mailroom.store(as_stored_by_ses(mail()))
    mailroom.run([mailroom.record(key)])
    _forget_idempotency_records()

    assert mailroom.run([mailroom.record(key)]).failures == []

    [ticket] = tickets_of("li.lei@example.cn")
    assert len(messages(ticket.id)) == 1


def test_a_taken_mail_whose_raw_object_is_gone_keeps_its_first_outcome(mailroom):
    # Given a mail taken, its idempotency record expired and then its raw object removed,
    key = mailroom.store(as_stored_by_ses(mail()))
    mailroom.run([mailroom.record(key)])
    _forget_idempotency_records()
    boto3.client("s3", region_name=REGION).delete_object(Bucket=RAW_BUCKET, Key=key)

    # when it is delivered again, then its record answers: no failure, still one ticket with one message.
    assert mailroom.run([mailroom.record(key)]).failures == []
    [ticket] = tickets_of("li.lei@example.cn")
    assert len(messages(ticket.id)) == 1


def test_a_mail_never_taken_whose_raw_object_is_gone_fails_for_a_retry(mailroom):
    key = mailroom.store(as_stored_by_ses(mail()))
    boto3.client("s3", region_name=REGION).delete_object(Bucket=RAW_BUCKET, Key=key)
    record = mailroom.record(key)

    assert mailroom.run([record]).failures == [record["messageId"]]
    assert tickets_of("li.lei@example.cn") == []


def test_a_kept_mail_after_its_idempotency_record_expired_keeps_its_first_outcome(mailroom):
    # Given an auto-reply kept (ignored), its idempotency record expired since,
    key = mailroom.store(as_stored_by_ses(mail(headers={"Auto-Submitted": "auto-replied"})))
    mailroom.run([mailroom.record(key)])
    first = record_of(key.rsplit("/", 1)[-1])
    _forget_idempotency_records()

    # when it is delivered again, then nothing fails and its first record stands.
    assert mailroom.run([mailroom.record(key)]).failures == []
    assert record_of(key.rsplit("/", 1)[-1]) == first
    assert first.outcome == "ignore"


def test_the_same_message_id_from_the_same_sender_under_another_ses_id_is_a_recorded_duplicate(mailroom):
    message = mail()
    first = mailroom.deliver(message)

    again = mailroom.deliver(message)

    [ticket] = tickets_of("li.lei@example.cn")
    assert len(messages(ticket.id)) == 1
    duplicate = record_of(again)
    assert (duplicate.outcome, duplicate.ticket_id) == ("duplicate", ticket.id)
    assert record_of(first).outcome == "accept"


def test_the_same_message_id_from_another_sender_is_not_a_duplicate(mailroom):
    message = mail()
    mailroom.deliver(message)
    other = mail(sender="Han Meimei <han.meimei@example.cn>", message_id=message_id_of(message))

    mailroom.deliver(other, envelope_from="han.meimei@example.cn")

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert len(tickets_of("han.meimei@example.cn")) == 1


def test_a_record_whose_mail_is_missing_fails_alone_and_the_rest_of_the_batch_is_taken(mailroom):
    good = mailroom.store(as_stored_by_ses(mail()))
    missing = mailroom.record(f"inbound/{ses_id()}")

    result = mailroom.run([missing, mailroom.record(good)])

    assert result.failures == [missing["messageId"]]
    assert len(tickets_of("li.lei@example.cn")) == 1


def test_a_record_that_is_not_an_s3_event_fails_alone(mailroom):
    good = mailroom.store(as_stored_by_ses(mail()))
    broken = mailroom.record(good)
    broken["body"] = json.dumps({"detail-type": "Object Created", "detail": {}})

    result = mailroom.run([broken, mailroom.record(good)])

    assert result.failures == [broken["messageId"]]
    assert len(tickets_of("li.lei@example.cn")) == 1


# --- attachments -------------------------------------------------------------------------------------------


def with_files(*files: tuple[str, str, bytes, bool]):
    """A mail with files: (name, content type, content, inline)."""
    message = mail(subject="Broken lid", body="The lid arrived cracked, photos attached.")
    for name, content_type, content, inline in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=name, disposition="inline" if inline else "attachment"
        )
    return message


def stored(key: str) -> bytes:
    return boto3.client("s3", region_name=REGION).get_object(Bucket=ATTACHMENTS_BUCKET, Key=key)["Body"].read()


def test_attachments_are_stored_in_the_attachment_bucket_and_listed_on_the_ticket(mailroom):
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
    ses = mailroom.deliver(
        with_files(("lid.png", "image/png", photo, False), ("receipt.pdf", "application/pdf", b"%PDF-1.4 x", False))
    )

    [ticket] = tickets_of("li.lei@example.cn")
    first, second = ticket.attachments
    assert (first.name, first.contentType, first.size, first.key) == (
        "lid.png",
        "image/png",
        508,
        f"mail/{ses}/1/lid.png",
    )
    assert (second.name, second.key, second.omitted) == ("receipt.pdf", f"mail/{ses}/2/receipt.pdf", None)
    assert stored(first.key) == photo
    [opening] = messages(ticket.id)
    assert [a.key for a in opening.attachments] == [first.key, second.key]


def test_a_file_over_the_per_file_limit_is_listed_with_the_reason_and_not_stored(mailroom):
    big = b"x" * 2001  # the test deployment allows 2000 bytes a file
    ses = mailroom.deliver(
        with_files(("scan.tiff", "image/tiff", big, False), ("note.txt", "text/plain", b"ok", False))
    )

    [ticket] = tickets_of("li.lei@example.cn")
    scan, note = ticket.attachments
    assert (scan.name, scan.size, scan.key) == ("scan.tiff", 2001, None)
    assert "per-file limit of 2000 bytes" in scan.omitted
    assert note.key == f"mail/{ses}/2/note.txt" and note.omitted is None
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=ATTACHMENTS_BUCKET, Prefix=f"mail/{ses}/")
    assert [o["Key"] for o in listed["Contents"]] == [note.key]


def test_files_beyond_the_total_limit_of_one_mail_are_listed_with_the_reason(mailroom):
    mailroom.deliver(
        with_files(
            ("a.bin", "application/octet-stream", b"a" * 1500, False),
            ("b.bin", "application/octet-stream", b"b" * 1500, False),
            ("c.bin", "application/octet-stream", b"c" * 1500, False),
        )
    )

    [ticket] = tickets_of("li.lei@example.cn")
    a, b, c = ticket.attachments
    assert a.key and b.key and a.omitted is None and b.omitted is None
    assert c.key is None and "limit of 3000 bytes" in c.omitted


def test_files_past_twenty_on_one_mail_are_listed_as_omitted_with_the_reason(mailroom):
    files = [(f"photo-{n:02}.png", "image/png", b"p" * 10, False) for n in range(1, 24)]
    ses = mailroom.deliver(with_files(*files))

    [ticket] = tickets_of("li.lei@example.cn")
    assert [a.name for a in ticket.attachments] == [f"photo-{n:02}.png" for n in range(1, 24)]
    kept, left_out = ticket.attachments[:20], ticket.attachments[20:]
    assert all(a.key and a.omitted is None for a in kept)
    assert all(a.key is None and "limit of 20 files" in a.omitted and a.size == 10 for a in left_out)
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=ATTACHMENTS_BUCKET, Prefix=f"mail/{ses}/")
    assert len(listed["Contents"]) == 20
    [opening] = messages(ticket.id)
    assert [a.omitted for a in opening.attachments[20:]] == [a.omitted for a in left_out]


def test_an_image_pasted_in_the_body_is_an_attachment_noted_inline(mailroom):
    message = mail(subject="Broken lid", body="The lid arrived cracked, see the photo.")
    cid = make_msgid(domain="example.cn")
    message.add_alternative(
        f'<p>The lid arrived cracked, see the photo.</p><img src="cid:{cid[1:-1]}">', subtype="html"
    )
    message.get_body(("html",)).add_related(b"\x89PNG-pasted", maintype="image", subtype="png", cid=cid)

    mailroom.deliver(message)

    [ticket] = tickets_of("li.lei@example.cn")
    [image] = ticket.attachments
    assert image.inline is True and image.key is not None and image.contentType == "image/png"


def test_a_mail_of_files_only_says_so_in_the_description(mailroom):
    message = with_files(("lid.png", "image/png", b"\x89PNG", False))
    message.get_body(("plain",)).set_content("")

    mailroom.deliver(message)

    [ticket] = tickets_of("li.lei@example.cn")
    assert ticket.description == "(no text; see the attachments)"


def _forget_idempotency_records() -> None:
    from kefu.config import settings

    client = boto3.client("dynamodb", region_name=REGION)
    table = settings().idempotency_table_name
    for item in client.scan(TableName=table)["Items"]:
        client.delete_item(TableName=table, Key={"id": item["id"]})


# --- the corpus of real clients' mail ----------------------------------------------------------------------

CORPUS = ROOT / "tests" / "fixtures" / "mail"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
DEV_DOMAIN = "dev.kefu.example.com"  # the corpus was screened with the dev stage's addresses


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_mail_of_the_corpus_is_ticketed_or_kept_as_screened(mailroom, name):
    expected = EXPECTED[name]
    mailroom.configure(
        domain=DEV_DOMAIN,
        recipients=[f"support@{DEV_DOMAIN}", f"complaints@{DEV_DOMAIN}"],
        max_attachment_bytes=10 * 1024 * 1024,
        max_total_attachment_bytes=25 * 1024 * 1024,
    )

    ses = mailroom.deliver((CORPUS / name).read_bytes())

    record = record_of(ses)
    assert (record.outcome, record.reason) == (expected["outcome"], expected["reason"])
    assert record.sender == expected["sender"]
    tickets = all_tickets()
    if expected["outcome"] != "accept":
        assert tickets == [] and record.ticket_id is None
        return
    [ticket] = tickets
    assert (ticket.id, ticket.channel.value) == (record.ticket_id, "email")
    assert [a.name for a in ticket.attachments] == expected["attachments"]
    assert sum(1 for a in ticket.attachments if a.inline) == expected["inline"]
    assert all(a.key for a in ticket.attachments)
    for phrase in expected["reply_contains"]:
        assert phrase in ticket.description


def test_a_mail_to_a_mailbox_an_admin_named_a_group_after_opens_its_ticket_in_that_group(mailroom):
    # Given no deployed group named after the support mailbox, a mail to it goes where routing sends it;
    from kefu.model.agents import GroupSpec
    from kefu.store import agents as agent_store

    mailroom.deliver(mail())
    [routed] = tickets_of("li.lei@example.cn")
    assert routed.groupId != "support"

    # when an admin adds a group named after it, then a new mail to it opens its ticket in that group.
    agent_store.put_group("support", GroupSpec(name="Support desk"))
    mailroom.deliver(mail(sender="Han Meimei <han.meimei@example.cn>"))
    [grouped] = tickets_of("han.meimei@example.cn")
    assert grouped.groupId == "support"
