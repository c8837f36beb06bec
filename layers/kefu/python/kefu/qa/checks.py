"""Automatic checks (智能质检) on a resolved ticket: rule-based findings, each explaining itself and citing the
timeline entry it came from. Pure: (ticket, timeline, survey answers, settings) → findings; no I/O, every instant
from the data.

The rules:

- `first_response_late`: the first public reply by a person came after the ticket's first-response due time (its SLA
  clock's), or, without one, after `qa.checks.first_response`; cites that reply (or, never answered, the ticket's
  first customer message).
- `reply_gap`: a customer's message waited longer than `qa.checks.reply_gap` for the next reply by a person
  (or was never answered before the ticket was resolved); cites the customer's message.
- `forbidden_phrase`: a reply by a person holds a phrase of the script's `forbidden` lists; cites the reply.
- `missing_greeting` / `missing_closing`: the first reply holds none of the `greetings`, the last none of the
  `closings` (every language's lists: an agent may answer in any of them); cites that reply.
- `negative_at_end`: the customer's last message still reads angry or negative (the routing's emotion words); cites it.
- `reopened`: the ticket went back from resolved or closed; cites the status change.
- `escalated`: an escalation step raised its level or moved it; cites the escalation entry.
- `low_csat`: a survey answer scored CSAT at or below `qa.checks.low_csat`; cites the answer.

Phrases are matched as the routing matches keywords (kefu.routing.text): NFKC, Traditional folded to Simplified,
Chinese as substrings, English as whole words with their inflections, any case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from kefu.model.tickets import EntryKind, Ticket, TimelineEntry
from kefu.qa.config import QaSettings
from kefu.qa.model import Finding, Rule
from kefu.routing import RoutingConfig, Sentiment, assess_emotion
from kefu.routing.text import Lexicon, normalize

_PEOPLE = frozenset({"agent", "supervisor", "admin"})
_DONE = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class SurveyAnswer:
    """A survey answer as the timeline records it."""

    entry_id: str
    csat: int
    at: datetime


def survey_answers(entries: Iterable[TimelineEntry]) -> list[SurveyAnswer]:
    """The survey answers on a timeline (entries `survey` with `event: answered` and a CSAT of 1-5)."""
    answers = []
    for entry in entries:
        csat = entry.data.get("csat")
        answered = entry.kind is EntryKind.SURVEY and entry.data.get("event") == "answered"
        if answered and type(csat) is int and 1 <= csat <= 5:
            answers.append(SurveyAnswer(entry.id, csat, entry.createdAt))
    return answers


def check(
    ticket: Ticket,
    entries: Sequence[TimelineEntry],
    answers: Sequence[SurveyAnswer],
    settings: QaSettings,
    routing: RoutingConfig | None = None,
) -> list[Finding]:
    """Every finding on the ticket, in timeline order within each rule."""
    replies = [entry for entry in entries if _is_person_reply(entry)]
    messages = [entry for entry in entries if entry.kind is EntryKind.MESSAGE]
    findings: list[Finding] = []
    findings += _first_response(ticket, replies, messages, settings)
    findings += _reply_gaps(entries, settings)
    findings += _script(replies, settings)
    findings += _emotion_at_end(ticket, messages, routing)
    findings += _lifecycle(entries)
    findings += [
        Finding(
            rule=Rule.LOW_CSAT,
            entryId=answer.entry_id,
            detail=f"survey answered with CSAT {answer.csat} (low: {settings.checks.low_csat} or less)",
        )
        for answer in answers
        if answer.csat <= settings.checks.low_csat
    ]
    return findings


def _is_person_reply(entry: TimelineEntry) -> bool:
    return (
        entry.kind is EntryKind.REPLY
        and entry.visibility.value == "public"
        and entry.authorRole in _PEOPLE
        and not (entry.authorId or "").startswith("system:")
        and not entry.data.get("automatic")
    )


def _took(start: datetime, end: datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def _first_response(
    ticket: Ticket, replies: list[TimelineEntry], messages: list[TimelineEntry], settings: QaSettings
) -> list[Finding]:
    due = ticket.sla.firstResponseDue or ticket.createdAt + settings.checks.first_response_target
    target = "the SLA's due time" if ticket.sla.firstResponseDue else f"the target of {settings.checks.first_response}"
    if not replies:
        cited = messages[0].id if messages else None
        if cited is None:
            return []
        return [Finding(rule=Rule.FIRST_RESPONSE_LATE, entryId=cited, detail="never answered by a person")]
    first = replies[0]
    if first.createdAt <= due:
        return []
    detail = f"first reply {_took(ticket.createdAt, first.createdAt)} after opening, {_took(due, first.createdAt)} "
    return [Finding(rule=Rule.FIRST_RESPONSE_LATE, entryId=first.id, detail=detail + f"past {target}")]


def _reply_gaps(entries: Sequence[TimelineEntry], settings: QaSettings) -> list[Finding]:
    """A customer's message waits from when it came until the next reply by a person (later messages of theirs in the
    meantime wait with it: the first of them is cited)."""
    limit: timedelta = settings.checks.reply_gap_target
    findings: list[Finding] = []
    waiting: TimelineEntry | None = None
    for entry in entries:
        if entry.kind is EntryKind.MESSAGE:
            waiting = waiting or entry
        elif _is_person_reply(entry) and waiting is not None:
            if entry.createdAt - waiting.createdAt > limit:
                detail = (
                    f"answered {_took(waiting.createdAt, entry.createdAt)} later (target {settings.checks.reply_gap})"
                )
                findings.append(Finding(rule=Rule.REPLY_GAP, entryId=waiting.id, detail=detail))
            waiting = None
        elif entry.kind is EntryKind.STATUS and entry.data.get("to") in _DONE and waiting is not None:
            # The very first message is the first response's rule; a later one left unanswered is a gap.
            if any(_is_person_reply(other) for other in entries if other.createdAt <= waiting.createdAt):
                findings.append(
                    Finding(rule=Rule.REPLY_GAP, entryId=waiting.id, detail="resolved without an answer to this")
                )
            waiting = None
    return findings


@cache
def _lexicon(phrases: tuple[str, ...]) -> Lexicon:
    return Lexicon.compile(phrases)


def _found(phrases: list[str], text: str | None) -> list[str]:
    return _lexicon(tuple(phrases)).find_all(normalize(text or "").lower())


def _script(replies: list[TimelineEntry], settings: QaSettings) -> list[Finding]:
    findings: list[Finding] = []
    if not replies:
        return findings
    forbidden = settings.phrases("forbidden")
    for reply in replies:
        hits = _found(forbidden, reply.body)
        if hits:
            quoted = ", ".join(f"“{hit}”" for hit in hits)
            detail = f"forbidden phrase{'s' if len(hits) > 1 else ''} {quoted}"
            findings.append(Finding(rule=Rule.FORBIDDEN_PHRASE, entryId=reply.id, detail=detail, evidence=hits))
    if not _found(settings.phrases("greetings"), replies[0].body):
        findings.append(
            Finding(rule=Rule.MISSING_GREETING, entryId=replies[0].id, detail="the first reply has no greeting")
        )
    if not _found(settings.phrases("closings"), replies[-1].body):
        findings.append(
            Finding(rule=Rule.MISSING_CLOSING, entryId=replies[-1].id, detail="the last reply has no closing")
        )
    return findings


def _emotion_at_end(ticket: Ticket, messages: list[TimelineEntry], routing: RoutingConfig | None) -> list[Finding]:
    if not messages:
        return []
    last = messages[-1]
    # The opening message is the ticket's description: its subject counts with it.
    subject = ticket.subject if last is messages[0] else ""
    emotion = assess_emotion(subject, last.body or "", routing)
    if emotion.sentiment is Sentiment.CALM:
        return []
    cues = [found for _, found in emotion.cues]
    detail = f"the customer's last message reads {emotion.sentiment}" + (f" ({', '.join(cues)})" if cues else "")
    return [Finding(rule=Rule.NEGATIVE_AT_END, entryId=last.id, detail=detail, evidence=cues)]


def _lifecycle(entries: Sequence[TimelineEntry]) -> list[Finding]:
    findings: list[Finding] = []
    for entry in entries:
        if entry.kind is EntryKind.STATUS and entry.data.get("from") in _DONE and entry.data.get("to") not in _DONE:
            detail = f"reopened from {entry.data.get('from')}"
            findings.append(Finding(rule=Rule.REOPENED, entryId=entry.id, detail=detail))
        elif entry.kind is EntryKind.ESCALATION and entry.data.get("action") in ("raise_level", "move_to_group"):
            level = entry.data.get("level")
            detail = f"escalated ({entry.data.get('action')}" + (f", level {level})" if level is not None else ")")
            findings.append(Finding(rule=Rule.ESCALATED, entryId=entry.id, detail=detail))
    return findings
