"""The automatic QA checks on fixture conversations, Chinese (Simplified and Traditional) and English, each with the
findings a reviewer labelled by hand: which rule, citing which timeline entry (pure: kefu.qa.checks)."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu.model.tickets import Sla, Ticket, TimelineEntry
from kefu.qa.checks import Rule, check, survey_answers
from kefu.qa.config import QaSettings

SETTINGS = QaSettings()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(created: str, *, due: str | None = None, subject: str = "问题", status: str = "resolved") -> Ticket:
    return Ticket(
        id="TK-AAAAAAAA",
        subject=subject,
        description="d",
        status=status,
        priority="P3",
        channel="web",
        customerId="CU-1",
        groupId="l1",
        ownerId="agent-li",
        sla=Sla(firstResponseDue=utc(due) if due else None),
        createdAt=utc(created),
        updatedAt=utc(created),
        version=3,
    )


def said(entry_id: str, at: str, kind: str, body: str | None = None, role: str = "agent", **data) -> TimelineEntry:
    return TimelineEntry(
        id=entry_id,
        ticketId="TK-AAAAAAAA",
        kind=kind,
        visibility="public",
        authorId="agent-li" if role != "customer" else "CU-1",
        authorRole=role,
        body=body,
        data=data,
        createdAt=utc(at),
    )


def labelled(findings) -> set[tuple[str, str]]:
    return {(finding.rule.value, finding.entryId) for finding in findings}


def test_a_model_chinese_conversation_has_no_findings():
    # Given a conversation answered on time, opened with 您好 and closed with 祝您生活愉快, a satisfied customer
    entries = [
        said("e1", "2026-11-02T01:00:00", "message", "我的快递还没到，请帮忙查一下", role="customer"),
        said("e2", "2026-11-02T01:20:00", "reply", "您好，已为您查询，包裹明天送达。"),
        said("e3", "2026-11-02T01:30:00", "message", "好的，谢谢", role="customer"),
        said("e4", "2026-11-02T01:35:00", "reply", "不客气，祝您生活愉快！"),
        said("e5", "2026-11-02T01:40:00", "status", **{"from": "open", "to": "resolved"}),
        said("e6", "2026-11-04T01:00:00", "survey", role="customer", event="answered", csat=5),
    ]
    # When it is checked, then nothing is found
    assert (
        check(ticket("2026-11-02T01:00:00", due="2026-11-02T03:00:00"), entries, survey_answers(entries), SETTINGS)
        == []
    )


def test_a_bad_chinese_conversation_is_labelled_rule_by_rule():
    # Given a late first reply without greeting, a forbidden phrase, a customer still angry, a reopen, an escalation
    # and a CSAT of 1
    entries = [
        said("e1", "2026-11-02T01:00:00", "message", "扣了两次钱", role="customer"),
        said("e2", "2026-11-02T01:05:00", "note", "查账中"),
        said("e3", "2026-11-02T02:00:00", "escalation", action="raise_level", level=1),
        said("e4", "2026-11-02T04:00:00", "reply", "这个我不知道，你自己看账单。"),
        said("e5", "2026-11-02T04:10:00", "status", **{"from": "open", "to": "resolved"}),
        said("e6", "2026-11-02T05:00:00", "message", "什么破服务，垃圾！", role="customer"),
        said("e7", "2026-11-02T05:00:01", "status", **{"from": "resolved", "to": "open"}),
        said("e8", "2026-11-02T05:30:00", "reply", "您好，已退款。"),
        said("e9", "2026-11-02T05:40:00", "status", **{"from": "open", "to": "resolved"}),
        said("e10", "2026-11-05T01:00:00", "survey", role="customer", event="answered", csat=1),
    ]
    found = check(ticket("2026-11-02T01:00:00", due="2026-11-02T03:00:00"), entries, survey_answers(entries), SETTINGS)
    # Then each finding is the one a reviewer marks, citing the entry it came from
    assert labelled(found) == {
        ("first_response_late", "e4"),
        ("forbidden_phrase", "e4"),
        ("missing_greeting", "e4"),
        ("missing_closing", "e8"),
        ("negative_at_end", "e6"),
        ("reopened", "e7"),
        ("escalated", "e3"),
        ("low_csat", "e10"),
    }
    forbidden = next(f for f in found if f.rule is Rule.FORBIDDEN_PHRASE)
    assert forbidden.evidence == ["不知道", "自己看"]


def test_traditional_chinese_replies_match_the_simplified_script_and_the_reverse():
    # Given replies in Traditional Chinese: greeting 您好, closing 祝您生活愉快 (script in Simplified), and a forbidden
    # 沒辦法 (zh-Hant list) written the Simplified way in the customer's quote
    entries = [
        said("e1", "2026-11-02T01:00:00", "message", "我想退貨", role="customer"),
        said("e2", "2026-11-02T01:10:00", "reply", "您好，這個真的没办法處理。"),
        said("e3", "2026-11-02T01:20:00", "reply", "已為您辦理退貨，祝您生活愉快。"),
    ]
    found = check(ticket("2026-11-02T01:00:00", due="2026-11-02T03:00:00"), entries, [], SETTINGS)
    assert labelled(found) == {("forbidden_phrase", "e2")}


def test_an_english_conversation_with_a_long_gap_and_a_rude_reply():
    # Given an English ticket without an SLA due time: first reply inside 8 h, a follow-up that waited 30 hours,
    # a reply telling the customer to calm down, no closing at the end, a frustrated last message
    entries = [
        said("e1", "2026-11-02T09:00:00", "message", "Where is my parcel?", role="customer"),
        said("e2", "2026-11-02T10:00:00", "reply", "Hello Ann, it ships tomorrow. Have a nice day!"),
        said("e3", "2026-11-03T09:00:00", "message", "Still not shipped.", role="customer"),
        said("e4", "2026-11-04T15:00:00", "reply", "Please calm down, it shipped today."),
        said("e5", "2026-11-04T16:00:00", "message", "I am very disappointed and frustrated.", role="customer"),
        said("e6", "2026-11-04T16:30:00", "status", **{"from": "open", "to": "resolved"}),
    ]
    found = check(ticket("2026-11-02T09:00:00", subject="Parcel"), entries, [], SETTINGS)
    assert labelled(found) == {
        ("reply_gap", "e3"),
        ("forbidden_phrase", "e4"),
        ("missing_closing", "e4"),
        ("negative_at_end", "e5"),
        ("reply_gap", "e5"),
    }
    gap = next(f for f in found if f.rule is Rule.REPLY_GAP and f.entryId == "e3")
    assert gap.detail == "answered 30h00m later (target 24h)"


def test_a_ticket_never_answered_by_a_person_is_late_citing_the_customers_first_message():
    entries = [
        said("e1", "2026-11-02T09:00:00", "message", "Hi, question about my invoice", role="customer"),
        said("e2", "2026-11-02T09:00:05", "reply", "We received your mail.", role="agent", automatic=True),
        said("e3", "2026-11-03T09:00:00", "status", **{"from": "open", "to": "resolved"}),
    ]
    found = check(ticket("2026-11-02T09:00:00", subject="Invoice"), entries, [], SETTINGS)
    assert labelled(found) == {("first_response_late", "e1")}
    assert found[0].detail == "never answered by a person"


def test_english_phrases_match_whole_words_only():
    # "Hi" is a greeting, "this" is not; "whatever" is forbidden, "whatsoever" is not
    entries = [
        said("e1", "2026-11-02T09:00:00", "message", "Refund please", role="customer"),
        said("e2", "2026-11-02T09:10:00", "reply", "This is refunded, no fee whatsoever. Thank you!"),
    ]
    found = check(ticket("2026-11-02T09:00:00", subject="Refund"), entries, [], SETTINGS)
    assert labelled(found) == {("missing_greeting", "e2")}


def test_the_script_comes_from_the_settings():
    settings = QaSettings.model_validate({"script": {"en": {"greetings": ["howdy"], "closings": ["cheers"]}}})
    entries = [
        said("e1", "2026-11-02T09:00:00", "message", "Refund please", role="customer"),
        said("e2", "2026-11-02T09:10:00", "reply", "Howdy! Done, cheers"),
    ]
    assert check(ticket("2026-11-02T09:00:00", subject="Refund"), entries, [], settings) == []


def test_survey_answers_are_read_from_the_timeline():
    entries = [
        said("s1", "2026-11-02T09:00:00", "survey", role="system", event="sent"),
        said("s2", "2026-11-03T09:00:00", "survey", role="customer", event="answered", csat=2, nps=3),
        said("s3", "2026-11-03T09:00:00", "survey", role="customer", event="answered", csat=True),
    ]
    assert [(a.entry_id, a.csat) for a in survey_answers(entries)] == [("s2", 2)]
