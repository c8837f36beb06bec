"""An agent's public reply on an e-mail ticket, and the acknowledgement of a ticket opened by e-mail, go out once
through SES, threaded so the customer's answer comes back to the ticket."""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from tests.conftest import AGENT, EVENTS, Api
from tests.integration.mailroom import (
    ACCOUNT,
    DOMAIN,
    REGION,
    SUPPORT,
    mail,
    mailroom_fixture,  # noqa: F401 - provides the `mailroom` fixture
    message_id_of,
    sent_messages,
    tickets_of,
)


@pytest.fixture
def api(mailroom) -> Api:
    return Api()


@pytest.fixture
def quiet(mailroom):
    """No acknowledgements: only what agents write goes out."""
    mailroom.configure(acknowledge=False)
    return mailroom


def emailed_ticket(mailroom):
    message = mail(subject="Order 1042 never arrived", body="Nine days and no parcel.")
    mailroom.deliver(message)
    [ticket] = tickets_of("li.lei@example.cn")
    return message, ticket


def answer(api: Api, ticket_id: str, body: str = "It is on its way.", visibility: str = "public") -> dict:
    reply = api("POST", f"/tickets/{ticket_id}/messages", who=AGENT, body={"body": body, "visibility": visibility})
    assert reply.status == 201, reply.text
    return reply.json


def test_an_agents_public_reply_goes_to_the_customer_once_threaded_to_their_mail(quiet, api):
    first, ticket = emailed_ticket(quiet)
    entry = answer(api, ticket.id)

    quiet.flush()

    [sent] = sent_messages()
    assert sent["To"].addresses[0].addr_spec == "li.lei@example.cn"
    assert (sent["From"].addresses[0].display_name, sent["From"].addresses[0].addr_spec) == ("Kefu Support", SUPPORT)
    assert str(sent["Message-ID"]) == f"<{ticket.id}-{entry['id']}@{DOMAIN}>"
    assert str(sent["In-Reply-To"]) == f"<{message_id_of(first)}>"
    assert str(sent["References"]) == f"<{message_id_of(first)}>"
    assert f"[{ticket.id}]" in str(sent["Subject"]) and "Order 1042 never arrived" in str(sent["Subject"])
    assert sent["Reply-To"].addresses[0].addr_spec == f"support+{ticket.id}@{DOMAIN}"
    assert sent["Auto-Submitted"] is None
    assert sent.get_content().strip() == "It is on its way."


def test_each_reply_references_the_whole_thread_before_it(quiet, api):
    first, ticket = emailed_ticket(quiet)
    answer(api, ticket.id, "First answer.")
    quiet.flush()
    [first_answer] = sent_messages()
    their_reply = mail(subject="Re: Order 1042", body="Thanks, any tracking number?", in_reply_to=message_id_of(first))
    quiet.deliver(their_reply)

    answer(api, ticket.id, "Tracking number SF1234567890.")
    quiet.flush()

    second_answer = sent_messages()[-1]
    assert str(second_answer["In-Reply-To"]) == f"<{message_id_of(their_reply)}>"
    references = str(second_answer["References"]).split()
    assert references[0] == f"<{message_id_of(first)}>"
    assert references[-1] == f"<{message_id_of(their_reply)}>"
    assert len(references) == 3  # the customer's mail, kefu's first answer (as SES named it), their reply
    assert str(first_answer["Message-ID"]) != str(second_answer["Message-ID"])


def test_a_long_thread_of_ses_length_ids_is_referenced_by_bare_tokens(quiet, api):
    # Given a customer who wrote six times, from SES (ids of ~80 characters), each mail answered by an agent
    from moto.ses.models import ses_backends

    quiet.configure(acknowledge=False, burst_per_hour=20)  # six mails in an hour is a conversation, not a flood
    customer_ids = [f"0100018f3a2b4c5d-6e7f8a9b-1c2d-3e4f-5a6b-{n:012d}-000000@email.amazonses.com" for n in range(6)]
    ticket = None
    for n, message_id in enumerate(customer_ids):
        in_reply_to = customer_ids[n - 1] if n else None
        quiet.deliver(mail(subject="Re: Order 1042", message_id=message_id, in_reply_to=in_reply_to))
        ticket = ticket or tickets_of("li.lei@example.cn")[0]
        answer(api, ticket.id, f"Answer {n}.")
        # When the answer goes out
        quiet.flush()

    # Then its References holds the whole thread (six mails in, five answers out) as bare tokens, never encoded
    raw = ses_backends[ACCOUNT][REGION].sent_messages[-1].raw_data
    head = raw.split("\n\n", 1)[0]
    assert "=?" not in head
    references = str(sent_messages()[-1]["References"]).split()
    assert len(references) == 11
    assert [token for token in references if token.strip("<>") in customer_ids] == [f"<{i}>" for i in customer_ids]
    assert str(sent_messages()[-1]["In-Reply-To"]) == f"<{customer_ids[-1]}>"


