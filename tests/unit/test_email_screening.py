"""Screening inbound mail: quarantine failed verdicts, ignore automatic mail and loops, accept the rest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.email import screening as screening_module
from kefu.email.model import Address, InboundMail, Outcome
from kefu.email.parsing import parse
from kefu.email.screening import screen

OWN = {"support@dev.kefu.example.com", "complaints@dev.kefu.example.com"}
DOMAIN = "dev.kefu.example.com"
SES_PASS = "amazonses.com; spf=pass (spfCheck: ok) client-ip=203.0.113.25; dkim=pass header.i=@example.cn; dmarc=pass"


def _mail(
    *,
    sender: str | None = "li.lei@example.cn",
    subject: str = "Where is my order?",
    headers: dict[str, tuple[str, ...]] | None = None,
    message_id: str | None = "abc@mail.example.cn",
    is_report: bool = False,
) -> InboundMail:
    return InboundMail(
        message_id=message_id,
        in_reply_to=(),
        references=(),
        subject=subject,
        sender=Address(sender) if sender else None,
        reply_to=None,
        to=(Address("support@dev.kefu.example.com"),),
        cc=(),
        date=None,
        text="Hello",
        attachments=(),
        headers={"authentication-results": (SES_PASS,), **(headers or {})},
        is_report=is_report,
    )


def _screen(mail: InboundMail):
    return screen(mail, own_addresses=OWN, own_domain=DOMAIN)


# --- accept ------------------------------------------------------------------------------------------------


def test_an_ordinary_customer_mail_is_accepted():
    screening = _screen(_mail())
    assert (screening.outcome, screening.reason) == (Outcome.ACCEPT, "accepted")


# --- quarantine --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"), [("x-ses-spam-verdict", "ses-spam-fail"), ("x-ses-virus-verdict", "ses-virus-fail")]
)
def test_a_failed_ses_verdict_is_quarantined(header: str, reason: str):
    screening = _screen(_mail(headers={header: ("FAIL",)}))
    assert (screening.outcome, screening.reason) == (Outcome.QUARANTINE, reason)


def test_a_passed_ses_verdict_is_not_quarantined():
    assert _screen(_mail(headers={"x-ses-spam-verdict": ("PASS",)})).outcome is Outcome.ACCEPT


def test_a_virus_outranks_spam():
    screening = _screen(_mail(headers={"x-ses-spam-verdict": ("FAIL",), "x-ses-virus-verdict": ("FAIL",)}))
    assert screening.reason == "ses-virus-fail"


def test_only_the_topmost_ses_verdict_counts():
    # Given SES's own PASS on top and a FAIL further down, written by the sender
    screening = _screen(_mail(headers={"x-ses-spam-verdict": ("PASS", "FAIL")}))
    # Then the sender's header is not trusted
    assert screening.outcome is Outcome.ACCEPT


def test_a_forged_pass_below_the_ses_fail_does_not_rescue_the_mail():
    screening = _screen(_mail(headers={"x-ses-virus-verdict": ("FAIL", "PASS")}))
    assert screening.reason == "ses-virus-fail"


@pytest.mark.parametrize(
    ("results", "reason"),
    [
        ("amazonses.com; spf=fail (spfCheck: not permitted) client-ip=192.0.2.1; dkim=pass; dmarc=pass", "spf-fail"),
        ("amazonses.com; spf=pass; dkim=fail header.i=@example-bank.com; dmarc=pass", "dkim-fail"),
        ("amazonses.com; spf=softfail; dkim=none; dmarc=fail header.from=example-partner.com", "dmarc-fail"),
    ],
)
def test_a_failed_authentication_reported_by_ses_is_quarantined(results: str, reason: str):
    screening = _screen(_mail(headers={"authentication-results": (results,)}))
    assert (screening.outcome, screening.reason) == (Outcome.QUARANTINE, reason)


@pytest.mark.parametrize("result", ["softfail", "none", "neutral", "temperror", "permerror"])
def test_results_short_of_fail_are_not_failures(result: str):
    results = f"amazonses.com; spf={result}; dkim={result}; dmarc={result}"
    assert _screen(_mail(headers={"authentication-results": (results,)})).outcome is Outcome.ACCEPT


def test_authentication_results_from_another_server_are_not_trusted():
    results = ("mx.example-attacker.net; spf=fail; dkim=fail; dmarc=fail",)
    assert _screen(_mail(headers={"authentication-results": results})).outcome is Outcome.ACCEPT


def test_a_forged_pass_below_the_ses_results_does_not_hide_a_failure():
    results = ("amazonses.com; spf=pass; dkim=fail; dmarc=pass", "amazonses.com; spf=pass; dkim=pass; dmarc=pass")
    assert _screen(_mail(headers={"authentication-results": results})).reason == "dkim-fail"


def test_a_failure_quoted_inside_a_comment_is_not_a_failure():
    results = ("amazonses.com; spf=pass (spfCheck: was dkim=fail last time) client-ip=1.2.3.4; dkim=pass; dmarc=pass",)
    assert _screen(_mail(headers={"authentication-results": results})).outcome is Outcome.ACCEPT


def test_one_failed_dkim_signature_next_to_a_passing_one_is_not_a_failure():
    results = ("amazonses.com; spf=pass; dkim=fail header.i=@esp.example; dkim=pass header.i=@example.cn; dmarc=pass",)
    assert _screen(_mail(headers={"authentication-results": results})).outcome is Outcome.ACCEPT


def test_a_mail_without_a_sender_is_quarantined():
    screening = _screen(_mail(sender=None))
    assert (screening.outcome, screening.reason) == (Outcome.QUARANTINE, "no-sender")


def test_quarantine_comes_before_ignore():
    # Given an auto-reply that also failed DMARC
    headers = {"auto-submitted": ("auto-replied",), "authentication-results": ("amazonses.com; dmarc=fail",)}
    # Then it is quarantined: a person should see the forged mail
    assert _screen(_mail(headers=headers)).outcome is Outcome.QUARANTINE


# --- ignore ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["auto-replied", "auto-generated", "auto-notified; owner-email=x@example.com"])
def test_auto_submitted_mail_is_ignored(value: str):
    screening = _screen(_mail(headers={"auto-submitted": (value,)}))
    assert (screening.outcome, screening.reason) == (Outcome.IGNORE, "auto-submitted")


def test_auto_submitted_no_is_an_ordinary_mail():
    assert _screen(_mail(headers={"auto-submitted": ("no",)})).outcome is Outcome.ACCEPT


@pytest.mark.parametrize("header", ["x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply"])
def test_an_auto_reply_header_is_ignored(header: str):
    assert _screen(_mail(headers={header: ("yes",)})).reason == "auto-reply-header"


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "auto_reply"])
def test_bulk_precedence_is_ignored_with_its_value(value: str):
    screening = _screen(_mail(headers={"precedence": (value.upper(),)}))
    assert (screening.outcome, screening.reason) == (Outcome.IGNORE, f"precedence-{value}")


def test_precedence_first_class_is_an_ordinary_mail():
    assert _screen(_mail(headers={"precedence": ("first-class",)})).outcome is Outcome.ACCEPT


@pytest.mark.parametrize("header", ["list-id", "list-unsubscribe"])
def test_mailing_list_mail_is_ignored(header: str):
    assert _screen(_mail(headers={header: ("<devtools.lists.example.org>",)})).reason == "mailing-list"


def test_a_mailing_list_header_outranks_its_precedence():
    headers = {"list-id": ("<devtools.lists.example.org>",), "precedence": ("list",)}
    assert _screen(_mail(headers=headers)).reason == "mailing-list"


def test_a_delivery_report_is_a_bounce():
    screening = _screen(_mail(is_report=True))
    assert (screening.outcome, screening.reason) == (Outcome.IGNORE, "bounce")


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mail.example.net", "mailer-daemon@googlemail.com", "postmaster@x.org"]
)
def test_mail_from_a_mailer_daemon_or_postmaster_is_a_bounce(sender: str):
    assert _screen(_mail(sender=sender.lower())).reason == "bounce"


def test_an_empty_return_path_is_a_bounce():
    assert _screen(_mail(headers={"return-path": ("<>",)})).reason == "bounce"


def test_a_bounce_is_named_a_bounce_even_though_it_is_also_auto_submitted():
    assert _screen(_mail(is_report=True, headers={"auto-submitted": ("auto-replied",)})).reason == "bounce"


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Re: Contract renewal",
        "Automatic reply: Your request [TK-4D8N3VPA]",
        "Auto-Reply: thanks",
        "Autoreply",
        "Abwesend: Ihre Anfrage",
        "自动回复：您的工单已创建",
        "自動回覆：訂單",
        "休假：11月20日至11月27日",
        "【自动回复】您好",
        "不在办公室",
        "外出中",
    ],
)
def test_an_out_of_office_subject_is_ignored(subject: str):
    assert _screen(_mail(subject=subject)).reason == "out-of-office"


@pytest.mark.parametrize(
    "subject",
    ["休假期间的订单什么时候发货？", "外出时无法登录", "Out of office hours support?", "Auto-renewal question"],
)
def test_a_customer_subject_that_merely_starts_like_an_auto_reply_is_accepted(subject: str):
    assert _screen(_mail(subject=subject)).outcome is Outcome.ACCEPT


@pytest.mark.parametrize("sender", ["support@dev.kefu.example.com", "Complaints@Dev.Kefu.Example.com"])
def test_mail_from_kefus_own_address_is_ignored(sender: str):
    screening = _screen(_mail(sender=sender.lower()))
    assert (screening.outcome, screening.reason) == (Outcome.IGNORE, "own-address")


def test_mail_from_any_address_of_kefus_mail_domain_is_ignored():
    assert _screen(_mail(sender="support+tk-7q2m9kxr@dev.kefu.example.com")).reason == "own-address"


def test_own_addresses_are_compared_without_case():
    screening = screen(_mail(sender="support@dev.kefu.example.com"), own_addresses={"SUPPORT@Dev.Kefu.Example.COM"})
    assert screening.reason == "own-address"


def test_a_subdomain_of_kefus_domain_is_not_kefu():
    assert _screen(_mail(sender="someone@mail.dev.kefu.example.com")).outcome is Outcome.ACCEPT


def test_kefus_ticket_header_coming_back_is_a_loop():
    screening = _screen(_mail(headers={"x-kefu-ticket": ("TK-7Q2M9KXR",)}))
    assert (screening.outcome, screening.reason) == (Outcome.IGNORE, "loop")


def test_kefus_domain_in_an_x_loop_header_is_a_loop():
    assert _screen(_mail(headers={"x-loop": ("support@dev.kefu.example.com",)})).reason == "loop"


def test_another_systems_x_loop_header_is_not_kefus_loop():
    assert _screen(_mail(headers={"x-loop": ("helpdesk@example.org",)})).outcome is Outcome.ACCEPT


def test_a_message_id_in_kefus_domain_is_a_loop():
    assert _screen(_mail(message_id="kefu.TK-7Q2M9KXR.1f3a9c@dev.kefu.example.com")).reason == "loop"


def test_without_an_own_domain_only_the_own_addresses_count():
    screening = screen(_mail(sender="billing@dev.kefu.example.com"), own_addresses=OWN)
    assert screening.outcome is Outcome.ACCEPT


def test_every_screening_carries_a_detail_for_people_to_read():
    assert _screen(_mail(headers={"precedence": ("bulk",)})).detail == "precedence: bulk"


# --- the out-of-office pattern's prefilter -----------------------------------------------------------------

#: The pattern's markers as written in it (their first two letters decide whether the pattern is asked at all).
MARKERS = [
    *("automatic reply", "auto reply", "auto-reply", "autoreply", "auto response", "auto-response", "autoresponse"),
    *("autosvar", "out of office", "out of the office", "ooo", "abwesend", "abwesenheitsnotiz", "réponse automatique"),
    *("respuesta automática", "risposta automatica", "automatisch antwoord", "автоответ", "自动回复", "自動回覆"),
    *("自動回复", "自动答复", "自動答覆", "自動応答", "自動返信", "休假", "不在办公室", "不在辦公室", "外出"),
]
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
CORPUS_SUBJECTS = sorted({parse(path.read_bytes()).subject for path in CORPUS.glob("*.eml")})


def _pattern_says(subject: str) -> bool:
    return re.match(screening_module._OUT_OF_OFFICE, subject, screening_module._OUT_OF_OFFICE_FLAGS) is not None


def _case_mixed(text: str, flips: list[bool]) -> str:
    flips = (flips + [False] * len(text))[: len(text)]
    return "".join(char.swapcase() if flip else char for char, flip in zip(text, flips, strict=True))


MARKER_LIKE = st.builds(
    lambda lead, bracket, marker, flips, cut, tail: lead + bracket + _case_mixed(marker, flips)[: cut or None] + tail,
    st.text(alphabet=" \t\n\u3000\xa0\x1c", max_size=3),
    st.sampled_from(["", "[", "【", "(", "（", "{", "<"]),
    st.sampled_from(MARKERS),
    st.lists(st.booleans(), max_size=20),
    st.integers(0, 4),
    st.sampled_from(["", ":", "：", " reply:", " notice -", "中", "】", "]", "x", " "]) | st.text(max_size=8),
)


@pytest.mark.parametrize("subject", [*CORPUS_SUBJECTS, *MARKERS, "Order 1042 never arrived", "", " ", "[", "O", "自"])
def test_the_out_of_office_prefilter_gives_the_patterns_verdict_on_known_subjects(subject: str):
    assert screening_module._out_of_office(subject) is _pattern_says(subject)


@settings(max_examples=1500, deadline=None)
@given(MARKER_LIKE | st.text(max_size=30))
def test_the_out_of_office_prefilter_gives_the_patterns_verdict_on_generated_subjects(subject: str):
    assert screening_module._out_of_office(subject) is _pattern_says(subject)


def test_an_ascii_character_matches_a_markers_first_letters_without_case_only_as_its_own_lower_case():
    # What the prefilter leans on: the markers' first two letters, matched by the pattern without case, are matched
    # by no ASCII character but their own two cases (ASCII or not, as the prefilter tells them apart).
    letters = {char for marker in MARKERS for char in marker[:2]}
    for letter in letters:
        for code in range(128):
            char = chr(code)
            assert (re.fullmatch(re.escape(letter), char, re.IGNORECASE) is not None) is (char.lower() == letter)
    assert {marker[:2].lower() for marker in MARKERS if marker[:2].isascii()} == screening_module._ASCII_MARKER_STARTS


# --- the authentication results' prefilter -----------------------------------------------------------------


def _failures_by_the_pattern(results: str) -> list[str]:
    """The methods failed as the results' pattern reads them when asked of every SES result."""
    server, _, verdicts = results.partition(";")
    if server.strip().lower() != "amazonses.com":
        return []
    outcomes: dict[str, set[str]] = {}
    uncommented = re.sub(r"\([^()]*\)", " ", verdicts)
    for method, result in re.findall(screening_module._AUTH_RESULT, uncommented, re.IGNORECASE):
        outcomes.setdefault(method.lower(), set()).add(result.lower())
    return [m for m in ("spf", "dkim", "dmarc") if "fail" in outcomes.get(m, ()) and "pass" not in outcomes[m]]


