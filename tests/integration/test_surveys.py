"""Survey links through the HTTP API: shown and answered without a login, once; forged, altered, expired and reused
links refused with a problem; the answer on the ticket's timeline and the customer's record; a low score opens a
follow-up ticket for the original owner on the complaints or VIP desk."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from kefu.clock import now
from kefu.errors import Conflict, RevisitedWithinCycle
from kefu.model.customers import Tier
from kefu.model.surveys import IssuedSurvey
from kefu.store import customers as customer_store
from kefu.store import surveys as survey_store
from kefu.store import tickets as ticket_store
from kefu.surveys import service as surveys
from tests.conftest import ADMIN, AGENT, CUSTOMER, Api
from tests.integration.conftest import open_ticket
from tests.integration.resolved import add_customer, add_resolved

PROBLEM = "application/problem+json"
CAMPAIGN = "daily-csat-survey"


def resolved_ticket(desk: Api, **fields) -> dict:
    """A customer's ticket, taken by AGENT (its owner) and resolved with a refund."""
    ticket = open_ticket(desk, **fields)
    assert desk("POST", f"/tickets/{ticket['id']}/assign", who=AGENT, body={"take": True}).status == 200
    body = {"to": "resolved", "resolution": {"kind": "refund", "amount": 4321.5, "currency": "CNY"}}
    resolved = desk("POST", f"/tickets/{ticket['id']}/transition", who=AGENT, body=body)
    assert resolved.status == 200, resolved.text
    return resolved.json


def issue(ticket_id: str, campaign: str = CAMPAIGN, days: int = 14) -> IssuedSurvey:
    return surveys.issue_survey(ticket_store.get(ticket_id), campaign_id=campaign, expires_in=timedelta(days=days))


def answer(desk: Api, issued: IssuedSurvey, **body):
    return desk("POST", issued.link, who=None, body=body)


def timeline(desk: Api, ticket_id: str, who=AGENT) -> list[dict]:
    return desk("GET", f"/tickets/{ticket_id}/timeline", who=who, query={"limit": "100"}).json["items"]


def assert_problem(reply, status: int) -> None:
    assert reply.status == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    assert reply.json["status"] == status and reply.json["detail"]


@pytest.fixture
def survey(desk) -> tuple[dict, IssuedSurvey]:
    ticket = resolved_ticket(desk)
    return ticket, issue(ticket["id"])


# --- showing ---------------------------------------------------------------------------------------------------


def test_the_link_shows_the_questions_in_chinese_and_english_and_a_summary_of_the_ticket(desk, survey):
    # Given a survey about a resolved ticket, when its link is opened without a login
    ticket, issued = survey
    reply = desk("GET", issued.link, who=None)
    # Then the three questions in both languages and the ticket's id, subject, resolution and resolution time only
    assert reply.status == 200, reply.text
    view = reply.json
    assert [(q["id"], q["required"]) for q in view["questions"]] == [("csat", True), ("nps", False), ("comment", False)]
    assert all(q["zh"] and q["en"] and q["zh"] != q["en"] for q in view["questions"])
    assert view["ticket"] == {
        "id": ticket["id"],
        "subject": ticket["subject"],
        "resolution": "refund",
        "resolvedAt": ticket["sla"]["resolvedAt"],
    }
    for internal in (CUSTOMER.sub, AGENT.sub, "4321", "CNY", "amount", "l1", CAMPAIGN):
        assert internal not in reply.text


# --- answering -------------------------------------------------------------------------------------------------


