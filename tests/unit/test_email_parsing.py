"""Reading inbound mail: headers, charsets, MIME structure, HTML to text and the customer's reply."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.email import parsing, quoting
from kefu.email.decoding import codec_for, decode_header, decode_text, scrub
from kefu.email.html import html_to_text
from kefu.email.parsing import parse
from kefu.email.quoting import extract_reply


def _mail(headers: str, body: bytes | str = b"", *, crlf: bool = True) -> bytes:
    """A raw message from readable headers (one per line) and a body."""
    head = headers.strip("\n").encode("utf-8")
    raw = head + b"\n\n" + (body.encode("utf-8") if isinstance(body, str) else body)
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _multipart(content_type: str, *parts: str, boundary: str = "b0undary") -> str:
    body = "".join(f"--{boundary}\n{part.strip(chr(10))}\n" for part in parts)
    return f'Content-Type: {content_type}; boundary="{boundary}"\n\n{body}--{boundary}--\n'


# --- headers -----------------------------------------------------------------------------------------------


def test_a_plain_text_mail_gives_its_sender_subject_and_text():
    # Given a simple plain-text mail
    raw = _mail(
        "From: Li Lei <Li.Lei@Example.CN>\nTo: support@dev.kefu.example.com\nSubject: Order 88231\n"
        "Content-Type: text/plain; charset=utf-8",
        "Where is my order?\n",
    )
    # When it is parsed
    mail = parse(raw)
    # Then the sender is lower-cased with its name, and subject and text are read
    assert (mail.sender.address, mail.sender.name, mail.subject, mail.text) == (
        "li.lei@example.cn",
        "Li Lei",
        "Order 88231",
        "Where is my order?",
    )


def test_message_ids_are_kept_without_angle_brackets():
    mail = parse(_mail("Message-ID: <abc.123@mail.example.cn>\nIn-Reply-To: <kefu.1@dev.kefu.example.com>"))
    assert (mail.message_id, mail.in_reply_to) == ("abc.123@mail.example.cn", ("kefu.1@dev.kefu.example.com",))


def test_references_tolerate_folding_comments_and_missing_brackets():
    # Given References folded inside an id, with a comment, and without brackets as some clients write them
    raw = _mail("References: <a1@x.example> (original)\n\t<b2@y.\n example>")
    # When parsed, then the ids come out clean, oldest first
    assert parse(raw).references == ("a1@x.example", "b2@y.example")


def test_references_without_any_brackets_are_read_as_bare_ids():
    assert parse(_mail("References: a1@x.example, b2@y.example")).references == ("a1@x.example", "b2@y.example")


def test_in_reply_to_with_junk_text_keeps_only_the_id():
    raw = _mail('In-Reply-To: Your message of "Wed, 19 Nov 2026 09:00:00 +0000"\n\t<kefu.7@dev.kefu.example.com>')
    assert parse(raw).in_reply_to == ("kefu.7@dev.kefu.example.com",)


def test_a_date_with_a_zone_is_timezone_aware():
    mail = parse(_mail("Date: Thu, 20 Nov 2026 10:31:44 +0800"))
    assert mail.date == datetime(2026, 11, 20, 2, 31, 44, tzinfo=UTC)
    assert mail.date.utcoffset() == timedelta(hours=8)


def test_an_unreadable_date_is_none_and_noted():
    mail = parse(_mail("Date: sometime last week"))
    assert mail.date is None
    assert any(defect.startswith("date:") for defect in mail.defects)


def test_every_header_is_kept_decoded_in_order_of_appearance():
    raw = _mail("Received: from b\nReceived: from a\nSubject: =?utf-8?B?5L2g5aW9?=")
    headers = parse(raw).headers
    assert (headers["received"], headers["subject"]) == (("from b", "from a"), ("你好",))


def test_header_lookup_is_case_insensitive_and_gives_the_first_occurrence():
    mail = parse(_mail("X-SES-Spam-Verdict: PASS\nX-SES-Spam-Verdict: FAIL"))
    assert mail.header("x-ses-SPAM-verdict") == "PASS"


def test_a_mail_without_subject_has_an_empty_subject():
    assert parse(_mail("From: a@example.com", "hi")).subject == ""


def test_an_encoded_comma_in_a_display_name_does_not_split_the_mailbox():
    # Given a To with an encoded "Li, Lei" and a second mailbox
    raw = _mail("To: =?utf-8?Q?Li=2C_Lei?= <li@example.cn>, Han Meimei <han@example.cn>")
    # Then there are exactly two mailboxes, the first named with its comma
    assert [(a.address, a.name) for a in parse(raw).to] == [
        ("li@example.cn", "Li, Lei"),
        ("han@example.cn", "Han Meimei"),
    ]


def test_a_from_with_broken_quoting_still_yields_its_address():
    mail = parse(_mail('From: "Li Lei li.lei@example.cn'))
    assert mail.sender.address == "li.lei@example.cn"


def test_a_from_without_an_address_gives_no_sender():
    assert parse(_mail("From: undisclosed-recipients:;")).sender is None


def test_encoded_words_split_inside_a_multibyte_character_are_joined():
    # Given "你好" in UTF-8 split between two encoded words in the middle of "好"
    data = "你好".encode()
    value = f"=?utf-8?B?{_b64(data[:4])}?= =?utf-8?B?{_b64(data[4:])}?="
    # When decoded, then the bytes are joined before decoding
    assert decode_header(value).text == "你好"


def test_whitespace_between_encoded_words_is_dropped_but_kept_around_plain_text():
    assert decode_header("=?utf-8?Q?a?=\r\n =?utf-8?Q?b?= c").text == "ab c"


def test_raw_utf8_bytes_in_a_header_are_read_as_utf8():
    raw = b"Subject: " + "关于运单的理赔".encode() + b"\r\n\r\n"
    assert parse(raw).subject == "关于运单的理赔"


def test_raw_gbk_bytes_in_a_header_are_read_as_gbk_and_noted():
    raw = b"Subject: " + "采购订单无法提交".encode("gbk") + b"\r\n\r\n"
    mail = parse(raw)
    assert mail.subject == "采购订单无法提交"
    assert "subject: 8-bit header text, read as gb18030" in mail.defects


def test_an_encoded_word_labelled_gb2312_but_holding_utf8_reads_as_utf8():
    decoded = decode_header(f"=?gb2312?B?{_b64('课程平台登录失败'.encode())}?=")
    assert decoded.text == "课程平台登录失败"
    assert decoded.defects == ('charset "gb2312" did not fit, read as utf-8',)


def test_an_encoded_word_with_missing_base64_padding_is_repaired():
    assert decode_header("=?utf-8?B?5L2g5aW9YQ?=").text == "你好a"


# --- charsets ----------------------------------------------------------------------------------------------


def test_gb2312_declared_text_with_gbk_only_characters_decodes_without_defect():
    # 镕 and 喆 are in GBK but not in GB2312: clients label such text GB2312 anyway
    decoded = decode_text("镕铸件，陈喆".encode("gbk"), "gb2312")
    assert (decoded.text, decoded.defects) == ("镕铸件，陈喆", ())


def test_gb18030_four_byte_characters_decode_under_a_gbk_label():
    assert decode_text("𠀀字".encode("gb18030"), "GBK").text == "𠀀字"


def test_big5_with_hong_kong_characters_decodes():
    assert decode_text("啱啱收到，嘅耳機唔見咗".encode("big5hkscs"), "big5").text == "啱啱收到，嘅耳機唔見咗"


def test_big5_with_microsoft_only_characters_decodes_with_cp950():
    decoded = decode_text("價格 €100".encode("cp950"), "big5")
    assert (decoded.text, decoded.charset) == ("價格 €100", "cp950")


def test_iso_2022_jp_without_a_charset_is_detected_from_its_escape_sequences():
    decoded = decode_text("商品が届きません".encode("iso-2022-jp"), None)
    assert (decoded.text, decoded.defects) == ("商品が届きません", ("no charset, read as iso2022_jp",))


@pytest.mark.parametrize(
    ("label", "text", "encoding"),
    [
        ("utf8", "naïve", "utf-8"),
        ("ks_c_5601-1987", "안녕하세요", "cp949"),
        ("x-gbk", "你好，镕", "gbk"),
        ("gb_2312-80", "你好", "gb2312"),
        ("unicode-1-1-utf-7", "你好", "utf-7"),
        ("windows-1251", "Привет", "cp1251"),
        ("Windows-1252", "“quoted” €", "cp1252"),
        ("x-sjis", "注文の件", "cp932"),
        ('"ISO-8859-1"', "café", "latin-1"),
    ],
)
def test_charset_labels_clients_really_send_are_understood(label: str, text: str, encoding: str):
    decoded = decode_text(text.encode(encoding), label)
    assert (decoded.text, decoded.defects) == (text, ())


def test_an_unknown_charset_is_guessed_and_noted():
    decoded = decode_text("你好，我的订单还没有收到".encode("gbk"), "x-chinese-custom")
    assert (decoded.text, decoded.defects) == (
        "你好，我的订单还没有收到",
        ('unknown charset "x-chinese-custom", read as gb18030',),
    )


def test_a_codec_that_is_not_a_charset_is_not_used_as_one():
    assert (codec_for("base64"), codec_for("rot13"), codec_for("unicode_escape")) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("Olá, a encomenda ainda não chegou", "utf-8", "utf-8"),
        ("你好，我的订单还没有收到。", "gbk", "gb18030"),
        ("您好，請問我的訂單什麼時候到", "big5", "big5hkscs"),
        ("こんにちは、注文の件です", "shift_jis", "cp932"),
        ("Café “résumé” – naïve", "cp1252", "cp1252"),
    ],
)
def test_eight_bit_text_without_a_charset_is_read_in_the_most_plausible_one(text: str, encoding: str, expected: str):
    decoded = decode_text(text.encode(encoding), None)
    assert (decoded.text, decoded.charset, decoded.defects) == (text, expected, (f"no charset, read as {expected}",))


def test_utf8_labelled_latin1_is_read_as_utf8():
    decoded = decode_text("Olá, nº 3310".encode(), "iso-8859-1")
    assert (decoded.text, decoded.defects) == ("Olá, nº 3310", ('charset "iso-8859-1" did not fit, read as utf-8',))


def test_utf8_labelled_gb2312_is_read_as_utf8():
    assert decode_text("课程平台登录失败".encode(), "gb2312").text == "课程平台登录失败"


def test_big5_labelled_gb2312_is_read_as_big5():
    assert decode_text("您好，請問我的訂單什麼時候到".encode("big5"), "gb2312").text == "您好，請問我的訂單什麼時候到"


def test_gbk_labelled_latin1_is_read_as_gbk():
    assert decode_text("你好，我的订单还没有收到".encode("gbk"), "iso-8859-1").text == "你好，我的订单还没有收到"


def test_a_truncated_multibyte_character_costs_one_replacement_not_the_text():
    decoded = decode_text("你好，我的订单还没有收到".encode("gbk")[:-1], None)
    assert decoded.text == "你好，我的订单还没有收\ufffd"


def test_undecodable_bytes_end_as_utf8_with_replacements_and_a_defect():
    decoded = decode_text(bytes(range(0x80, 0x100)) * 2, "utf-8")
    assert decoded.charset == "utf-8"
    assert decoded.defects == ('charset "utf-8" did not fit, read as utf-8 with replacements',)


def test_ascii_text_needs_no_guess_whatever_its_label():
    assert decode_text(b"plain words", "x-unknown-but-harmless").defects == ()


def test_decoded_text_never_holds_lone_surrogates():
    # UTF-7 can spell a lone surrogate; it could not be stored or sent as UTF-8
    text = decode_text(b"+2D3-", "utf-7").text
    assert not any("\ud800" <= char <= "\udfff" for char in text)


@settings(max_examples=500, deadline=None)
@given(
    # every character, and the surrogates with their neighbours more often
    st.text(st.characters(exclude_categories=()), max_size=30)
    | st.text(st.characters(min_codepoint=0xD700, max_codepoint=0xE0FF, exclude_categories=()))
)
def test_scrubbing_replaces_each_surrogate_and_nothing_else(text: str):
    assert scrub(text) == re.sub(r"[\ud800-\udfff]", "\ufffd", text)


# --- MIME structure ----------------------------------------------------------------------------------------


def test_multipart_alternative_prefers_the_plain_text():
    raw = _mail(
        "From: a@example.com\n"
        + _multipart(
            "multipart/alternative",
            "Content-Type: text/plain; charset=utf-8\n\nplain version",
            "Content-Type: text/html; charset=utf-8\n\n<p>html version</p>",
        )
    )
    assert parse(raw).text == "plain version"


def test_multipart_alternative_uses_the_html_when_the_plain_text_is_empty():
    raw = _mail(
        "From: a@example.com\n"
        + _multipart(
            "multipart/alternative",
            "Content-Type: text/plain; charset=utf-8\n\n \n",
            "Content-Type: text/html; charset=utf-8\n\n<p>html version</p>",
        )
    )
    assert parse(raw).text == "html version"


def test_an_html_only_mail_is_turned_into_text():
    raw = _mail("Content-Type: text/html; charset=utf-8", "<html><body><p>Hello&nbsp;<b>there</b></p></body></html>")
    assert parse(raw).text == "Hello there"


def test_an_html_charset_from_its_meta_tag_is_used_when_mime_has_none():
    html = '<html><head><meta charset="big5"></head><body>請問訂單</body></html>'.encode("big5")
    assert parse(_mail("Content-Type: text/html", html)).text == "請問訂單"


def test_a_text_part_marked_as_attachment_is_an_attachment_not_body():
    raw = _mail(
        _multipart(
            "multipart/mixed",
            "Content-Type: text/plain\n\nThe log is attached.",
            "Content-Type: text/plain; name=app.log\nContent-Disposition: attachment; filename=app.log\n\nERROR boom",
        )
    )
    mail = parse(raw)
    assert (mail.text, [(a.filename, a.content) for a in mail.attachments]) == (
        "The log is attached.",
        [("app.log", b"ERROR boom")],
    )


def test_attachment_filenames_in_rfc2231_are_decoded():
    raw = _mail(
        _multipart(
            "multipart/mixed",
            "Content-Type: text/plain\n\nsee attached",
            "Content-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK",
        )
    )
    attachment = parse(raw).attachments[0]
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "发票.pdf",
        "application/pdf",
        b"%PDF-1.4\n",
    )


def test_rfc2231_filename_sections_are_joined_in_order():
    raw = _mail(
        _multipart(
            "multipart/mixed",
            "Content-Type: image/jpeg\nContent-Disposition: attachment;\n filename*1*=%E7%89%87.jpg;\n"
            " filename*0*=utf-8''%E7%85%A7\n\nxx",
        )
    )
    assert parse(raw).attachments[0].filename == "照片.jpg"


def test_rfc2231_filenames_labelled_gb2312_with_gbk_bytes_are_decoded():
    name = "".join(f"%{byte:02X}" for byte in "镕铸件.xlsx".encode("gbk"))
    raw = _mail(
        _multipart(
            "multipart/mixed",
            f"Content-Type: application/x\nContent-Disposition: attachment; filename*=gb2312''{name}\n\nx",
        )
    )
    assert parse(raw).attachments[0].filename == "镕铸件.xlsx"


def test_rfc2047_encoded_filenames_are_decoded():
    word = f"=?gb2312?B?{_b64('报价单.xlsx'.encode('gbk'))}?="
    raw = _mail(_multipart("multipart/mixed", f'Content-Type: application/octet-stream; name="{word}"\n\nx'))
    assert parse(raw).attachments[0].filename == "报价单.xlsx"


def test_a_filename_with_a_path_keeps_only_the_name():
    raw = _mail(
        _multipart(
            "multipart/mixed",
            'Content-Type: application/pdf\nContent-Disposition: attachment; filename="..\\\\..\\\\x/invoice.pdf"\n\nx',
        )
    )
    assert parse(raw).attachments[0].filename == "invoice.pdf"


def test_an_attachment_without_a_name_gets_a_generated_one():
    raw = _mail(_multipart("multipart/mixed", "Content-Type: text/plain\n\nhi", "Content-Type: image/png\n\nxx"))
    assert parse(raw).attachments[0].filename == "attachment-1.png"


def test_a_pasted_image_with_a_content_id_is_inline():
    raw = _mail(
        _multipart(
            "multipart/related",
            'Content-Type: text/html\n\n<img src="cid:image001.png@01DB">',
            "Content-Type: image/png; name=image001.png\nContent-ID: <image001.png@01DB>\n\nxx",
        )
    )
    attachment = parse(raw).attachments[0]
    assert (attachment.inline, attachment.content_id) == (True, "image001.png@01DB")


def test_an_attached_image_with_a_content_id_is_not_inline():
    raw = _mail(
        _multipart(
            "multipart/mixed",
            "Content-Type: image/png\nContent-Disposition: attachment; filename=a.png\nContent-ID: <a@b>\n\nxx",
        )
    )
    assert parse(raw).attachments[0].inline is False


def test_a_forwarded_message_is_kept_as_an_eml_attachment():
    forwarded = "From: shop@example.net\nSubject: Your order shipped\n\nTracking 1Z999"
    raw = _mail(
        _multipart(
            "multipart/mixed", "Content-Type: text/plain\n\nsee below", f"Content-Type: message/rfc822\n\n{forwarded}"
        )
    )
    attachment = parse(raw).attachments[0]
    assert (attachment.filename, attachment.content_type) == ("Your order shipped.eml", "message/rfc822")
    assert parse(attachment.content).text == "Tracking 1Z999"


def test_a_multipart_report_is_a_report_with_only_its_first_part_as_text():
    raw = _mail(
        _multipart(
            "multipart/report; report-type=delivery-status",
            "Content-Type: text/plain\n\nDelivery failed.",
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\nAction: failed",
            "Content-Type: text/plain\n\nthe original text",
        )
    )
    mail = parse(raw)
    assert (mail.is_report, mail.text) == (True, "Delivery failed.")
    assert [a.filename for a in mail.attachments] == ["delivery-status.txt", "attachment-2.txt"]


def test_broken_base64_is_repaired_and_noted():
    body = _b64(b"Here is the receipt for my claim.")[:-3]
    mail = parse(_mail("Content-Type: text/plain\nContent-Transfer-Encoding: base64", body))
    assert mail.text.startswith("Here is the receipt for my cl")
    assert "mime: broken base64 repaired" in mail.defects


def test_a_multipart_without_boundary_is_read_with_the_boundary_its_body_uses():
    raw = _mail(
        "Content-Type: multipart/alternative",
        "--Apple-Mail=_1\nContent-Type: text/plain\n\nrestore fails\n--Apple-Mail=_1\nContent-Type: text/html\n\n"
        "<p>restore fails</p>\n--Apple-Mail=_1--\n",
    )
    mail = parse(raw)
    assert mail.text == "restore fails"
    assert "mime: multipart boundary missing or wrong, guessed from the body" in mail.defects


def test_format_flowed_text_is_joined_back_into_lines():
    raw = _mail("Content-Type: text/plain; charset=utf-8; format=flowed", "one long \nline\n> quoted \n> too\n")
    assert parse(raw).text == "one long line\n> quoted too"


def test_a_deeply_nested_mail_is_still_kept_as_text():
    # Given nesting far deeper than any client writes (the standard parser recurses per level)
    levels = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(3000))
    mail = parse(_mail("From: a@example.com\n" + levels, "hello"))
    # Then the mail is still read, with its headers and its raw text
    assert (mail.sender.address, "hello" in mail.text) == ("a@example.com", True)
    assert mail.defects[0].startswith("unreadable MIME structure")


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Type: text/plain; " + b'a="' * 50_000,
        b"References: " + b"a" * 200_000,
        b"From: " + b"a" * 200_000,
        b"Subject: " + b"Re: " * 50_000,
    ],
    ids=["content-type", "references", "from", "subject"],
)
def test_a_huge_junk_header_is_read_in_linear_time(header: bytes):
    # Given a header no client writes, the kind that makes pattern matching or the header grammar quadratic
    # (CPU seconds of this process, which a loaded machine does not stretch as it does wall time)
    started = time.process_time()
    # When the mail is parsed, then it takes well under the minutes of CPU a quadratic reading would
    parse(header + b"\r\n\r\nbody")
    assert time.process_time() - started < 5


def test_an_empty_input_is_an_empty_mail():
    mail = parse(b"")
    assert (mail.sender, mail.subject, mail.text, mail.attachments) == (None, "", "", ())


def test_a_header_only_mail_has_an_empty_body():
    mail = parse(b"From: a@example.com\r\nSubject: call me\r\n")
    assert (mail.subject, mail.text) == ("call me", "")


# --- HTML to text ------------------------------------------------------------------------------------------


def test_html_scripts_styles_and_head_are_dropped():
    html = "<html><head><title>T</title><style>p{color:red}</style></head><body>Hi<script>track()</script></body>"
    assert html_to_text(html) == "Hi"


def test_html_blocks_and_br_become_line_breaks():
    assert html_to_text("<div>one</div><div>two<br>three</div>") == "one\ntwo\nthree"


def test_html_paragraphs_are_separated_by_a_blank_line():
    assert html_to_text("<p>one</p><p>two</p>") == "one\n\ntwo"


def test_html_lists_get_dashes_and_ordered_lists_numbers():
    html = "<ul><li>shoes</li><li>jacket<ol><li>grey</li><li>blue</li></ol></li></ul>"
    assert html_to_text(html) == "- shoes\n- jacket\n  1. grey\n  2. blue"


def test_html_links_keep_their_text_and_show_a_different_url():
    assert (
        html_to_text('<a href="https://shop.example/r/1">returns page</a>') == "returns page (https://shop.example/r/1)"
    )


def test_html_links_whose_text_is_their_address_are_not_repeated():
    html = '<a href="mailto:a@example.com">a@example.com</a> <a href="https://www.example.com/">www.example.com</a>'
    assert html_to_text(html) == "a@example.com www.example.com"


def test_html_entities_are_decoded_and_whitespace_collapsed():
    assert html_to_text("<p>Fish&nbsp;&amp;\n   chips &#8211; &euro;5</p>") == "Fish & chips – €5"


def test_outlook_markup_and_conditional_comments_do_not_leak():
    html = (
        "<!--[if gte mso 9]><xml><o:shapedefaults v:ext='edit' spidmax='1026' /></xml><![endif]-->"
        "<p class=MsoNormal>Hi,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>Thanks<o:p></o:p></p>"
    )
    assert html_to_text(html) == "Hi,\n\nThanks"


def test_outlook_symbol_font_bullets_become_dashes():
    html = (
        "<p class=MsoListParagraph><![if !supportLists]><span style='font-family:Symbol'>&middot;"
        "<span style='font:7.0pt'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>Open Reports<o:p></o:p></p>"
    )
    assert html_to_text(html) == "- Open Reports"


def test_html_blockquotes_become_quoted_lines():
    assert html_to_text("Yes.<blockquote>Refund or<br>replacement?</blockquote>") == (
        "Yes.\n> Refund or\n> replacement?"
    )


def test_hidden_preheader_text_is_dropped():
    assert html_to_text('<div style="display:none;max-height:0">Up to 40% off</div><p>Hello</p>') == "Hello"


def test_malformed_marked_sections_do_not_break_the_conversion():
    assert html_to_text("<p>Hello</p><![foo bar]><ul><li>item</li></ul>") == "Hello\n\n<![foo bar]>\n- item"


def test_a_head_that_is_never_closed_ends_where_the_body_starts():
    assert html_to_text("<head><title>T</title><p>Body text") == "Body text"


def test_unclosed_tags_in_a_large_body_convert_in_linear_time():
    started = time.process_time()  # CPU seconds: a loaded machine does not stretch them
    html_to_text("<a " * 300_000)
    assert time.process_time() - started < 3


# --- the customer's reply ----------------------------------------------------------------------------------


def test_lines_starting_with_gt_are_quoted_history():
    assert extract_reply("Sounds good.\n\n> Shall we ship it?\n> Kefu") == "Sounds good."


def test_an_on_wrote_line_starts_the_history():
    text = "Yes please.\n\nOn Thu, Nov 20, 2026 at 10:15 AM Kefu Support <support@x.example> wrote:\n\n> Refund?"
    assert extract_reply(text) == "Yes please."


def test_an_on_wrote_line_wrapped_over_two_lines_starts_the_history():
    text = "Yes please.\n\nOn Thu, Nov 20, 2026 at 10:15 AM Kefu Support <\nsupport@x.example> wrote:\n\n> Refund?"
    assert extract_reply(text) == "Yes please."


def test_answers_written_between_quoted_lines_are_kept():
    text = "On 19/11/2026 16:02, Kefu wrote:\n> Which endpoint?\n\nThe orders one.\n\n> Bulk?\n\nNo.\n"
    assert extract_reply(text) == "The orders one.\n\nNo."


def test_outlooks_original_message_separator_starts_the_history():
    text = "Please cancel.\n\n-----Original Message-----\nFrom: Kefu\nSent: Monday\n\nYour order"
    assert extract_reply(text) == "Please cancel."


def test_outlooks_from_sent_to_subject_block_starts_the_history():
    text = "Still waiting.\n\nFrom: Kefu <s@x.example>\nSent: Wednesday, November 5, 2026 4:12 PM\nTo: Li\nSubject: Re"
    assert extract_reply(text) == "Still waiting."


def test_outlooks_header_block_in_chinese_starts_the_history():
    text = "已盖章。\n\n发件人: Kefu <s@x.example>\n发送时间: 2026年11月19日 16:40\n收件人: 吴敏\n主题: 合同\n\n请盖章"
    assert extract_reply(text) == "已盖章。"


def test_outlooks_header_block_in_traditional_chinese_starts_the_history():
    text = "請問何時出貨？\n\n寄件者: Kefu\n寄件日期: 2026年11月13日\n收件者: 林志明\n主旨: 訂單確認"
    assert extract_reply(text) == "請問何時出貨？"


def test_the_html_form_of_outlooks_header_block_starts_the_history():
    html = (
        "<p class=MsoNormal>Still waiting.</p><div style='border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal>"
        "<b>From:</b> Kefu<br><b>Sent:</b> Wednesday<br><b>To:</b> Li<br><b>Subject:</b> Re</p></div>"
        "<p class=MsoNormal>We refunded you.</p>"
    )
    assert extract_reply(html_to_text(html)) == "Still waiting."


def test_foxmails_original_mail_separator_starts_the_history():
    text = '还没到账。\n\n------------------ 原始邮件 ------------------\n发件人: "Kefu"<s@x.example>;\n退款已提交'
    assert extract_reply(text) == "还没到账。"


def test_qq_mails_separator_with_a_literal_nbsp_starts_the_history():
    text = "请退回一次。\n\n------------------&nbsp;原始邮件&nbsp;------------------\n您好"
    assert extract_reply(text) == "请退回一次。"


def test_netease_reply_separator_starts_the_history():
    text = "还是连不上。\n\n---- 回复的原邮件 ----\n| 发件人 | Kefu<s@x.example> |\n请重启路由器"
    assert extract_reply(text) == "还是连不上。"


def test_a_chinese_attribution_starts_the_history():
    text = "好的，谢谢！\n\n在 2026年11月20日，10:15，Kefu Support <s@x.example> 写道：\n\n您的订单已经发货"
    assert extract_reply(text) == "好的，谢谢！"


def test_gmails_chinese_attribution_starts_the_history():
    text = "退货已寄出。\n\nKefu Support <s@x.example> 于2026年11月20日周四 10:15写道：\n\n> 请寄回"
    assert extract_reply(text) == "退货已寄出。"


def test_the_signature_delimiter_ends_the_reply():
    assert extract_reply("The orders endpoint.\n\n-- \nHenrik Larsen\nExample ApS") == "The orders endpoint."


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for Android<https://aka.ms/AAb9ysg>",
        "Get Outlook for iOS",
        "发自我的iPhone",
        "发自我的华为手机",
        "发自网易邮箱大师",
        "iPhoneから送信",
    ],
)
def test_mobile_footers_are_not_part_of_the_reply(footer: str):
    assert extract_reply(f"The courier can come after 6pm.\n\n{footer}\n") == "The courier can come after 6pm."


def test_a_footer_phrase_in_the_middle_of_the_text_is_kept():
    text = "Sent from my iPhone\n\nthe app crashes whenever I open the camera.\nWhat can I do?\nThanks\nBest\nAnna"
    assert extract_reply(text) == text


def test_a_customer_writing_from_and_to_in_prose_is_not_cut():
    text = "From: my home address\nI want it sent to my office instead."
    assert extract_reply(text) == text


def test_when_stripping_would_leave_nothing_the_whole_text_is_kept():
    assert extract_reply("> only a quote\n> nothing else") == "> only a quote\n> nothing else"


def test_parse_gives_the_reply_without_history():
    raw = _mail(
        "Content-Type: text/plain; charset=utf-8", "Yes.\n\nOn Thu, 20 Nov 2026, Kefu <s@x.example> wrote:\n> ?"
    )
    assert parse(raw).reply_text == "Yes."


def test_the_reply_is_worked_out_from_the_text_when_asked():
    # Given a parsed reply whose text quotes the history
    mail = parse(_mail("Content-Type: text/plain", "Thanks, that works.\n\n> Please try again.\n"))
    # then its reply text is the quoting rules' reading of its text, each time it is asked
    assert mail.text == "Thanks, that works.\n\n> Please try again."
    assert mail.reply_text == extract_reply(mail.text) == "Thanks, that works."
    assert mail.structured


def test_a_mail_read_as_nothing_but_its_text_is_all_written_this_time(monkeypatch: pytest.MonkeyPatch):
    # Given a parser that fails on the structure, then on the lenient reading too (the last resort: the raw text)
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(parsing, "_assemble", broken)
    raw = _mail("Subject: hi", "Yes.\n\nOn Thu, 20 Nov 2026, Kefu <s@x.example> wrote:\n> ?")
    mail = parse(raw)
    # then the whole text is what the customer wrote, none of it taken for quoted history
    assert not mail.structured
    assert mail.reply_text == mail.text == raw.decode()


def test_quoting_rules_that_fail_on_a_text_leave_the_whole_text(monkeypatch: pytest.MonkeyPatch):
    # Given quoting rules with a bug that raises on some text
    def broken(text: str) -> str:
        raise RuntimeError("a quoting bug")

    monkeypatch.setattr(quoting, "extract_reply", broken)
    mail = parse(_mail("Content-Type: text/plain", "Yes.\n\n> ?"))
    # then asking for the reply does not raise (the parser never does): the whole text is what was written
    assert mail.reply_text == mail.text


def test_times_with_non_utc_zones_stay_in_their_zone():
    assert parse(_mail("Date: Thu, 20 Nov 2026 10:31:44 -0800")).date.tzinfo == timezone(timedelta(hours=-8))