RESULT_LIKE = st.builds(
    lambda parts: "amazonses.com;" + ";".join(parts),
    st.lists(
        st.builds(
            lambda method, flips, result, comment: (
                f" {_case_mixed(method, flips)}={_case_mixed(result, flips)}{comment}"
            ),
            st.sampled_from(["spf", "dkim", "dmarc", "arc", "x"]),
            st.lists(st.booleans(), max_size=8),
            st.sampled_from(["fail", "pass", "softfail", "none", "faıl", "FAİL", "fa", "il", "failed"]),
            st.sampled_from(["", " (dkim=fail)", " (fa", "il)", " header.i=@x"]),
        ),
        max_size=5,
    ),
)


@settings(max_examples=1500, deadline=None)
@given(RESULT_LIKE | st.text(max_size=40).map(lambda text: "amazonses.com;" + text))
def test_failed_authentication_is_read_as_the_pattern_reads_it_when_asked_of_every_result(results: str):
    assert screening_module._failed_authentication(results) == _failures_by_the_pattern(results)


def test_only_m_and_p_of_either_case_start_a_mailer_daemons_or_postmasters_address_without_case():
    # What lets a sender go without the bounce senders' pattern: no other character of any script starts a match
    first_letters = re.compile("[mp]", re.IGNORECASE)
    starting = {chr(code) for code in range(0x110000) if first_letters.match(chr(code))}
    assert starting == {"m", "M", "p", "P"}
    assert all(
        screening_module._bounce(_mail(sender=f"{name}@x.org"), f"{name}@x.org")
        for name in ("MAILER-daemon", "Postmaster")
    )
