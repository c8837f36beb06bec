"""The e-mail that carries a revisit survey's link to the customer, in Chinese and English (the customer's own
language first: kefu.email.outbound orders them). `{ticket_id}` and `{subject}` are the ticket's. The text message
(an `sms_survey` campaign) is one language only, the ticket's: every part of an SMS is paid for."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu import cjk
from kefu.config import PUBLIC_API_URL_VAR, required, settings

SUBJECT = "请评价我们的服务 / How did we do?"

_TEXTS = {
    "zh": (
        "您好！\n\n"
        "感谢您联系我们。您的工单 {ticket_id}（{subject}）已处理完毕，想请您花一分钟评价我们的服务：\n\n"
        "{link}\n\n"
        "链接有效期至 {expires}（UTC），只能提交一次。如问题仍未解决，直接回复本邮件即可。"
    ),
    "en": (
        "Hello,\n\n"
        "Thank you for contacting us. Your request {ticket_id} ({subject}) has been resolved. Would you take a "
        "minute to tell us how we did?\n\n"
        "{link}\n\n"
        "The link works until {expires} (UTC) and takes one answer. If anything is still not right, simply reply "
        "to this e-mail."
    ),
}


_SMS = {
    "zh": "【客服】您的工单 {ticket_id} 已处理完毕，请花一分钟评价我们的服务：{link} （{expires} UTC 前有效）",
    "en": "Your request {ticket_id} is resolved. How did we do? Tell us in a minute: {link} (until {expires} UTC)",
}


def public_api_url() -> str:
    """The HTTP API's public base URL (the stage's, from the deployment); survey links are `<it>/surveys/<token>`."""
    return required(settings().public_api_url, PUBLIC_API_URL_VAR).rstrip("/")


def survey_url(link_path: str) -> str:
    """The full link of a survey from its path (`/surveys/<token>`)."""
    return f"{public_api_url()}{link_path}"


def texts(url: str, expires_at: datetime) -> dict[str, str]:
    """The invitation by language, with the link and its expiry filled in."""
    expires = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return {language: text.replace("{link}", url).replace("{expires}", expires) for language, text in _TEXTS.items()}


def sms_text(url: str, expires_at: datetime, *, ticket_id: str, ticket_text: str) -> str:
    """The invitation as a text message, in Chinese when the ticket is written in Chinese, else in English."""
    language = "zh" if cjk.contains(ticket_text) else "en"
    expires = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return _SMS[language].replace("{ticket_id}", ticket_id).replace("{link}", url).replace("{expires}", expires)