def test_a_redelivered_stream_record_sends_nothing_more(quiet, api):
    _, ticket = emailed_ticket(quiet)
    answer(api, ticket.id)
    records = quiet.flush()

    assert quiet.send(copy.deepcopy(records)) == []

    assert len(sent_messages()) == 1


def test_a_record_redelivered_after_its_idempotency_record_expired_is_not_sent_again(quiet, api):
    _, ticket = emailed_ticket(quiet)
    answer(api, ticket.id)
    records = quiet.flush()
    _forget_idempotency_records()

    assert quiet.send(copy.deepcopy(records)) == []

    assert len(sent_messages()) == 1


def test_an_internal_note_is_not_sent_and_does_not_even_invoke_the_sender(quiet, api):
    _, ticket = emailed_ticket(quiet)
    quiet.skip_stream()

    answer(api, ticket.id, "Customer sounds upset; check the courier.", visibility="internal")

    assert quiet.flush() == []
    assert sent_messages() == []


def test_a_reply_on_a_ticket_that_did_not_come_by_email_is_not_sent(quiet, api):
    from tests.conftest import CUSTOMER

    created = api("POST", "/tickets", who=CUSTOMER, body={"subject": "App question", "description": "How do I?"})
    assert created.status == 201
    answer(api, created.json["id"])

    handed = quiet.flush()

    assert len(handed) == 1  # the filters cannot know the channel: the function reads the ticket
    assert sent_messages() == []


def test_a_reply_on_a_ticket_that_did_not_come_by_email_claims_no_idempotency_record(quiet, api):
    from kefu.config import settings
    from kefu.email import outbound
    from kefu.store import tickets as ticket_store
    from tests.conftest import CUSTOMER

    created = api("POST", "/tickets", who=CUSTOMER, body={"subject": "App question", "description": "How do I?"})
    answer(api, created.json["id"])
    entries = ticket_store.timeline(created.json["id"], public_only=True, limit=10, cursor=None).items
    reply = next(entry for entry in entries if entry.kind == "reply")
    _forget_idempotency_records()

    delivery = outbound.deliver_once(reply)

    assert (delivery.sent, delivery.reason) == (False, "not-an-email-ticket")
    table = settings().idempotency_table_name
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"] == [], "nothing to remember"


def test_a_web_tickets_opening_does_not_even_invoke_the_sender_when_acknowledgements_are_on(mailroom, api):
    from tests.conftest import CUSTOMER

    mailroom.skip_stream()
    created = api("POST", "/tickets", who=CUSTOMER, body={"subject": "App question", "description": "How do I?"})
    assert created.status == 201

    # The opening entry carries its ticket's channel: the mapping's filter leaves a web opening out.
    assert mailroom.stream_records() == []


def test_an_emailed_tickets_opening_passes_the_mappings_filter(mailroom):
    mailroom.skip_stream()
    _, ticket = emailed_ticket(mailroom)

    [opening] = mailroom.stream_records()

    assert opening["dynamodb"]["NewImage"]["ticketId"]["S"] == ticket.id


def test_a_ticket_opened_by_email_is_acknowledged_automatically_in_the_thread(mailroom):
    first, ticket = emailed_ticket(mailroom)

    mailroom.flush()

    [ack] = sent_messages()
    assert ack["Auto-Submitted"] == "auto-replied"
    assert str(ack["In-Reply-To"]) == f"<{message_id_of(first)}>"
    assert f"[{ticket.id}]" in str(ack["Subject"])
    assert ack["Reply-To"].addresses[0].addr_spec == f"support+{ticket.id}@{DOMAIN}"
    text = ack.get_content()
    assert f"we received your message: ticket {ticket.id} (Order 1042 never arrived)" in text
    assert f"工单号 {ticket.id}" in text
    assert text.index("Hello") < text.index("您好")  # the customer wrote in English: English first


def test_a_chinese_mail_is_acknowledged_in_chinese_first(mailroom):
    mailroom.deliver(mail(subject="订单1042没收到", body="已经九天了，包裹还没到。"))

    mailroom.flush()

    [ack] = sent_messages()
    text = ack.get_content()
    assert text.index("您好") < text.index("Hello")


