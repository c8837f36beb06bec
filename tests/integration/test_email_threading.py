"""A reply finds its ticket by In-Reply-To, the References chain, the subject token or the reply address — only
among the sender's own tickets — and reopens it within the reopen window, or follows it up after."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from tests.conftest import AGENT, ROOT, Api
from tests.integration.mailroom import (
    DOMAIN,
    all_tickets,
    mail,
    mailroom_fixture,  # noqa: F401 - provides the `mailroom` fixture
    message_id_of,
    messages,
    record_of,
    sent_messages,
    tickets_of,
    timeline,
)

LI = "Li Lei <li.lei@example.cn>"
HAN = "Han Meimei <han.meimei@example.cn>"


@pytest.fixture
def api(mailroom) -> Api:
    return Api()


def first_mail(mailroom, sender: str = LI):
    """A customer's first mail, and the ticket it opened."""
    message = mail(sender=sender, subject="Order 1042 never arrived", body="Nine days and no parcel.")
    address = sender.split("<")[1].rstrip(">")
    mailroom.deliver(message, envelope_from=address)
    [ticket] = tickets_of(address)
    return message, ticket


def reply(mailroom, sender: str = LI, **fields) -> str:
    address = sender.split("<")[1].rstrip(">")
    fields.setdefault("subject", "Re: Order 1042 never arrived")
    fields.setdefault("body", "Any news?\n\n> Nine days and no parcel.")
    return mailroom.deliver(mail(sender=sender, **fields), envelope_from=address)


def test_a_reply_by_in_reply_to_is_added_to_the_ticket_as_the_customers_message(mailroom):
    first, ticket = first_mail(mailroom)

    ses = reply(mailroom, in_reply_to=message_id_of(first), references=[message_id_of(first)])

    assert len(tickets_of("li.lei@example.cn")) == 1
    _, answer = messages(ticket.id)
    assert answer.body == "Any news?"  # what the customer wrote this time, without the quoted history
    assert answer.data["threadedBy"] == "in-reply-to"
    assert answer.data["sesMessageId"] == ses
    assert (record_of(ses).outcome, record_of(ses).ticket_id, record_of(ses).threaded_by) == (
        "accept",
        ticket.id,
        "in-reply-to",
    )


def test_a_reply_is_threaded_by_an_earlier_message_of_its_references_chain(mailroom):
    first, ticket = first_mail(mailroom)

    reply(
        mailroom,
        in_reply_to="unknown-to-kefu@example.cn",
        references=[message_id_of(first), "unknown-to-kefu@example.cn"],
    )

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert messages(ticket.id)[-1].data["threadedBy"] == "references"


def test_a_reply_is_threaded_by_the_ticket_token_in_its_subject(mailroom):
    _, ticket = first_mail(mailroom)

    reply(mailroom, subject=f"Re: Order 1042 never arrived [{ticket.id}]")

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert messages(ticket.id)[-1].data["threadedBy"] == "subject-token"


def test_a_reply_is_threaded_by_the_reply_address_it_was_sent_to(mailroom):
    _, ticket = first_mail(mailroom)

    reply(mailroom, to=f"support+{ticket.id}@{DOMAIN}", subject="About my parcel")

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert messages(ticket.id)[-1].data["threadedBy"] == "reply-address"


def test_the_answer_to_an_agents_mail_is_threaded_by_the_message_id_kefu_sent_it_with(mailroom, api):
    _, ticket = first_mail(mailroom)
    assert api("POST", f"/tickets/{ticket.id}/messages", who=AGENT, body={"body": "It is on its way."}).status == 201
    mailroom.flush()
    agents_mail = sent_messages()[-1]

    reply(mailroom, in_reply_to=str(agents_mail["Message-ID"]).strip("<>"), subject="Re: thanks")

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert messages(ticket.id)[-1].data["threadedBy"] == "in-reply-to"


