"""Phone revisits: a task for the agents' group, and the agent's record of the call — reached, the customer's answer
recorded exactly as a survey answer and the task resolved; not reached, a note and the task stays open."""

from __future__ import annotations

import threading

import pytest

from kefu.store import surveys as survey_store
from kefu.store import tickets as ticket_store
from kefu.surveys import service as surveys
from tests.conftest import AGENT, AGENT_2, CUSTOMER, SUPERVISOR, Api
from tests.integration.conftest import open_ticket
from tests.integration.test_surveys import resolved_ticket, timeline

CAMPAIGN = "weekly-complaint-revisit"


@pytest.fixture
def revisit(desk) -> tuple[dict, dict]:
    """A resolved ticket of CUSTOMER's (owned by AGENT) and its revisit task in l2."""
    ticket = resolved_ticket(desk)
    task = surveys.create_phone_revisit(ticket_store.get(ticket["id"]), campaign_id=CAMPAIGN, group="l2")
    return ticket, task.model_dump(mode="json")


def record(desk: Api, task: dict, who=AGENT_2, **body):
    return desk("POST", f"/tickets/{task['id']}/revisit", who=who, body=body)


def test_a_revisit_task_is_a_phone_consultation_in_the_group_following_up_the_ticket(desk, revisit):
    ticket, task = revisit
    assert (task["channel"], task["category"], task["groupId"], task["tags"]) == (
        "phone",
        "consultation",
        "l2",
        ["revisit"],
    )
    assert (task["followUpOf"], task["customerId"]) == (ticket["id"], CUSTOMER.sub)
    assert ticket["id"] in task["description"] and ticket["subject"] in task["subject"]
    record_ = survey_store.read(survey_store.survey_of_task(task["id"]))
    assert (record_.survey.channel, record_.survey.ticketId, record_.task_id) == ("phone", ticket["id"], task["id"])
    assert [e["data"] for e in timeline(desk, ticket["id"]) if e["kind"] == "link"] == [{"followUp": task["id"]}]


def test_creating_the_revisit_again_gives_the_same_task(desk, revisit):
    ticket, task = revisit
    again = surveys.create_phone_revisit(ticket_store.get(ticket["id"]), campaign_id=CAMPAIGN, group="l2")
    assert again.id == task["id"]
    assert len([e for e in timeline(desk, ticket["id"]) if e["kind"] == "link"]) == 1


def test_a_customer_reached_is_recorded_like_a_survey_answer_and_the_task_is_resolved(desk, revisit):
    # Given a revisit task, when the agent who called records the customer's answer
    ticket, task = revisit
    reply = record(desk, task, reached=True, csat=5, nps=10, comment="客服很耐心")
    # Then 200: the task resolved, the answer recorded
    assert reply.status == 200, reply.text
    outcome = reply.json
    assert outcome["reached"] is True
    assert (outcome["task"]["status"], outcome["task"]["resolution"]["kind"]) == ("resolved", "answer")
    assert (outcome["result"]["csat"], outcome["result"]["nps"], outcome["result"]["channel"]) == (5, 10, "phone")
    # And on the original ticket's timeline, public, as answered through the agent
    (entry,) = [e for e in timeline(desk, ticket["id"], who=CUSTOMER) if e["kind"] == "survey"]
    assert (entry["authorId"], entry["authorRole"], entry["body"]) == (AGENT_2.sub, "agent", "客服很耐心")
    assert entry["data"]["channel"] == "phone" and entry["data"]["csat"] == 5
    # And on the customer's record
    (result,) = surveys.customer_results(CUSTOMER.sub).items
    assert (result.ticketId, result.csat, result.channel) == (ticket["id"], 5, "phone")


