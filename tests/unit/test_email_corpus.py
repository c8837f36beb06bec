"""Real-client mail in tests/fixtures/mail, read and screened as expected.yaml says.

Each test checks one thing across the corpus; a mail takes part in a test when its entry states that thing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kefu.email.model import InboundMail
from kefu.email.parsing import parse
from kefu.email.screening import screen
from kefu.email.threading import thread_signals

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
OWN_ADDRESSES = {"support@dev.kefu.example.com", "complaints@dev.kefu.example.com"}
OWN_DOMAIN = "dev.kefu.example.com"


@cache
def _parsed(name: str) -> InboundMail:
    return parse((CORPUS / name).read_bytes())


def _entries(*keys: str, non_empty: bool = False) -> list:
    """The corpus entries stating all of `keys` (with a value, if `non_empty`), as parameters named after their file."""
    return [
        pytest.param(name, entry, id=name)
        for name, entry in EXPECTED.items()
        if all(key in entry and (entry[key] or not non_empty) for key in keys)
    ]


def test_every_mail_has_an_entry_and_every_entry_a_mail():
    files = {path.name for path in CORPUS.glob("*.eml")}
    assert files == set(EXPECTED)


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(EXPECTED) >= 45


@pytest.mark.parametrize(("name", "entry"), _entries("client", "outcome", "reason"))
def test_each_mail_is_screened_as_expected(name: str, entry: dict[str, Any]):
    screening = screen(_parsed(name), own_addresses=OWN_ADDRESSES, own_domain=OWN_DOMAIN)
    assert (screening.outcome.value, screening.reason) == (entry["outcome"], entry["reason"])


@pytest.mark.parametrize(("name", "entry"), _entries("sender"))
def test_each_mails_sender_is_read(name: str, entry: dict[str, Any]):
    sender = _parsed(name).sender
    assert (sender.address if sender else None) == entry["sender"]


@pytest.mark.parametrize(("name", "entry"), _entries("sender_name"))
def test_each_senders_display_name_is_decoded(name: str, entry: dict[str, Any]):
    assert _parsed(name).sender.name == entry["sender_name"]


@pytest.mark.parametrize(("name", "entry"), _entries("subject"))
def test_each_subject_is_decoded(name: str, entry: dict[str, Any]):
    assert _parsed(name).subject == entry["subject"]


@pytest.mark.parametrize(("name", "entry"), _entries("reply_contains", non_empty=True))
def test_the_reply_holds_what_the_customer_wrote(name: str, entry: dict[str, Any]):
    reply = _parsed(name).reply_text
    assert [phrase for phrase in entry["reply_contains"] if phrase not in reply] == []


@pytest.mark.parametrize(("name", "entry"), _entries("reply_text"))
def test_the_reply_is_exactly_as_expected(name: str, entry: dict[str, Any]):
    assert _parsed(name).reply_text == entry["reply_text"]


@pytest.mark.parametrize(("name", "entry"), _entries("reply_excludes"))
def test_the_reply_leaves_out_quoted_history_signatures_and_footers(name: str, entry: dict[str, Any]):
    reply = _parsed(name).reply_text
    assert [phrase for phrase in entry["reply_excludes"] if phrase in reply] == []


@pytest.mark.parametrize(("name", "entry"), _entries("text_contains"))
def test_the_whole_text_keeps_the_history(name: str, entry: dict[str, Any]):
    text = _parsed(name).text
    assert [phrase for phrase in entry["text_contains"] if phrase not in text] == []


@pytest.mark.parametrize(("name", "entry"), _entries("text_excludes"))
def test_the_text_holds_no_markup_attachment_or_hidden_content(name: str, entry: dict[str, Any]):
    text = _parsed(name).text
    assert [phrase for phrase in entry["text_excludes"] if phrase in text] == []


@pytest.mark.parametrize(("name", "entry"), _entries("attachments"))
def test_attachments_are_found_with_their_decoded_names(name: str, entry: dict[str, Any]):
    assert [attachment.filename for attachment in _parsed(name).attachments] == entry["attachments"]


@pytest.mark.parametrize(("name", "entry"), _entries("inline"))
def test_inline_images_are_told_from_attachments(name: str, entry: dict[str, Any]):
    assert sum(attachment.inline for attachment in _parsed(name).attachments) == entry["inline"]


@pytest.mark.parametrize(("name", "entry"), _entries("thread"))
def test_thread_signals_are_found(name: str, entry: dict[str, Any]):
    signals = thread_signals(_parsed(name), domain=OWN_DOMAIN)
    assert {
        "message_ids": list(signals.message_ids),
        "subject_token": signals.subject_token,
        "address_token": signals.address_token,
    } == entry["thread"]


@pytest.mark.parametrize(("name", "entry"), _entries("outcome"))
def test_delivery_reports_are_marked_as_reports(name: str, entry: dict[str, Any]):
    assert _parsed(name).is_report is entry.get("is_report", False)


@pytest.mark.parametrize(("name", "entry"), _entries("defects_contain"))
def test_repairs_are_noted_in_the_defects(name: str, entry: dict[str, Any]):
    assert entry["defects_contain"] in _parsed(name).defects


@pytest.mark.parametrize(("name", "entry"), _entries("client"))
def test_no_corpus_mail_needs_the_last_resort_reading(name: str, entry: dict[str, Any]):
    assert not any(defect.startswith("unreadable MIME structure") for defect in _parsed(name).defects)


@pytest.mark.parametrize(("name", "entry"), _entries("client"))
def test_no_corpus_mail_is_read_with_replacement_characters(name: str, entry: dict[str, Any]):
    mail = _parsed(name)
    assert "\ufffd" not in mail.subject + mail.text + "".join(a.filename for a in mail.attachments)