def test_the_answer_to_an_agents_mail_is_threaded_by_the_message_id_ses_gave_it(mailroom, api):
    from moto.ses.models import ses_backends

    from kefu.email.outbound import delivered_message_id

    _, ticket = first_mail(mailroom)
    api("POST", f"/tickets/{ticket.id}/messages", who=AGENT, body={"body": "It is on its way."})
    mailroom.flush()
    ses_id = ses_backends["123456789012"]["us-east-1"].sent_messages[-1].id

    reply(mailroom, in_reply_to=delivered_message_id(ses_id), subject="Re: thanks")

    assert len(tickets_of("li.lei@example.cn")) == 1
    assert messages(ticket.id)[-1].data["threadedBy"] == "in-reply-to"


def test_a_subject_token_of_another_customers_ticket_opens_a_new_ticket(mailroom):
    _, hans = first_mail(mailroom, sender=HAN)

    reply(mailroom, subject=f"Re: Order 1042 never arrived [{hans.id}]")

    [lis] = tickets_of("li.lei@example.cn")
    assert lis.id != hans.id
    assert len(messages(hans.id)) == 1


def test_an_in_reply_to_of_another_customers_mail_opens_a_new_ticket(mailroom):
    hans_mail, hans = first_mail(mailroom, sender=HAN)

    reply(mailroom, in_reply_to=message_id_of(hans_mail))

    [lis] = tickets_of("li.lei@example.cn")
    assert lis.id != hans.id
    assert len(messages(hans.id)) == 1


def test_a_reply_address_of_another_customers_ticket_opens_a_new_ticket(mailroom):
    _, hans = first_mail(mailroom, sender=HAN)

    reply(mailroom, to=f"support+{hans.id}@{DOMAIN}")

    [lis] = tickets_of("li.lei@example.cn")
    assert lis.id != hans.id


def test_a_reply_to_a_pending_ticket_puts_it_back_to_open(mailroom, api):
    first, ticket = first_mail(mailroom)
    assert api("POST", f"/tickets/{ticket.id}/transition", who=AGENT, body={"to": "pending"}).status == 200

    reply(mailroom, in_reply_to=message_id_of(first))

    assert tickets_of("li.lei@example.cn")[0].status.value == "open"


def test_a_reply_within_the_reopen_window_reopens_the_resolved_ticket(mailroom, api):
    first, ticket = first_mail(mailroom)
    resolve(api, ticket.id)

    reply(mailroom, in_reply_to=message_id_of(first))

    [reopened] = tickets_of("li.lei@example.cn")
    assert reopened.id == ticket.id and reopened.status.value == "open"
    status = [entry.data for entry in timeline(ticket.id) if entry.kind == "status"][-1]
    assert status == {"from": "resolved", "to": "open", "reason": "customer replied"}


def test_a_reply_after_the_reopen_window_opens_a_follow_up_linked_to_the_old_ticket(mailroom, api):
    first, ticket = first_mail(mailroom)
    resolve(api, ticket.id)
    resolved_days_ago(ticket.id, 8)  # the reopen window is 7 days

    ses = reply(mailroom, in_reply_to=message_id_of(first), body="It broke again.\n\n> Nine days and no parcel.")

    old, new = sorted(tickets_of("li.lei@example.cn"), key=lambda t: t.createdAt)
    assert old.id == ticket.id and old.status.value == "resolved"
    assert new.followUpOf == ticket.id
    assert new.channel.value == "email" and new.description == "It broke again."
    [opening] = messages(new.id)
    assert opening.data["threadedBy"] == "in-reply-to" and opening.data["followUpOf"] == ticket.id
    assert record_of(ses).ticket_id == new.id
    assert any(entry.kind == "link" for entry in timeline(ticket.id))


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(mailroom, api):
    _, ticket = first_mail(mailroom)
    resolve(api, ticket.id)
    assert api("POST", f"/tickets/{ticket.id}/transition", who=AGENT, body={"to": "closed"}).status == 200

    reply(mailroom, subject=f"Re: Order 1042 never arrived [{ticket.id}]")

    old, new = sorted(tickets_of("li.lei@example.cn"), key=lambda t: t.createdAt)
    assert old.status.value == "closed" and new.followUpOf == ticket.id


