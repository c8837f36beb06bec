"""Threading signals in inbound mail, and how kefu marks its outgoing mail so replies find their ticket."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.email import threading as threading_module
from kefu.email.model import Address, InboundMail
from kefu.email.parsing import parse
from kefu.email.threading import normalize_subject, reply_address, subject_with_token, thread_signals

DOMAIN = "dev.kefu.example.com"


def _mail(
    *,
    subject: str = "Re: Refund",
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    to: tuple[str, ...] = ("support@dev.kefu.example.com",),
    cc: tuple[str, ...] = (),
    headers: dict[str, tuple[str, ...]] | None = None,
) -> InboundMail:
    return InboundMail(
        message_id="new@mail.example.cn",
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        sender=Address("li.lei@example.cn"),
        reply_to=None,
        to=tuple(Address(address) for address in to),
        cc=tuple(Address(address) for address in cc),
        date=None,
        text="",
        attachments=(),
        headers=headers or {},
    )


# --- message ids -------------------------------------------------------------------------------------------


def test_in_reply_to_comes_first_then_references_newest_first():
    mail = _mail(in_reply_to=("c@x",), references=("a@x", "b@x", "c@x"))
    assert thread_signals(mail, domain=DOMAIN).message_ids == ("c@x", "b@x", "a@x")


def test_message_ids_are_not_repeated():
    mail = _mail(in_reply_to=("b@x", "b@x"), references=("a@x", "b@x", "a@x"))
    assert thread_signals(mail, domain=DOMAIN).message_ids == ("b@x", "a@x")


def test_at_most_fifty_message_ids_are_given_the_newest_ones():
    mail = _mail(references=tuple(f"{n}@x" for n in range(80)))
    ids = thread_signals(mail, domain=DOMAIN).message_ids
    assert (len(ids), ids[0], ids[-1]) == (50, "79@x", "30@x")


def test_a_mail_without_ids_has_no_message_id_signal():
    assert thread_signals(_mail(), domain=DOMAIN).message_ids == ()


# --- subject token -----------------------------------------------------------------------------------------


def test_the_ticket_token_in_the_subject_is_found():
    assert thread_signals(_mail(subject="Re: 订单没收到 [TK-7Q2M9KXR]"), domain=DOMAIN).subject_token == "TK-7Q2M9KXR"


def test_a_token_whose_case_a_client_changed_is_still_found():
    assert thread_signals(_mail(subject="re: refund [tk-7q2m9kxr]"), domain=DOMAIN).subject_token == "TK-7Q2M9KXR"


def test_the_last_token_wins_because_kefu_appends_its_own():
    mail = _mail(subject="Fwd: [TK-AAAAAAAA] old question [TK-7Q2M9KXR]")
    assert thread_signals(mail, domain=DOMAIN).subject_token == "TK-7Q2M9KXR"


@pytest.mark.parametrize(
    "subject", ["Ticket TK-7Q2M9KXR", "[TK-7Q2M9KX]", "[TK-7Q2M9KXRZ]", "[TK-7Q2M9K-R]", "[CU-7Q2M9KXR]"]
)
def test_text_that_is_not_a_bracketed_ticket_id_is_no_token(subject: str):
    assert thread_signals(_mail(subject=subject), domain=DOMAIN).subject_token is None


# --- address token -----------------------------------------------------------------------------------------


def test_a_plus_address_recipient_carries_the_ticket():
    mail = _mail(to=("support+TK-7Q2M9KXR@dev.kefu.example.com",))
    assert thread_signals(mail, domain=DOMAIN).address_token == "TK-7Q2M9KXR"


def test_the_plus_address_is_read_without_case():
    mail = _mail(to=("support+tk-7q2m9kxr@DEV.KEFU.EXAMPLE.COM",))
    assert thread_signals(mail, domain=DOMAIN).address_token == "TK-7Q2M9KXR"


def test_a_plus_address_in_cc_counts():
    mail = _mail(cc=("support+TK-7Q2M9KXR@dev.kefu.example.com",))
    assert thread_signals(mail, domain=DOMAIN).address_token == "TK-7Q2M9KXR"


@pytest.mark.parametrize("header", ["delivered-to", "x-original-to"])
def test_an_envelope_recipient_header_carries_the_ticket(header: str):
    mail = _mail(headers={header: ("<support+TK-7Q2M9KXR@dev.kefu.example.com>",)})
    assert thread_signals(mail, domain=DOMAIN).address_token == "TK-7Q2M9KXR"


def test_a_plus_address_at_another_domain_does_not_count():
    mail = _mail(to=("support+TK-7Q2M9KXR@elsewhere.example.org",))
    assert thread_signals(mail, domain=DOMAIN).address_token is None


def test_without_a_domain_a_plus_address_at_any_domain_counts():
    mail = _mail(to=("support+TK-7Q2M9KXR@elsewhere.example.org",))
    assert thread_signals(mail, domain=None).address_token == "TK-7Q2M9KXR"


def test_a_plus_tag_that_is_not_a_ticket_id_is_no_token():
    mail = _mail(to=("support+newsletter@dev.kefu.example.com",))
    assert thread_signals(mail, domain=DOMAIN).address_token is None


# --- what kefu sends ---------------------------------------------------------------------------------------


def test_the_token_is_added_to_the_subject():
    assert subject_with_token("Re: Refund for order 88231", "TK-7Q2M9KXR") == "Re: Refund for order 88231 [TK-7Q2M9KXR]"


def test_the_token_is_added_only_once():
    subject = subject_with_token(subject_with_token("Refund", "TK-7Q2M9KXR"), "TK-7Q2M9KXR")
    assert subject == "Refund [TK-7Q2M9KXR]"


def test_an_existing_token_is_kept_where_it_is():
    assert subject_with_token("Re: [TK-7Q2M9KXR] Refund", "TK-7Q2M9KXR") == "Re: [TK-7Q2M9KXR] Refund"


def test_nothing_else_is_stripped_from_the_subject():
    assert subject_with_token("RE: Fwd: 退款", "TK-7Q2M9KXR") == "RE: Fwd: 退款 [TK-7Q2M9KXR]"


def test_an_empty_subject_becomes_the_token():
    assert subject_with_token("", "TK-7Q2M9KXR") == "[TK-7Q2M9KXR]"


def test_a_subject_with_the_token_threads_back_to_its_ticket():
    subject = subject_with_token("Refund", "TK-7Q2M9KXR")
    assert thread_signals(_mail(subject=f"Re: {subject}"), domain=DOMAIN).subject_token == "TK-7Q2M9KXR"


def test_the_reply_address_carries_the_ticket():
    assert reply_address("support@dev.kefu.example.com", "TK-7Q2M9KXR") == "support+TK-7Q2M9KXR@dev.kefu.example.com"


def test_the_reply_address_replaces_an_earlier_tag():
    address = reply_address("support+TK-AAAAAAAA@dev.kefu.example.com", "TK-7Q2M9KXR")
    assert address == "support+TK-7Q2M9KXR@dev.kefu.example.com"


def test_a_reply_address_threads_back_to_its_ticket():
    mail = _mail(to=(reply_address("support@dev.kefu.example.com", "TK-7Q2M9KXR"),))
    assert thread_signals(mail, domain=DOMAIN).address_token == "TK-7Q2M9KXR"


@pytest.mark.parametrize(("mailbox", "ticket_id"), [("support", "TK-7Q2M9KXR"), ("support@d.example", "TK-1")])
def test_a_reply_address_needs_a_mailbox_and_a_ticket_id(mailbox: str, ticket_id: str):
    with pytest.raises(ValueError):
        reply_address(mailbox, ticket_id)


# --- clean subjects ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: RE: Fwd: FW: Refund [TK-7Q2M9KXR]", "Refund"),
        ("回复：回复: 退款问题 [TK-7Q2M9KXR]", "退款问题"),
        ("回覆：答复：转发: 訂單", "訂單"),
        ("AW: WG: Antw: SV: Rechnung", "Rechnung"),
        ("Re[2]: Re^3: Invoice", "Invoice"),
        ("Re : Facture", "Facture"),
        ("Regarding: your offer", "Regarding: your offer"),
        ("[TK-7Q2M9KXR]", ""),
    ],
)
def test_normalize_subject_strips_reply_prefixes_and_the_token(subject: str, clean: str):
    assert normalize_subject(subject) == clean


# --- the patterns' prefilters ------------------------------------------------------------------------------

#: The reply and forward prefixes as the pattern writes them.
PREFIXES = ["re", "fwd", "fw", "aw", "wg", "sv", "vs", "antw", "tr", "rv", "odp", "res", "enc"]
PREFIXES += ["回复", "回覆", "答复", "答覆", "转发", "轉發", "转寄", "轉寄"]
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
CORPUS_SUBJECTS = sorted({parse(path.read_bytes()).subject for path in CORPUS.glob("*.eml")})


def _patterns_say(subject: str) -> str:
    """The subject as both patterns, asked of every subject, clean it."""
    without_token = re.sub(threading_module._TOKEN, " ", subject, flags=re.IGNORECASE)
    return " ".join(re.sub(threading_module._REPLY_PREFIXES, "", without_token, flags=re.I | re.X).split())


def _case_mixed(text: str, flips: list[bool]) -> str:
    flips = (flips + [False] * len(text))[: len(text)]
    return "".join(char.swapcase() if flip else char for char, flip in zip(text, flips, strict=True))


PREFIX_LIKE = st.builds(
    lambda lead, prefixes, tail: lead + "".join(prefixes) + tail,
    st.text(alphabet=" \t\u3000\xa0", max_size=2),
    st.lists(
        st.builds(
            lambda prefix, flips, cut, number, colon: _case_mixed(prefix, flips)[: cut or None] + number + colon,
            st.sampled_from(PREFIXES),
            st.lists(st.booleans(), max_size=5),
            st.integers(0, 3),
            st.sampled_from(["", " ", "[2]", "^3", "(4)", " [12]", "[x]"]),
            st.sampled_from([":", "：", " : ", "", ";"]),
        ),
        max_size=4,
    ),
    st.sampled_from(["", " Refund", " [TK-7Q2M9KXR]", "[tk-7q2m9kxr] x", " [ TK-ABCDEFGH ]"]) | st.text(max_size=10),
)


@pytest.mark.parametrize("subject", [*CORPUS_SUBJECTS, *PREFIXES, "Order 1042 never arrived", "", " ", "R", "回"])
def test_a_subject_is_cleaned_as_the_patterns_clean_it_when_asked_of_every_subject(subject: str):
    assert normalize_subject(subject) == _patterns_say(subject)


@settings(max_examples=1500, deadline=None)
@given(PREFIX_LIKE | st.text(max_size=30))
def test_a_generated_subject_is_cleaned_as_the_patterns_clean_it_when_asked_of_every_subject(subject: str):
    assert normalize_subject(subject) == _patterns_say(subject)


def test_the_ascii_starts_of_the_reply_prefixes_are_the_prefilters():
    starts = {prefix[:2] for prefix in PREFIXES if prefix[:2].isascii()}
    assert starts == threading_module._ASCII_PREFIX_STARTS
    for letter in {char for start in starts for char in start}:
        for code in range(128):
            char = chr(code)
            assert (re.fullmatch(letter, char, re.IGNORECASE) is not None) is (char.lower() == letter)
