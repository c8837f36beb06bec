"""kefu's outgoing mail names the messages it answers with bare `<id>` tokens, however long the ids: a client
threads by reading them as message ids, and an RFC 2047 encoded word (`=?utf-8?q?=3C…?=`) is not one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from kefu.email.config import MailSettings
from kefu.email.outbound import ACKNOWLEDGEMENT, NOTICE, REPLY, compose
from kefu.model.tickets import Channel, Priority, Sla, Status, Ticket
from kefu.store.mail import IN, OUT, ThreadMail

DOMAIN = "dev.kefu.example.com"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def ses_length_id(n: int) -> str:
    """An id as SES gives the mail it sends (~80 characters), `n` making it unique."""
    return f"0100018f3a2b4c5d-6e7f8a9b-1c2d-3e4f-5a6b-{n:012d}-000000@email.amazonses.com"


def ticket() -> Ticket:
    return Ticket(
        id="TK-7F3K9Q2M",
        subject="快递一直没收到",
        description="Order 1042",
        status=Status.OPEN,
        priority=Priority.P3,
        channel=Channel.EMAIL,
        customerId="CU-1",
        sla=Sla(),
        createdAt=NOW,
        updatedAt=NOW,
        version=1,
    )


def thread_of(count: int) -> list[ThreadMail]:
    """A thread of `count` mails, alternating the customer's (in) and kefu's (out), all with SES-length ids."""
    return [
        ThreadMail(message_id=ses_length_id(n), direction=IN if n % 2 == 0 else OUT, mailbox=None, at=NOW.isoformat())
        for n in range(count)
    ]


def composed(kind: str, thread: list[ThreadMail], message_id: str) -> bytes:
    config = MailSettings(domain=DOMAIN, recipients=(f"support@{DOMAIN}",))
    message = compose(
        ticket=ticket(),
        kind=kind,
        body="您的快递已经发出。",
        to=Address(display_name="李雷", addr_spec="li.lei@example.cn"),
        mailbox=f"support@{DOMAIN}",
        message_id=message_id,
        thread=thread,
        config=config,
        subject="回访" if kind == NOTICE else None,
    )
    return message.as_bytes()


def raw_header(raw: bytes, name: str) -> list[str]:
    """The header's physical lines as written (the first with its name), before any parsing."""
    head = raw.split(b"\n\n", 1)[0].decode("ascii")
    lines = head.split("\n")
    for index, line in enumerate(lines):
        if line.lower().startswith(f"{name.lower()}:"):
            folded = [line]
            for more in lines[index + 1 :]:
                if not more.startswith((" ", "\t")):
                    break
                folded.append(more)
            return folded
    raise AssertionError(f"no {name} header in {head!r}")


def tokens(folded: list[str], name: str) -> list[str]:
    return " ".join(folded)[len(name) + 1 :].split()


@pytest.mark.parametrize("kind", [REPLY, ACKNOWLEDGEMENT, NOTICE])
def test_a_thread_of_ten_ses_length_ids_is_referenced_by_bare_tokens_folded_at_whitespace(kind):
    thread = thread_of(10)

    raw = composed(kind, thread, f"TK-7F3K9Q2M-01JDQ0000000000000000000@{DOMAIN}")

    folded = raw_header(raw, "References")
    assert tokens(folded, "References") == [f"<{mail.message_id}>" for mail in thread]
    assert len(folded) == 10  # one id a line: each is too long to share a 78-character line with another
    assert all(re.fullmatch(r"(References:)? <[^<>\s]+>", line) for line in folded)


@pytest.mark.parametrize("name", ["Message-ID", "In-Reply-To", "References"])
def test_no_message_id_header_is_ever_an_encoded_word(name):
    raw = composed(REPLY, thread_of(10), f"TK-7F3K9Q2M-{'0' * 90}@{DOMAIN}")

    folded = raw_header(raw, name)
    assert "=?" not in "".join(folded)
    assert all(re.fullmatch(r"<[^<>\s]+>", token) for token in tokens(folded, name))


def test_an_id_longer_than_a_line_stays_whole_on_its_own_line():
    long_id = f"TK-7F3K9Q2M-{'0' * 120}@{DOMAIN}"

    raw = composed(REPLY, [], long_id)

    assert raw_header(raw, "Message-ID") == [f"Message-ID: <{long_id}>"]


def test_short_ids_share_lines_that_stay_within_78_characters():
    thread = [
        ThreadMail(message_id=f"m{n}@example.cn", direction=IN, mailbox=None, at=NOW.isoformat()) for n in range(30)
    ]

    raw = composed(REPLY, thread, f"TK-7F3K9Q2M-1@{DOMAIN}")

    folded = raw_header(raw, "References")
    assert 1 < len(folded) < 30
    assert all(len(line) <= 78 for line in folded)
    assert tokens(folded, "References") == [f"<m{n}@example.cn>" for n in range(30)]


def test_a_client_reading_the_mail_finds_every_id_of_the_thread():
    thread = thread_of(10)

    parsed = message_from_bytes(composed(REPLY, thread, f"TK-7F3K9Q2M-1@{DOMAIN}"), policy=policy.default)

    assert str(parsed["References"]).split() == [f"<{mail.message_id}>" for mail in thread]
    assert str(parsed["In-Reply-To"]) == f"<{thread[-2].message_id}>"  # the customer's latest


def test_an_id_that_cannot_be_written_bare_is_left_out_of_the_thread_rather_than_encoded():
    thread = [
        ThreadMail(message_id="ok-1@example.cn", direction=IN, mailbox=None, at=NOW.isoformat()),
        ThreadMail(message_id="订单-2@example.cn", direction=OUT, mailbox=None, at=NOW.isoformat()),
    ]

    raw = composed(REPLY, thread, f"TK-7F3K9Q2M-1@{DOMAIN}")

    assert raw_header(raw, "References") == ["References: <ok-1@example.cn>"]