def test_a_reply_to_the_follow_up_stays_on_the_follow_up(mailroom, api):
    first, ticket = first_mail(mailroom)
    resolve(api, ticket.id)
    assert api("POST", f"/tickets/{ticket.id}/transition", who=AGENT, body={"to": "closed"}).status == 200
    second = mail(sender=LI, subject="Re: Order 1042 never arrived", in_reply_to=message_id_of(first))
    mailroom.deliver(second)

    reply(mailroom, in_reply_to=message_id_of(second), references=[message_id_of(first), message_id_of(second)])

    _, new = sorted(tickets_of("li.lei@example.cn"), key=lambda t: t.createdAt)
    assert len(messages(new.id)) == 2


def test_a_second_answer_to_a_closed_thread_joins_its_open_follow_up(mailroom, api):
    first, ticket = first_mail(mailroom)
    resolve(api, ticket.id)
    assert api("POST", f"/tickets/{ticket.id}/transition", who=AGENT, body={"to": "closed"}).status == 200
    reply(mailroom, in_reply_to=message_id_of(first), body="It broke again.")

    reply(mailroom, subject=f"Re: Order 1042 never arrived [{ticket.id}]", body="Photos attached now.")

    old, new = sorted(tickets_of("li.lei@example.cn"), key=lambda t: t.createdAt)
    assert new.followUpOf == old.id
    added = messages(new.id)[-1]
    assert added.body == "Photos attached now."
    assert (added.data["threadedBy"], added.data["threadOf"]) == ("subject-token", old.id)


def resolve(api: Api, ticket_id: str) -> None:
    body = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert api("POST", f"/tickets/{ticket_id}/transition", who=AGENT, body=body).status == 200


def resolved_days_ago(ticket_id: str, days: int) -> None:
    """Let time pass: the ticket was resolved `days` ago."""
    from kefu.clock import iso, now
    from kefu.store.models import TicketItem

    item = TicketItem.get(f"TICKET#{ticket_id}", "TICKET")
    item.sla = {**item.sla, "resolvedAt": iso(now() - timedelta(days=days))}
    item.save()


# --- real clients' replies ---------------------------------------------------------------------------------

CORPUS = ROOT / "tests" / "fixtures" / "mail"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
DEV_DOMAIN = "dev.kefu.example.com"
REPLIES = sorted(
    name for name, expected in EXPECTED.items() if expected["outcome"] == "accept" and any(expected["thread"].values())
)


def earlier_ticket(ticket_id: str, customer_email: str, sent_message_ids: list[str]) -> None:
    """The customer's ticket the corpus mail answers, with the mails kefu sent on it."""
    from kefu.clock import now
    from kefu.model.customers import Customer
    from kefu.model.tickets import Ticket
    from kefu.store import customers
    from kefu.store import mail as mail_store
    from kefu.store import tickets as store

    moment = now()
    customer = Customer(id="CU-CORPUS0001", email=customer_email, createdAt=moment, updatedAt=moment)
    ticket = Ticket(
        id=ticket_id,
        subject="An earlier question",
        description="Asked before.",
        status="open",
        priority="P3",
        channel="email",
        customerId=customer.id,
        createdAt=moment,
        updatedAt=moment,
        version=0,
    )
    store.save(ticket, [], is_new=True, new_items=customers.new_items(customer))
    for message_id in sent_message_ids:
        mail_store.claim_send(
            message_id, ticket_id=ticket_id, customer_id=customer.id, entry_id="0000000001-00", at=moment
        )


@pytest.mark.parametrize("name", REPLIES)
def test_each_reply_of_the_corpus_joins_the_senders_ticket_by_its_strongest_signal(mailroom, name):
    thread = EXPECTED[name]["thread"]
    mailroom.configure(domain=DEV_DOMAIN, recipients=[f"support@{DEV_DOMAIN}", f"complaints@{DEV_DOMAIN}"])
    ticket_id = thread["subject_token"] or thread["address_token"] or "TK-C0RPVS00"
    earlier_ticket(ticket_id, EXPECTED[name]["sender"], thread["message_ids"])

    ses = mailroom.deliver((CORPUS / name).read_bytes())

    assert [t.id for t in all_tickets()] == [ticket_id]
    if thread["message_ids"]:
        assert record_of(ses).threaded_by in {"in-reply-to", "references"}
    elif thread["subject_token"]:
        assert record_of(ses).threaded_by == "subject-token"
    else:
        assert record_of(ses).threaded_by == "reply-address"
    assert messages(ticket_id)[-1].data["sesMessageId"] == ses