def test_an_answer_is_recorded_on_the_timeline_and_the_customer_record(desk, survey):
    # Given a survey link, when the customer answers it
    ticket, issued = survey
    reply = answer(desk, issued, csat=4, nps=9, comment="快递很快，谢谢！")
    # Then 201 with the recorded answer
    assert reply.status == 201, reply.text
    result = reply.json
    assert (result["csat"], result["nps"], result["comment"], result["followUpTicketId"]) == (
        4,
        9,
        "快递很快，谢谢！",
        None,
    )
    # And a public survey entry by the customer on the ticket's timeline, which the customer sees
    entries = [e for e in timeline(desk, ticket["id"], who=CUSTOMER) if e["kind"] == "survey"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["visibility"], entry["authorId"], entry["authorRole"]) == ("public", CUSTOMER.sub, "customer")
    assert entry["data"] == {"event": "answered", "surveyId": issued.survey.id, "channel": "email", "csat": 4, "nps": 9}
    assert entry["body"] == "快递很快，谢谢！"
    # And the result on the customer's record, with the revisit cycle moved to the answer
    (saved,) = surveys.customer_results(CUSTOMER.sub).items
    assert (saved.ticketId, saved.csat, saved.nps, saved.surveyId) == (ticket["id"], 4, 9, issued.survey.id)
    assert customer_store.get(CUSTOMER.sub).lastRevisitedAt == saved.answeredAt
    # And the survey itself answered, for the campaign's report
    (listed,) = surveys.campaign_surveys(CAMPAIGN).items
    assert (listed.status, listed.csat, listed.nps) == ("answered", 4, 9)


def test_a_survey_about_a_ticket_closed_since_is_still_answered(desk, survey):
    ticket, issued = survey
    assert desk("POST", f"/tickets/{ticket['id']}/transition", who=CUSTOMER, body={"to": "closed"}).status == 200
    assert answer(desk, issued, csat=5).status == 201
    assert desk("GET", f"/tickets/{ticket['id']}", who=AGENT).json["status"] == "closed"


def test_the_survey_sent_is_noted_for_agents_only(desk, survey):
    ticket, _ = survey
    sent = [e for e in timeline(desk, ticket["id"]) if e["kind"] == "survey"]
    assert [(e["visibility"], e["data"]["event"], e["data"]["campaignId"]) for e in sent] == [
        ("internal", "sent", CAMPAIGN)
    ]
    assert not [e for e in timeline(desk, ticket["id"], who=CUSTOMER) if e["kind"] == "survey"]


def test_a_second_answer_is_a_409_and_changes_nothing(desk, survey):
    ticket, issued = survey
    assert answer(desk, issued, csat=5).status == 201
    again = answer(desk, issued, csat=1, comment="changed my mind")
    assert_problem(again, 409)
    assert "already answered" in again.json["detail"]
    assert_problem(desk("GET", issued.link, who=None), 409)
    answers = [e["data"]["csat"] for e in timeline(desk, ticket["id"]) if e["data"].get("event") == "answered"]
    assert answers == [5]
    assert [r.csat for r in surveys.customer_results(CUSTOMER.sub).items] == [5]


