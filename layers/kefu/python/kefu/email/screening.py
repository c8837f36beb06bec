"""Whether an inbound mail may become a ticket: quarantine first, then ignore, else accept.

Quarantined mail waits for a person; ignored mail is kept but never ticketed and never answered (answering
an auto-reply or a bounce starts a mail loop). Reasons are stable, machine-readable strings:

QUARANTINE
    ``ses-virus-fail``      SES's virus scan failed (``X-SES-Virus-Verdict: FAIL``)
    ``ses-spam-fail``       SES's spam check failed (``X-SES-Spam-Verdict: FAIL``)
    ``spf-fail``            SES's ``Authentication-Results`` say ``spf=fail``
    ``dkim-fail``           … ``dkim=fail`` (and no DKIM signature passed)
    ``dmarc-fail``          … ``dmarc=fail``
    ``no-sender``           no usable From address: nobody to answer

IGNORE
    ``bounce``              a delivery report: ``multipart/report``, a mailer-daemon/postmaster sender, or
                            ``Return-Path: <>``
    ``loop``                kefu's own mail came back: ``X-Kefu-Ticket``, kefu's domain in ``X-Loop``, or a
                            Message-ID in kefu's domain
    ``own-address``         sent from one of kefu's own addresses or its mail domain
    ``auto-submitted``      ``Auto-Submitted`` other than ``no`` (RFC 3834)
    ``auto-reply-header``   ``X-Autoreply``, ``X-Autorespond``, ``X-Autoreply-From`` or ``X-Mail-Autoreply``
    ``mailing-list``        ``List-Id``, ``List-Unsubscribe`` or ``Mailing-List``
    ``precedence-<value>``  ``Precedence: bulk``, ``junk``, ``list`` or ``auto_reply``
    ``out-of-office``       an out-of-office subject ("Automatic reply:", "自动回复：", "休假"…)

ACCEPT
    ``accepted``

The SES verdicts are trusted in their first (topmost) occurrence only: SES prepends its own headers when it
stores the mail, and anything further down was written by the sender, who may have forged it. The ignore
reasons are checked in the order above: the more specific reason wins (a bounce also says Auto-Submitted).
Per-sender burst limits need state and belong to the inbound service.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from kefu.email.model import InboundMail, Outcome, Screening
from kefu.email.prefilter import may_start

ACCEPTED = "accepted"
_SES = "amazonses.com"
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply")
_LIST_HEADERS = ("list-id", "list-unsubscribe", "mailing-list")
_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
#: A mailer daemon's or postmaster's address; compiled by the first sender whose first letter may start one (re's own
#: cache keeps it). Matched without case, "m" and "p" match themselves and "M" and "P" only.
_BOUNCE_SENDERS = r"^(?:mailer[-_]?daemon|postmaster)(?:[+@]|$)"
#: A method's result in SES's Authentication-Results; compiled by the first results that hold a failure (re's own
#: cache keeps it): most mail passes (`_failed_authentication`), and compiling it was ~1.7 M instructions.
_AUTH_RESULT = r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)"
#: Out-of-office subjects start with the client's marker, then a separator or nothing: "休假中的订单问题"
#: (a question about holiday orders) is not an auto-reply, "休假：…" or "Out of Office" alone is. Compiled by the
#: first subject that may be one (`_out_of_office`; re's own cache keeps it): compiling it was ~7 M instructions of
#: inbound mail's cold start (callgrind), and most subjects are let go by their first two letters.
_OUT_OF_OFFICE = r"""^\s*[\[【(（]?\s*(?:
        automatic\ reply | auto[-\ ]?reply | autoreply | auto[-\ ]?response | autosvar
      | out\ of\ (?:the\ )?office | ooo | abwesend | abwesenheitsnotiz | réponse\ automatique
      | respuesta\ automática | risposta\ automatica | automatisch\ antwoord | автоответ
      | 自动回复 | 自動回覆 | 自動回复 | 自动答复 | 自動答覆 | 自動応答 | 自動返信
      | 休假 | 不在办公室 | 不在辦公室 | 外出
    )(?:\s*(?:reply|autoreply|auto-reply|notice|message|通知|中|回复))?\s*(?:[\]】)）:：\-–—|]|$)"""
_OUT_OF_OFFICE_FLAGS = re.IGNORECASE | re.VERBOSE
#: The markers' first two letters, lower-cased, where both are ASCII ("ré", "ав" and the Chinese and Japanese markers
#: are not). Matched without case, an ASCII letter matches only its own two cases (the letters the pattern also
#: matches without case, "ı" for "i", "ſ" for "s" and the like, are not ASCII), so a subject that starts (past space
#: and an opening bracket) with two ASCII characters that start no marker is no out-of-office reply.
_ASCII_MARKER_STARTS = frozenset({"au", "ou", "oo", "ab", "re", "ri"})
_OPENING_BRACKETS = ("[", "【", "(", "（")


def screen(mail: InboundMail, *, own_addresses: Collection[str], own_domain: str | None = None) -> Screening:
    """Quarantine, ignore or accept `mail`, with the reason (see the module docstring for the reasons)."""
    return _quarantine(mail) or _ignore(mail, own_addresses, own_domain) or Screening(Outcome.ACCEPT, ACCEPTED)


def _quarantine(mail: InboundMail) -> Screening | None:
    for header, reason in (("x-ses-virus-verdict", "ses-virus-fail"), ("x-ses-spam-verdict", "ses-spam-fail")):
        verdict = (mail.header(header) or "").strip()
        if verdict.upper() == "FAIL":
            return Screening(Outcome.QUARANTINE, reason, f"{header}: {verdict}")
    failed = _failed_authentication(mail.header("authentication-results") or "")
    if failed:
        return Screening(Outcome.QUARANTINE, f"{failed[0]}-fail", "authentication failed: " + ", ".join(failed))
    if mail.sender is None or "@" not in mail.sender.address:
        return Screening(Outcome.QUARANTINE, "no-sender", f"from: {mail.header('from') or '(none)'}")
    return None


def _failed_authentication(results: str) -> list[str]:
    """Methods SES reports as failed; softfail, neutral, none and temperror are not failures."""
    server, _, verdicts = results.partition(";")
    if server.strip().lower() != _SES:
        return []
    if "fail" not in verdicts.lower():
        # A result that lower-cases to "fail" is "fail" in ASCII letters, of any case: no failure is written here.
        return []
    verdicts = re.sub(r"\([^()]*\)", " ", verdicts)  # comments may quote anything, even "dkim=fail"
    outcomes: dict[str, set[str]] = {}
    for method, result in re.findall(_AUTH_RESULT, verdicts, re.IGNORECASE):
        outcomes.setdefault(method.lower(), set()).add(result.lower())
    return [
        method
        for method in ("spf", "dkim", "dmarc")
        if "fail" in outcomes.get(method, ())
        and (
            "pass" not in outcomes[method]  # one of several DKIM signatures failing is normal when another passes
        )
    ]


def _ignore(mail: InboundMail, own_addresses: Collection[str], own_domain: str | None) -> Screening | None:
    sender = mail.sender.address if mail.sender else ""
    own = {address.strip().lower() for address in own_addresses}
    domain = (own_domain or "").strip().lower()
    # In this order: a bounce is a bounce even when it also looks automatic.
    found = _bounce(mail, sender) or _loop(mail, own, domain) or _own(sender, own, domain) or _automatic(mail)
    return Screening(Outcome.IGNORE, *found) if found else None


def _bounce(mail: InboundMail, sender: str) -> tuple[str, str] | None:
    return_path = mail.header("return-path")
    if mail.is_report:
        return "bounce", "multipart/report"
    if sender[:1] in ("m", "M", "p", "P") and re.match(_BOUNCE_SENDERS, sender, re.IGNORECASE):
        return "bounce", f"from: {sender}"
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "bounce", "return-path: <>"
    return None


def _loop(mail: InboundMail, own: set[str], domain: str) -> tuple[str, str] | None:
    if mail.header("x-kefu-ticket") is not None:
        return "loop", f"x-kefu-ticket: {mail.header('x-kefu-ticket')}"
    for value in mail.headers.get("x-loop", ()):
        if (domain and domain in value.lower()) or any(address in value.lower() for address in own):
            return "loop", f"x-loop: {value}"
    if domain and mail.message_id and mail.message_id.lower().rpartition("@")[2] == domain:
        return "loop", f"message-id: {mail.message_id}"
    return None


def _own(sender: str, own: set[str], domain: str) -> tuple[str, str] | None:
    if sender in own or (domain and sender.rpartition("@")[2] == domain):
        return "own-address", f"from: {sender}"
    return None


def _automatic(mail: InboundMail) -> tuple[str, str] | None:
    auto_submitted = (mail.header("auto-submitted") or "").split(";", 1)[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted", f"auto-submitted: {auto_submitted}"
    for header in (*_AUTO_REPLY_HEADERS, *_LIST_HEADERS):
        if header in mail.headers:
            reason = "auto-reply-header" if header in _AUTO_REPLY_HEADERS else "mailing-list"
            return reason, f"{header}: {mail.header(header)}"
    precedence = (mail.header("precedence") or "").strip().lower()
    if precedence in _PRECEDENCE:
        return f"precedence-{precedence}", f"precedence: {precedence}"
    if _out_of_office(mail.subject):
        return "out-of-office", f"subject: {mail.subject}"
    return None


def _out_of_office(subject: str) -> bool:
    """Whether `subject` matches `_OUT_OF_OFFICE`; one whose start no marker has is let go without the pattern."""
    start = subject.lstrip()  # the pattern's \s: the same characters (str.isspace)
    if start.startswith(_OPENING_BRACKETS):
        start = start[1:].lstrip()
    if len(start) < 2 or not may_start(start, _ASCII_MARKER_STARTS):
        return False
    return re.match(_OUT_OF_OFFICE, subject, _OUT_OF_OFFICE_FLAGS) is not None
