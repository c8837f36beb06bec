"""The notices' words, in zh-Hans, zh-Hant and en: plain format strings of kefu's own (never from data), filled with
the ticket's id and subject and, for a reply, the agent's answer. An e-mail carries the whole answer; a text message
and the app's push are short and send the customer to the app or their mail for it."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.model.customer_records import Language
from kefu.model.notifications import NoticeKind

#: The longest subject a text message or push quotes; the rest is cut (with …).
SHORT_SUBJECT = 30
#: The longest part of an answer a push quotes.
SHORT_ANSWER = 120


@dataclass(frozen=True)
class Words:
    subject: str  # an e-mail's subject, the push's title
    mail: str  # an e-mail's body
    sms: str  # a text message (one or two SMS parts)
    push: str  # the push's body


_WORDS: dict[tuple[Language, NoticeKind], Words] = {
    (Language.ZH_HANS, NoticeKind.REPLY): Words(
        subject="您的工单 {ticket_id} 有新回复",
        mail="您好！\n\n客服回复了您的工单 {ticket_id}（{subject}）：\n\n{answer}\n\n如需补充，直接回复本邮件即可。",
        sms="【客服】您的工单 {ticket_id}（{short_subject}）有新回复，请在应用或邮箱中查看。",
        push="{short_answer}",
    ),
    (Language.ZH_HANS, NoticeKind.PENDING): Words(
        subject="您的工单 {ticket_id} 正在等待您的回复",
        mail="您好！\n\n您的工单 {ticket_id}（{subject}）需要您补充信息后才能继续处理。直接回复本邮件即可。",
        sms="【客服】您的工单 {ticket_id}（{short_subject}）正在等待您的回复，请补充信息以便我们继续处理。",
        push="我们需要您补充一些信息才能继续处理。",
    ),
    (Language.ZH_HANS, NoticeKind.RESOLVED): Words(
        subject="您的工单 {ticket_id} 已解决",
        mail="您好！\n\n您的工单 {ticket_id}（{subject}）已解决。如问题仍未解决，直接回复本邮件，我们会重新处理。",
        sms="【客服】您的工单 {ticket_id}（{short_subject}）已解决。如仍有问题，请回复或在应用中联系我们。",
        push="问题已解决。如仍有疑问，可随时回复。",
    ),
    (Language.ZH_HANT, NoticeKind.REPLY): Words(
        subject="您的工單 {ticket_id} 有新回覆",
        mail="您好！\n\n客服回覆了您的工單 {ticket_id}（{subject}）：\n\n{answer}\n\n如需補充，直接回覆本郵件即可。",
        sms="【客服】您的工單 {ticket_id}（{short_subject}）有新回覆，請在應用程式或郵箱中查看。",
        push="{short_answer}",
    ),
    (Language.ZH_HANT, NoticeKind.PENDING): Words(
        subject="您的工單 {ticket_id} 正在等待您的回覆",
        mail="您好！\n\n您的工單 {ticket_id}（{subject}）需要您補充資料後才能繼續處理。直接回覆本郵件即可。",
        sms="【客服】您的工單 {ticket_id}（{short_subject}）正在等待您的回覆，請補充資料以便我們繼續處理。",
        push="我們需要您補充一些資料才能繼續處理。",
    ),
    (Language.ZH_HANT, NoticeKind.RESOLVED): Words(
        subject="您的工單 {ticket_id} 已解決",
        mail="您好！\n\n您的工單 {ticket_id}（{subject}）已解決。如問題仍未解決，直接回覆本郵件，我們會重新處理。",
        sms="【客服】您的工單 {ticket_id}（{short_subject}）已解決。如仍有問題，請回覆或在應用程式中聯絡我們。",
        push="問題已解決。如仍有疑問，可隨時回覆。",
    ),
    (Language.EN, NoticeKind.REPLY): Words(
        subject="New answer on your request {ticket_id}",
        mail="Hello,\n\nWe answered your request {ticket_id} ({subject}):\n\n{answer}\n\n"
        "To add anything, simply reply to this e-mail.",
        sms="Your request {ticket_id} ({short_subject}) has a new answer: see it in the app or your e-mail.",
        push="{short_answer}",
    ),
    (Language.EN, NoticeKind.PENDING): Words(
        subject="Your request {ticket_id} is waiting for you",
        mail="Hello,\n\nWe need a little more information from you to go on with your request {ticket_id} "
        "({subject}). Simply reply to this e-mail.",
        sms="Your request {ticket_id} ({short_subject}) is waiting for your answer: tell us a little more so we "
        "can go on.",
        push="We need a little more information from you to go on.",
    ),
    (Language.EN, NoticeKind.RESOLVED): Words(
        subject="Your request {ticket_id} is resolved",
        mail="Hello,\n\nYour request {ticket_id} ({subject}) is resolved. If anything is still not right, simply "
        "reply to this e-mail and we will pick it up again.",
        sms="Your request {ticket_id} ({short_subject}) is resolved. Anything still wrong? Reply in the app.",
        push="Resolved. If anything is still not right, just reply.",
    ),
}


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def words(language: Language, kind: NoticeKind, *, ticket_id: str, subject: str, answer: str | None) -> Words:
    """The notice in `language`, filled in. The values are data: they are inserted, never read as a template."""
    values = {
        "ticket_id": ticket_id,
        "subject": subject,
        "short_subject": _cut(subject, SHORT_SUBJECT),
        "answer": answer or "",
        "short_answer": _cut(answer or "", SHORT_ANSWER),
    }
    template = _WORDS[(language, kind)]
    return Words(
        subject=template.subject.format_map(values),
        mail=template.mail.format_map(values),
        sms=template.sms.format_map(values),
        push=template.push.format_map(values),
    )
