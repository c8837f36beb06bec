"""No bytes crash the mail reader: arbitrary input, MIME-shaped junk and damaged real-client mail.

What parse returns must also be safe to screen, thread and store: every string valid Unicode (no lone
surrogates, which DynamoDB and JSON reject).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.email.model import InboundMail, Outcome, Screening, ThreadSignals
from kefu.email.parsing import parse
from kefu.email.screening import screen
from kefu.email.threading import thread_signals

CORPUS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "mail").glob("*.eml"))
MAILS = [path.read_bytes() for path in CORPUS]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Pieces real and broken MIME is made of, to reach the parser's structural paths more often than random bytes.
FRAGMENTS = [
    b"From: =?gb2312?B?wO7A2g==?= <li@example.cn>\r\n",
    b"Subject: =?utf-8?Q?caf=C3=A9?= =?x-unknown?B?////?=\r\n",
    b"Subject: \xc4\xe3\xba\xc3 \xe4\xbd\xa0\r\n",
    b'To: undisclosed-recipients:;, "a, b" <x@y>, <@>, <\r\n',
    b"References: <a@b> junk (c@d) <e@\r\n f>\r\n",
    b'Content-Type: multipart/mixed; boundary="b"\r\n',
    b"Content-Type: multipart/alternative\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: message/delivery-status\r\n",
    b"Content-Type: text/html; charset=big5\r\n",
    b'Content-Type: text/plain; charset="unicode-1-1-utf-7"; format=flowed; delsp=yes\r\n',
    b"Content-Type: application/pdf; name*0*=gb2312''%C4%E3; name*1*=%BA\r\n",
    b'Content-Disposition: attachment; filename="=?utf-8?B?5L2g?=\\\r\n',
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b"Content-ID: <image001.png@01DB>\r\n",
    b"\r\n",
    b"--b\r\n",
    b"--b--\r\n",
    b"5L2g5aW9\r\n",
    b"=E4=BD=A0=\r\n",
    b"begin 644 x\r\n",
    b"<html><![if !supportLists]><p class=MsoNormal>x<o:p></o:p><blockquote><![foo\r\n",
    b"> quoted\r\nOn Thu, 20 Nov 2026 Kefu <s@x> wrote:\r\n",
    b"\x1b$B$3$s\x1b(B\r\n",
    b"\xff\xfe\x00\xd8",
]
CHARSETS = [
    "gb2312",
    "gbk",
    "big5",
    "utf-7",
    "utf-16",
    "utf-32",
    "iso-2022-jp",
    "hz",
    "x-unknown",
    "base64",
    "rot13",
    "unicode_escape",
    "idna",
    "",
    '"',
    "utf-8*en",
    "\udcc4\udce3",
]


def _assert_safe(mail: InboundMail) -> None:
    """Screened, threaded and storable, whatever came in."""
    assert isinstance(mail, InboundMail)
    strings = [
        mail.subject,
        mail.text,
        mail.reply_text,
        *(mail.message_id or "",),
        *mail.in_reply_to,
        *mail.references,
        *mail.defects,
        *(
            f"{address.address}{address.name or ''}"
            for address in (mail.sender, mail.reply_to, *mail.to, *mail.cc)
            if address
        ),
        *(
            f"{attachment.filename}{attachment.content_type}{attachment.content_id or ''}"
            for attachment in mail.attachments
        ),
        *(f"{name}{value}" for name, values in mail.headers.items() for value in values),
    ]
    for text in strings:
        text.encode("utf-8")
    screening = screen(mail, own_addresses={"support@dev.kefu.example.com"}, own_domain="dev.kefu.example.com")
    assert isinstance(screening, Screening) and isinstance(screening.outcome, Outcome)
    assert isinstance(thread_signals(mail, domain="dev.kefu.example.com"), ThreadSignals)
    assert isinstance(thread_signals(mail, domain=None), ThreadSignals)


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash_the_reader(raw: bytes):
    _assert_safe(parse(raw))


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=40), max_size=40))
def test_mime_shaped_junk_never_crashes_the_reader(pieces: list[bytes]):
    _assert_safe(parse(b"".join(pieces)))


@FUZZ
@given(st.sampled_from(MAILS), st.floats(min_value=0, max_value=1))
def test_a_truncated_real_mail_never_crashes_the_reader(mail: bytes, fraction: float):
    _assert_safe(parse(mail[: int(len(mail) * fraction)]))


@FUZZ
@given(st.sampled_from(MAILS), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=30))
def test_a_real_mail_with_flipped_bits_never_crashes_the_reader(mail: bytes, flips: list[tuple[float, int]]):
    damaged = bytearray(mail)
    for where, bit in flips:
        damaged[int(where * len(damaged))] ^= 1 << bit
    _assert_safe(parse(bytes(damaged)))


@FUZZ
@given(st.sampled_from(MAILS), st.data())
def test_a_real_mail_with_duplicated_headers_never_crashes_the_reader(mail: bytes, data: st.DataObject):
    head, separator, body = mail.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for _ in range(data.draw(st.integers(1, 10))):
        copied = lines[data.draw(st.integers(0, len(lines) - 1))]
        lines.insert(data.draw(st.integers(0, len(lines))), copied)
    _assert_safe(parse(b"\r\n".join(lines) + separator + body))


@FUZZ
@given(st.sampled_from(MAILS), st.lists(st.sampled_from(CHARSETS) | st.text(max_size=12), min_size=1, max_size=5))
def test_a_real_mail_with_random_charsets_never_crashes_the_reader(mail: bytes, charsets: list[str]):
    labels = iter(charsets * 50)
    damaged = re.sub(
        rb"charset=\"?[\w.-]*\"?",
        lambda _: b"charset=" + next(labels, "x").encode("utf-8", "surrogateescape"),
        mail,
        flags=re.IGNORECASE,
    )
    _assert_safe(parse(damaged))


@FUZZ
@given(st.sampled_from(MAILS), st.sampled_from([b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"junk"]))
def test_a_real_mail_with_the_wrong_transfer_encoding_never_crashes_the_reader(mail: bytes, encoding: bytes):
    damaged = re.sub(rb"(?i)(Content-Transfer-Encoding:) *[\w-]+", rb"\1 " + encoding, mail)
    _assert_safe(parse(damaged))
