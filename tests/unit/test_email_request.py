"""Inbound mail opens a mail's ticket with a NewTicket made without validating it (kefu.email.inbound.ticket_request):
each value is one NewTicket's validation keeps as it is, so validating could neither refuse nor change one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from kefu.email.inbound import MAX_ATTACHMENTS, ticket_request
from kefu.email.model import Address, InboundMail
from kefu.email.parsing import parse
from kefu.model.customers import normalize_email
from kefu.model.ticket_requests import CustomerRef, NewTicket
from kefu.model.tickets import Attachment, Category, Channel

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def _mail(subject: str, text: str, *, name: str | None = "Li Lei") -> InboundMail:
    return InboundMail(
        message_id="m@example.cn",
        in_reply_to=(),
        references=(),
        subject=subject,
        sender=Address("li.lei@example.cn", name),
        reply_to=None,
        to=(Address("support@dev.kefu.example.com"),),
        cc=(),
        date=None,
        text=text,
        attachments=(),
    )


def _mails() -> list[Any]:
    corpus = [parse(path.read_bytes()) for path in sorted(CORPUS.glob("*.eml"))]
    made = [
        _mail("", ""),
        _mail("  \u3000 ", " \n\t\u2003 "),
        _mail("Re: 回复： [TK-7Q2M9KXR]", "> only a quote"),
        _mail("s" * 301, "x" * 100_001),
        _mail("\u00a0padded\u2028 subject\x1f ", "\x1c body \u200b ", name="n" * 300),
        _mail("Order 1042", "Thanks.\n\nOn Thu, 20 Nov 2026, Kefu <s@x.example> wrote:\n> ?"),
    ]
    return [pytest.param(mail, id=f"mail-{n}") for n, mail in enumerate([*corpus, *made]) if mail.sender]


def _attachments(count: int) -> list[Attachment]:
    return [
        Attachment(
            name=f"file-{n}.png",
            contentType="image/png",
            size=n,
            key=None if n > MAX_ATTACHMENTS else f"mail/ses/{n}/file-{n}.png",
            omitted=f"past the limit of {MAX_ATTACHMENTS} files" if n > MAX_ATTACHMENTS else None,
        )
        for n in range(1, count + 1)
    ]


def _validated(
    request: NewTicket, mail: InboundMail, attachments: list[Attachment], complaint: bool, follow_up_of: Any
) -> NewTicket:
    """What validating the same values makes, as inbound mail made its request before (the files left out listed
    after validation)."""
    assert mail.sender is not None
    sender = normalize_email(mail.sender.address)
    name = mail.sender.name[:200] if mail.sender.name else None
    customer = CustomerRef(id=follow_up_of.customerId) if follow_up_of else CustomerRef(email=sender, name=name)
    validated = NewTicket(
        subject=request.subject,
        description=request.description,
        category=Category.COMPLAINT if complaint else None,
        channel=Channel.EMAIL,
        customer=customer,
        attachments=[a for a in attachments if a.omitted is None][:MAX_ATTACHMENTS],
    )
    return validated.model_copy(update={"attachments": attachments})


@pytest.mark.parametrize("mail", _mails())
@pytest.mark.parametrize(("files", "complaint", "follow_up"), [(0, False, False), (3, True, False), (25, False, True)])
def test_the_request_is_what_validating_the_same_values_makes(
    mail: InboundMail, files: int, complaint: bool, follow_up: bool
):
    # Given a parsed mail from its sender, with its files listed, a new conversation or a follow-up
    assert mail.sender is not None
    sender = normalize_email(mail.sender.address)
    attachments = _attachments(files)
    earlier = SimpleNamespace(id="TK-7Q2M9KXR", customerId="C-1") if follow_up else None
    # when its ticket's request is made
    request = ticket_request(mail, sender, attachments, complaint=complaint, follow_up_of=earlier)  # type: ignore[arg-type]
    # then it equals what NewTicket's validation makes of the same values, with the same fields set,
    validated = _validated(request, mail, attachments, complaint, earlier)
    assert request == validated
    assert request.model_fields_set == validated.model_fields_set
    assert request.customer is not None and validated.customer is not None
    assert request.customer.model_fields_set == validated.customer.model_fields_set
    # and validating it again changes nothing (within NewTicket's limit of 20 files; the files left out are listed
    # beyond it, after validation, as before)
    kept = request.model_copy(update={"attachments": [a for a in attachments if a.omitted is None]})
    assert NewTicket.model_validate(kept.model_dump()) == kept


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("li.lei@example.cn", "Li Lei"),
        ("li.lei@example.cn", None),
        ("a@b", "n" * 200),
        ("李雷@例子.中国", "李雷"),
        ("x" * 250 + "@b.cn", None),
        ("ab", None),
        ("a@b@c", None),
        ("a\x1cb@c", None),
        ("li.lei@example.cn", "Li \udc80 Lei"),
    ],
)
def test_the_customer_is_what_validating_makes_or_refused_as_validating_refuses(address: str, name: str | None):
    # Given a sender's address and name as the parser reads them (an address too long, without one "@" or with a
    # character no e-mail has, a name with a lone surrogate: refused by CustomerRef, whose validation is not skipped)
    mail = _mail("Order", "Text", name=name)._replace(sender=Address(address, name))
    try:
        expected = CustomerRef(email=address, name=name)
    except ValidationError:
        # then the request is refused as validating refuses it,
        with pytest.raises(ValidationError):
            ticket_request(mail, address, [], complaint=False, follow_up_of=None)
        return
    # or its customer is what validating makes, with the same fields set
    customer = ticket_request(mail, address, [], complaint=False, follow_up_of=None).customer
    assert customer == expected and customer is not None
    assert customer.model_fields_set == expected.model_fields_set


def test_every_ascii_character_but_at_and_pythons_spaces_passes_the_customers_e_mail_pattern():
    # What the request leans on to skip validating an ASCII address with one "@" and none of Python's spaces
    for code in range(128):
        char = chr(code)
        if char != "@" and not char.isspace():
            assert CustomerRef(email=f"a{char}b@c").email == f"a{char}b@c"