def test_with_acknowledgements_off_a_new_ticket_is_not_answered(quiet):
    emailed_ticket(quiet)

    assert quiet.flush() == []
    assert sent_messages() == []


def test_with_acknowledgements_off_an_opening_entry_that_arrives_anyway_is_not_sent(quiet):
    emailed_ticket(quiet)
    quiet.acknowledge = True  # a mapping deployed before the change still lets the opening through

    assert len(quiet.flush()) == 1

    assert sent_messages() == []


def test_an_ses_failure_fails_the_record_and_a_later_retry_sends_it_once(quiet, api):
    _, ticket = emailed_ticket(quiet)
    answer(api, ticket.id)
    records = quiet.stream_records()
    sesv2 = boto3.client("sesv2", region_name=REGION)
    sesv2.delete_email_identity(EmailIdentity=DOMAIN)  # SES refuses to send from an unverified domain

    failed = quiet.send(copy.deepcopy(records))

    assert failed == [records[0]["dynamodb"]["SequenceNumber"]]
    assert sent_messages() == []
    sesv2.create_email_identity(EmailIdentity=DOMAIN)
    assert quiet.send(copy.deepcopy(records)) == []
    assert quiet.send(copy.deepcopy(records)) == []
    assert len(sent_messages()) == 1


def test_a_send_claimed_but_never_marked_sent_is_not_sent_again_and_is_reported(quiet, api, caplog):
    from kefu.clock import now
    from kefu.store import mail as mail_store

    _, ticket = emailed_ticket(quiet)
    entry = answer(api, ticket.id)
    # An earlier attempt died between claiming the send and recording it sent: SES may have sent it.
    mail_store.claim_send(
        f"{ticket.id}-{entry['id']}@{DOMAIN}",
        ticket_id=ticket.id,
        customer_id=ticket.customerId,
        entry_id=entry["id"],
        at=now(),
    )

    quiet.flush()

    assert sent_messages() == []
    assert any(r.levelname == "ERROR" and getattr(r, "entryId", None) == entry["id"] for r in caplog.records)


def test_a_sent_mail_whose_record_fails_is_not_sent_again_and_its_claim_is_not_marked_sent(quiet, api, monkeypatch):
    from kefu.store import mail as mail_store
    from kefu.store.writes import Unprocessed

    _, ticket = emailed_ticket(quiet)
    entry = answer(api, ticket.id)
    records = quiet.stream_records()

    def unavailable(items):
        raise Unprocessed("DynamoDB throttled every attempt")

    with monkeypatch.context() as patched:
        patched.setattr(mail_store, "put_all", unavailable)
        assert quiet.send(copy.deepcopy(records)) == [records[0]["dynamodb"]["SequenceNumber"]]
    assert len(sent_messages()) == 1, "SES sent it before the record failed"
    (claim,) = mail_store.refs(f"{ticket.id}-{entry['id']}@{DOMAIN}")
    assert claim.state == mail_store.SENDING, "a claim is marked sent only with its thread entry written"

    assert quiet.send(copy.deepcopy(records)) == []
    assert len(sent_messages()) == 1, "the retry did not send it again"


def test_the_stream_filters_let_through_public_replies_and_openings_only(mailroom, api):
    _, ticket = emailed_ticket(mailroom)
    answer(api, ticket.id, "Public answer.")
    answer(api, ticket.id, "Internal note.", visibility="internal")
    api("POST", f"/tickets/{ticket.id}/transition", who=AGENT, body={"to": "pending"})

    handed = mailroom.stream_records()

    kinds = [(r["dynamodb"]["NewImage"]["entryKind"]["S"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in handed]
    assert [kind for kind, _ in kinds] == ["message", "reply"]
    assert kinds[0][1] == "TL#0000000001-00"


def test_an_entry_that_makes_no_mail_succeeds_without_sending_if_delivered(mailroom):
    event = json.loads((EVENTS / "dynamodb_stream_timeline_insert.json").read_text())

    assert mailroom.send(event["Records"]) == []

    assert sent_messages() == []


def _forget_idempotency_records() -> None:
    from kefu.config import settings

    client = boto3.client("dynamodb", region_name=REGION)
    table = settings().idempotency_table_name
    for item in client.scan(TableName=table)["Items"]:
        client.delete_item(TableName=table, Key={"id": item["id"]})