def test_a_customer_not_reached_leaves_a_note_and_the_task_open(desk, revisit):
    _, task = revisit
    reply = record(desk, task, reached=False, comment="无人接听，明天上午再打")
    assert reply.status == 200, reply.text
    assert reply.json["reached"] is False and reply.json["result"] is None
    assert reply.json["task"]["status"] in ("new", "open")
    notes = [e for e in timeline(desk, task["id"]) if e["kind"] == "note"]
    assert [(n["body"], n["visibility"]) for n in notes] == [("无人接听，明天上午再打", "internal")]
    assert survey_store.read(survey_store.survey_of_task(task["id"])).answer is None
    # When the next call reaches the customer, then the answer is recorded then
    assert record(desk, task, reached=True, csat=4).status == 200
    assert [r.csat for r in surveys.customer_results(CUSTOMER.sub).items] == [4]


def test_a_customer_not_reached_without_a_comment_gets_a_standard_note(desk, revisit):
    _, task = revisit
    assert record(desk, task, reached=False).status == 200
    (note,) = [e for e in timeline(desk, task["id"]) if e["kind"] == "note"]
    assert "not reached" in note["body"]


def test_a_low_score_on_the_phone_opens_a_follow_up_on_the_complaints_desk(desk, revisit):
    ticket, task = revisit
    reply = record(desk, task, reached=True, csat=1, comment="问题根本没解决")
    follow_up = desk("GET", f"/tickets/{reply.json['result']['followUpTicketId']}", who=AGENT).json
    assert (follow_up["groupId"], follow_up["ownerId"], follow_up["followUpOf"]) == (
        "complaints",
        AGENT.sub,
        ticket["id"],
    )
    assert follow_up["channel"] == "phone"


def test_recording_the_call_twice_is_a_409(desk, revisit):
    _, task = revisit
    assert record(desk, task, reached=True, csat=5).status == 200
    again = record(desk, task, reached=True, csat=1)
    assert again.status == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"


def test_two_agents_recording_the_same_call_at_once_record_one_answer(desk, revisit):
    ticket, task = revisit
    barrier = threading.Barrier(2)
    replies = [None, None]

    def send(index: int, who, csat: int) -> None:
        barrier.wait()
        replies[index] = record(desk, task, who=who, reached=True, csat=csat)

    threads = [
        threading.Thread(target=send, args=(i, who, c)) for i, (who, c) in enumerate(((AGENT, 5), (SUPERVISOR, 2)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200, 409]
    answered = [e for e in timeline(desk, ticket["id"]) if e["data"].get("event") == "answered"]
    assert len(answered) == 1 and len(surveys.customer_results(CUSTOMER.sub).items) == 1


@pytest.mark.parametrize(
    "body",
    [{"reached": True}, {"reached": True, "csat": 7}, {"reached": False, "csat": 3}, {"reached": False, "nps": 3}, {}],
    ids=["reached-without-csat", "csat-7", "not-reached-with-csat", "not-reached-with-nps", "empty"],
)
def test_a_call_record_that_does_not_add_up_is_a_422(desk, revisit, body):
    _, task = revisit
    reply = record(desk, task, **body)
    assert reply.status == 422, reply.text


def test_a_ticket_that_is_not_a_revisit_task_is_a_409(desk):
    ticket = open_ticket(desk)
    reply = record(desk, ticket, reached=True, csat=5)
    assert reply.status == 409 and "not a revisit task" in reply.json["detail"]


def test_a_resolved_revisit_task_takes_no_more_calls(desk, revisit):
    _, task = revisit
    body = {"to": "resolved", "resolution": {"kind": "other", "note": "customer asked not to be called"}}
    assert desk("POST", f"/tickets/{task['id']}/transition", who=AGENT_2, body=body).status == 200
    reply = record(desk, task, reached=True, csat=5)
    assert reply.status == 409 and "resolved" in reply.json["detail"]


def test_customers_cannot_record_a_revisit_call(desk, revisit):
    _, task = revisit
    assert record(desk, task, who=CUSTOMER, reached=True, csat=5).status == 403
    assert record(desk, task, who=None, reached=True, csat=5).status == 401
