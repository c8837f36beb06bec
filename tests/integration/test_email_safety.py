"""What must never become a ticket nor be answered — auto-replies, bounces, kefu's own mail, a sender's burst —
is kept with its reason; failed SES verdicts are quarantined; unreadable bytes are kept and reported, alone."""

from __future__ import annotations

import pytest

from tests.integration.mailroom import (
    SUPPORT,
    all_tickets,
    as_stored_by_ses,
    mail,
    mailroom_fixture,  # noqa: F401 - provides the `mailroom` fixture
    record_of,
    sent_messages,
    tickets_of,
)


def assert_kept_without_ticket_or_answer(mailroom, ses: str, outcome: str, reason: str) -> None:
    record = record_of(ses)
    assert (record.outcome, record.reason, record.ticket_id) == (outcome, reason, None)
    assert record.raw_key == f"inbound/{ses}"
    assert all_tickets() == []
    mailroom.flush()
    assert sent_messages() == []


def test_an_auto_reply_is_kept_and_neither_ticketed_nor_answered(mailroom):
    out_of_office = mail(
        subject="Automatic reply: Order 1042",
        body="I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )

    ses = mailroom.deliver(out_of_office)

    assert_kept_without_ticket_or_answer(mailroom, ses, "ignore", "auto-submitted")


BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.cn>
To: support@kefu.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <20261123091403.5E2C41A0B3@mx.example.cn>
Date: Mon, 23 Nov 2026 09:14:03 +0800 (CST)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="5E2C41A0B3.1795425243/mx.example.cn"

This is a MIME-encapsulated message.

--5E2C41A0B3.1795425243/mx.example.cn
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.cn.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.cn>: host mx.example.cn said: 550 5.1.1 User unknown

--5E2C41A0B3.1795425243/mx.example.cn
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.cn
Arrival-Date: Mon, 23 Nov 2026 09:14:02 +0800 (CST)

Final-Recipient: rfc822; nobody@example.cn
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--5E2C41A0B3.1795425243/mx.example.cn--
"""


def test_a_bounce_is_kept_and_neither_ticketed_nor_answered(mailroom):
    ses = mailroom.deliver(as_stored_by_ses(BOUNCE.encode(), envelope_from="mailer-daemon@mx.example.cn"))

    assert_kept_without_ticket_or_answer(mailroom, ses, "ignore", "bounce")


def test_mail_from_kefus_own_address_is_kept_and_neither_ticketed_nor_answered(mailroom):
    loop = mail(sender=f"Kefu Support <{SUPPORT}>", subject="Re: Order 1042 [TK-ABCDEFGH]", body="It is on its way.")

    ses = mailroom.deliver(loop, envelope_from=SUPPORT)

    assert_kept_without_ticket_or_answer(mailroom, ses, "ignore", "own-address")


def test_a_sender_over_the_hourly_limit_is_kept_and_neither_ticketed_nor_answered(mailroom):
    limit = 5  # the test deployment's burst_per_hour
    for number in range(limit):
        mailroom.deliver(mail(subject=f"Question {number}", body=f"Question number {number}?"))
    mailroom.flush()
    answered = len(sent_messages())

    ses = mailroom.deliver(mail(subject="Question 6", body="And one more?"))

    record = record_of(ses)
    assert (record.outcome, record.reason, record.ticket_id) == ("ignore", "burst", None)
    assert len(tickets_of("li.lei@example.cn")) == limit
    mailroom.flush()
    assert len(sent_messages()) == answered == limit  # every ticket acknowledged, the burst not


def test_the_hourly_limit_counts_each_sender_on_their_own(mailroom):
    for number in range(5):
        mailroom.deliver(mail(subject=f"Question {number}", body=f"Question number {number}?"))

    mailroom.deliver(mail(sender="Han Meimei <han.meimei@example.cn>"), envelope_from="han.meimei@example.cn")

    assert len(tickets_of("han.meimei@example.cn")) == 1


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ({"spam": "FAIL"}, "ses-spam-fail"),
        ({"virus": "FAIL"}, "ses-virus-fail"),
        ({"spf": "fail"}, "spf-fail"),
        ({"dkim": "fail"}, "dkim-fail"),
        ({"dmarc": "fail"}, "dmarc-fail"),
    ],
)
def test_a_failed_ses_verdict_is_quarantined_without_ticket_or_answer(mailroom, verdicts, reason):
    ses = mailroom.deliver(mail(), **verdicts)

    assert_kept_without_ticket_or_answer(mailroom, ses, "quarantine", reason)


def test_garbage_bytes_are_kept_and_reported_and_the_rest_of_the_batch_is_ticketed(mailroom, caplog):
    garbage = mailroom.store(b"\x00\xff\xfe not a mail \x89\x00" * 40)
    good = mailroom.store(as_stored_by_ses(mail()))

    result = mailroom.run([mailroom.record(garbage), mailroom.record(good)])

    assert result.failures == []
    ses = garbage.rsplit("/", 1)[-1]
    record = record_of(ses)
    assert record.outcome in {"quarantine", "ignore"} and record.ticket_id is None
    assert record.raw_key == garbage
    assert len(tickets_of("li.lei@example.cn")) == 1
    [report] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert report.getMessage() == "inbound mail could not be read; kept for a person to look at"
    assert report.sesMessageId == ses
