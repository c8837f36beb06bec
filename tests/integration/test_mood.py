"""Every customer message is read for emotion and threats, whichever way it comes (the app, the intake queue, e-mail):
the ticket's sentiment follows the latest message, and a worsening raises its priority once, on the timeline."""

from __future__ import annotations

from tests.conftest import AGENT, CUSTOMER, Api
from tests.integration.conftest import open_ticket
from tests.integration.mailroom import mail, mailroom_fixture, message_id_of, tickets_of  # noqa: F401
from tests.integration.test_intake import CHAT, batch, contact, dead_letters, intake, run, template  # noqa: F401
from tests.integration.test_intake import tickets_of as intake_tickets


def mood_entries(desk: Api, ticket_id: str) -> list[dict]:
    entries = desk("GET", f"/tickets/{ticket_id}/timeline", who=AGENT, query={"limit": "100"}).json["items"]
    return [e for e in entries if e["kind"] == "update" and e["data"].get("by") == "emotion"]


def as_agent(desk: Api, ticket: dict) -> dict:
    """The ticket as staff read it (a customer's view leaves out the sentiment)."""
    return desk("GET", f"/tickets/{ticket['id']}", who=AGENT).json


def say(desk: Api, ticket_id: str, body: str) -> dict:
    reply = desk("POST", f"/tickets/{ticket_id}/messages", who=CUSTOMER, body={"body": body})
    assert reply.status == 201, reply.text
    return desk("GET", f"/tickets/{ticket_id}", who=AGENT).json


def test_a_customer_who_turns_angry_in_the_third_message_raises_the_priority_once(desk):
    ticket = as_agent(desk, open_ticket(desk, subject="订单 1042 的物流", description="请问我的快递到哪里了？"))
    assert (ticket["priority"], ticket["sentiment"]) == ("P3", "calm")

    say(desk, ticket["id"], "单号是 SF1234567")
    angry = say(desk, ticket["id"], "你们这是什么破服务，垃圾！")

    assert (angry["priority"], angry["sentiment"], angry["worseningRaised"]) == ("P2", "angry", True)
    assert angry["sla"]["policy"] == "p2"  # the SLA policy follows the new priority
    [entry] = mood_entries(desk, ticket["id"])
    assert entry["visibility"] == "internal"
    assert entry["data"]["changes"] == {
        "sentiment": {"from": "calm", "to": "angry"},
        "priority": {"from": "P3", "to": "P2"},
    }
    assert "angry wording '垃圾'" in entry["data"]["reason"]
    assert "priority raised P3→P2" in entry["data"]["reason"]


def test_a_later_threat_is_recorded_but_never_raises_the_priority_a_second_time(desk):
    ticket = open_ticket(desk, subject="Order 1042", description="Where is my parcel?")
    say(desk, ticket["id"], "Still waiting, very disappointed")
    threatened = say(desk, ticket["id"], "I will report you to the consumer protection office")

    assert (threatened["priority"], threatened["sentiment"], threatened["threat"]) == ("P2", "angry", True)
    first, second = mood_entries(desk, ticket["id"])
    assert first["data"]["changes"]["priority"] == {"from": "P3", "to": "P2"}
    assert "priority" not in second["data"]["changes"]
    assert "already raised once" in second["data"]["reason"]


def test_the_sentiment_follows_a_calmer_message_without_touching_the_priority(desk):
    ticket = as_agent(
        desk, open_ticket(desk, subject="Order 1042", description="This is ridiculous, the worst shop ever")
    )
    assert ticket["sentiment"] == "angry"
    calmer = say(desk, ticket["id"], "Thanks, the parcel arrived")
    assert (calmer["sentiment"], calmer["priority"], calmer["worseningRaised"]) == ("calm", ticket["priority"], False)
    [entry] = mood_entries(desk, ticket["id"])
    assert entry["data"]["changes"] == {"sentiment": {"from": "angry", "to": "calm"}}


def test_a_calm_message_on_a_calm_ticket_writes_no_entry(desk):
    ticket = open_ticket(desk, subject="Order 1042", description="Where is my parcel?")
    say(desk, ticket["id"], "The order number is 1042")
    assert mood_entries(desk, ticket["id"]) == []


def test_a_traditional_chinese_threat_relayed_by_the_intake_queue_raises_the_priority_to_p1(desk, intake, template):  # noqa: F811
    assert run(intake, batch(template, contact(template, CHAT))) == []
    [ticket] = intake_tickets("email", "li.lei@example.com")
    assert ticket.priority.value != "P1"

    follow_up = contact(template, CHAT, externalId="chat-msg-88140", body="再不退款我就投訴到消費者協會")
    assert run(intake, batch(template, follow_up)) == []

    now = desk("GET", f"/tickets/{ticket.id}", who=AGENT).json
    assert (now["priority"], now["threat"], now["sentiment"]) == ("P1", True, "angry")
    [entry] = mood_entries(desk, ticket.id)
    assert "a new threat" in entry["data"]["reason"]


def test_an_angry_reply_by_e_mail_raises_the_priority(mailroom):
    desk = Api()
    first = mail(sender="Li Lei <li.lei@example.cn>", subject="Order 1042", body="Where is my parcel?")
    mailroom.deliver(first, envelope_from="li.lei@example.cn")
    [ticket] = tickets_of("li.lei@example.cn")
    before = ticket.priority.value

    answer = mail(
        sender="Li Lei <li.lei@example.cn>",
        subject="Re: Order 1042",
        body="UNACCEPTABLE. You are useless!!!",
        in_reply_to=message_id_of(first),
    )
    mailroom.deliver(answer, envelope_from="li.lei@example.cn")

    now = desk("GET", f"/tickets/{ticket.id}", who=AGENT).json
    assert now["sentiment"] == "angry" and now["worseningRaised"] is True
    assert now["priority"] < before  # "P2" < "P3": one step up


def test_a_customers_note_when_reopening_is_read_like_any_message(desk):
    ticket = open_ticket(desk, subject="Order 1042", description="Where is my parcel?")
    resolve = {"to": "resolved", "resolution": {"kind": "answer"}}
    assert desk("POST", f"/tickets/{ticket['id']}/transition", who=AGENT, body=resolve).status == 200

    reopen = {"to": "open", "note": "垃圾！根本没收到"}
    assert desk("POST", f"/tickets/{ticket['id']}/transition", who=CUSTOMER, body=reopen).status == 200

    now = as_agent(desk, ticket)
    assert (now["status"], now["sentiment"], now["priority"]) == ("open", "angry", "P2")
    [entry] = mood_entries(desk, ticket["id"])
    assert entry["data"]["changes"]["priority"] == {"from": "P3", "to": "P2"}