def test_two_answers_at_the_same_moment_record_one(desk, survey):
    # Given one survey link, when two requests answer it at once
    ticket, issued = survey
    barrier = threading.Barrier(2)
    replies = [None, None]

    def send(index: int, csat: int) -> None:
        barrier.wait()
        replies[index] = answer(desk, issued, csat=csat)

    threads = [threading.Thread(target=send, args=(i, csat)) for i, csat in enumerate((5, 4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one 201 and one 409, and one answer recorded: the winner's
    assert sorted(r.status for r in replies) == [201, 409]
    winner = next(r for r in replies if r.status == 201).json
    answers = [e["data"]["csat"] for e in timeline(desk, ticket["id"]) if e["data"].get("event") == "answered"]
    assert answers == [winner["csat"]]
    assert [r.csat for r in surveys.customer_results(CUSTOMER.sub).items] == [winner["csat"]]


@pytest.mark.parametrize(
    "body",
    [
        {"csat": 0},
        {"csat": 6},
        {"csat": 3, "nps": 11},
        {"csat": 3, "nps": -1},
        {"nps": 8},
        {"csat": 3, "comment": "x" * 2001},
    ],
    ids=["csat-0", "csat-6", "nps-11", "nps-negative", "no-csat", "comment-too-long"],
)
def test_an_answer_out_of_range_is_a_422_and_leaves_the_survey_open(desk, survey, body):
    _, issued = survey
    assert_problem(answer(desk, issued, **body), 422)
    assert answer(desk, issued, csat=3, comment="x" * 2000).status == 201


# --- refused links ---------------------------------------------------------------------------------------------


def test_a_forged_link_is_a_404(desk, survey):
    assert_problem(desk("GET", "/surveys/" + "A" * 70, who=None), 404)
    assert_problem(desk("POST", "/surveys/" + "A" * 70, who=None, body={"csat": 5}), 404)


@pytest.mark.parametrize("position", [0, 3, 10, 25, 45, 69])
def test_an_altered_link_is_a_404_saying_no_more_than_a_forged_one(desk, survey, position):
    # Given a genuine link with one character changed, when opened, then the same 404 as for a forged link
    _, issued = survey
    token = issued.token
    altered = token[:position] + ("B" if token[position] != "B" else "C") + token[position + 1 :]
    reply = desk("GET", f"/surveys/{altered}", who=None)
    forged = desk("GET", "/surveys/" + "A" * 70, who=None)
    assert_problem(reply, 404)
    assert reply.json == forged.json
    assert_problem(answer(desk, issued.model_copy(update={"link": f"/surveys/{altered}"}), csat=1), 404)


def test_a_link_cut_short_is_a_404(desk, survey):
    _, issued = survey
    assert_problem(desk("GET", issued.link[:-5], who=None), 404)


def test_an_expired_link_is_a_403_saying_when_it_expired_and_records_nothing(desk, survey, monkeypatch):
    # Given a link valid for 14 days, when opened or answered a second after it expired
    ticket, issued = survey
    later = issued.survey.expiresAt + timedelta(seconds=1)
    monkeypatch.setattr(surveys, "now", lambda: later)
    # Then 403 saying when it expired, and no answer anywhere
    shown = desk("GET", issued.link, who=None)
    assert_problem(shown, 403)
    assert shown.json["detail"] == f"this survey link expired on {issued.survey.expiresAt:%Y-%m-%d %H:%M} UTC"
    assert_problem(answer(desk, issued, csat=5), 403)
    assert not [e for e in timeline(desk, ticket["id"]) if e["data"].get("event") == "answered"]
    assert survey_store.read(issued.survey.id).answer is None


def test_a_phone_survey_cannot_be_answered_through_a_link(desk):
    ticket = resolved_ticket(desk)
    task = surveys.create_phone_revisit(ticket_store.get(ticket["id"]), campaign_id="weekly-call", group="l1")
    record = survey_store.read(survey_store.survey_of_task(task.id))
    link = "/surveys/" + surveys.tokens.sign(record.survey.id, record.survey.expiresAt)
    assert_problem(desk("GET", link, who=None), 404)
    assert_problem(desk("POST", link, who=None, body={"csat": 5}), 404)


# --- low scores ------------------------------------------------------------------------------------------------


def follow_up_of(desk: Api, result: dict) -> dict:
    reply = desk("GET", f"/tickets/{result['followUpTicketId']}", who=AGENT)
    assert reply.status == 200, reply.text
    return reply.json


@pytest.mark.parametrize(
    ("csat", "nps"), [(2, None), (1, 10), (4, 6), (5, 0)], ids=["csat-2", "csat-1", "nps-6", "nps-0"]
)
def test_a_low_score_opens_a_follow_up_for_the_original_owner_on_the_complaints_desk(desk, survey, csat, nps):
    # Given a ticket AGENT owned, when its survey is answered with a low CSAT or NPS
    ticket, issued = survey
    reply = answer(desk, issued, csat=csat, nps=nps, comment="还是没有收到退款")
    assert reply.status == 201, reply.text
    # Then a follow-up ticket of the same customer, on the complaints desk, owned by AGENT, linked both ways
    follow_up = follow_up_of(desk, reply.json)
    assert (follow_up["groupId"], follow_up["ownerId"], follow_up["customerId"]) == (
        "complaints",
        AGENT.sub,
        CUSTOMER.sub,
    )
    assert follow_up["followUpOf"] == ticket["id"]
    assert "low-score" in follow_up["tags"] and "还是没有收到退款" in follow_up["description"]
    links = [e["data"] for e in timeline(desk, ticket["id"]) if e["kind"] == "link"]
    assert links == [{"followUp": follow_up["id"]}]
    assert survey_store.read(issued.survey.id).survey.followUpTicketId == follow_up["id"]


@pytest.mark.parametrize(("csat", "nps"), [(3, None), (3, 7), (5, 10)])
def test_a_score_that_is_not_low_opens_nothing(desk, survey, csat, nps):
    ticket, issued = survey
    reply = answer(desk, issued, csat=csat, nps=nps)
    assert reply.json["followUpTicketId"] is None
    assert not [e for e in timeline(desk, ticket["id"]) if e["kind"] == "link"]


def test_a_vip_customers_low_score_goes_to_the_vip_desk(desk):
    # Given a VIP customer's resolved ticket (the VIP desk exists)
    assert desk("PUT", "/groups/vip", who=ADMIN, body={"name": "VIP desk", "kind": "vip"}).status == 200
    add_customer("CU-VIPWANG", Tier.VIP)
    ticket = resolved_ticket(desk, who=AGENT, customer={"id": "CU-VIPWANG"})
    assert ticket["customerTier"] == "vip"
    # When the survey is answered with CSAT 1, then the follow-up is on the VIP desk, for the owner
    reply = answer(desk, issue(ticket["id"]), csat=1)
    follow_up = follow_up_of(desk, reply.json)
    assert (follow_up["groupId"], follow_up["ownerId"], follow_up["customerId"]) == ("vip", AGENT.sub, "CU-VIPWANG")


def test_the_answer_is_kept_when_the_follow_up_cannot_be_opened(desk, survey, capsys, caplog):
    # Given thresholds that send low scores to a group that does not exist, when a low score comes in
    _, issued = survey
    from kefu.surveys.config import survey_settings

    broken = survey_settings().model_copy(update={"complaints_group": "gone"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(surveys, "survey_settings", lambda: broken)
        reply = answer(desk, issued, csat=1)
    # Then the answer is recorded (201), without a follow-up, and the failure is logged and counted
    assert reply.status == 201 and reply.json["followUpTicketId"] is None
    assert "SurveyFollowUpsFailed" in capsys.readouterr().out
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == ["low score follow-up not opened"]


def test_answers_and_refusals_are_counted_in_metrics(desk, survey, capsys):
    _, issued = survey
    capsys.readouterr()
    answer(desk, issued, csat=2, nps=3)
    answer(desk, issued, csat=2)
    desk("GET", "/surveys/" + "A" * 70, who=None)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    counted = {name for record in metrics for name in record if name[0].isupper()}
    assert {
        "SurveysAnswered",
        "Csat",
        "Nps",
        "SurveyLowScores",
        "SurveysAnsweredTwice",
        "SurveyLinksRefused",
    } <= counted


# --- issuing ---------------------------------------------------------------------------------------------------


def test_issuing_again_for_the_same_campaign_gives_the_same_survey(desk):
    ticket = resolved_ticket(desk)
    first, again = issue(ticket["id"]), issue(ticket["id"])
    other = issue(ticket["id"], campaign="quarterly-nps")
    assert (first.created, again.created, other.created) == (True, False, True)
    assert first.survey.id == again.survey.id != other.survey.id
    assert desk("GET", again.link, who=None).status == 200
    sent = [e for e in timeline(desk, ticket["id"]) if e["data"].get("event") == "sent"]
    assert len(sent) == 2


def test_a_ticket_that_is_not_resolved_is_not_surveyed(desk):
    ticket = open_ticket(desk)
    with pytest.raises(Conflict, match="only resolved tickets are surveyed"):
        issue(ticket["id"])


def test_a_customer_revisited_within_their_cycle_is_not_surveyed_again(desk):
    # Given a customer surveyed about one ticket just now
    first, second = resolved_ticket(desk), resolved_ticket(desk)
    issue(first["id"])
    # When another campaign surveys them about another ticket with a 90-day cycle, then it is refused
    with pytest.raises(RevisitedWithinCycle):
        surveys.issue_survey(
            ticket_store.get(second["id"]),
            campaign_id="another",
            expires_in=timedelta(days=14),
            revisit_cycle=timedelta(days=90),
        )
    assert survey_store.read(surveys.tokens.survey_id_for("another", second["id"])) is None


def test_a_ticket_whose_customer_has_no_record_is_not_surveyed(aws):
    ticket = add_resolved(now() - timedelta(days=3), "CU-NORECORD")
    with pytest.raises(Conflict, match="no customer record"):
        surveys.issue_survey(ticket, campaign_id=CAMPAIGN, expires_in=timedelta(days=14))
    assert survey_store.read(surveys.tokens.survey_id_for(CAMPAIGN, ticket.id)) is None
