"""One raw inbound e-mail read into an `InboundMail`, whatever client wrote it.

`parse` never raises: the raw mail is already stored when it runs, and a mail that cannot be read well must
still become something a person can look at. What had to be repaired is listed in `InboundMail.defects`.
The structure comes from the standard library parser (`policy.default`); headers, parameters, charsets and
transfer encodings are read here from the raw values, because that is where real mail is broken.
"""

from __future__ import annotations

import email.utils
import mimetypes
import re
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from kefu.email import decoding
from kefu.email.model import Address, InboundMail, MailAttachment

#: Deeper nesting than this is not a real client's mail; it is not walked (the raw mail stays stored).
_MAX_DEPTH = 40
#: A References header keeps its newest ids only: enough to thread, bounded against junk.
_MAX_REFERENCES = 100
_REPORT_PART_NAMES = {
    "message/delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "text/rfc822-headers": "original-headers.txt",
}
_EML = policy.compat32.clone(linesep="\r\n", max_line_length=0)
#: No real Content-Type or Content-Transfer-Encoding is longer; the standard header grammar is quadratic on long junk.
_MAX_PARSED_HEADER = 4000


class _Policy(EmailPolicy):
    """`policy.default`, except that the parser's own header reads (structure, transfer encoding) see at most
    `_MAX_PARSED_HEADER` characters: a 150 kB Content-Type of junk otherwise takes minutes. kefu reads the
    full headers itself, from the raw values."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, str):
            return _parsed_header(self, name, value[:_MAX_PARSED_HEADER])
        return super().header_fetch_parse(name, value)


@lru_cache(maxsize=64)
def _parsed_header(policy: _Policy, name: str, value: str) -> str:
    """The header object `policy.default` makes of a value, made once per (name, value): the parser and `Message`
    fetch the same Content-Type of a part three or four times (its type, its boundary, its charset), each a parse
    of the whole header grammar (a tenth of a mail's own CPU). The objects are immutable strings; sharing one is
    as good as parsing again."""
    return EmailPolicy.header_fetch_parse(policy, name, value)


_PARSER_POLICY = _Policy()

_CONTENT_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
#: A structured header cut at ";" outside quoted strings (an unclosed quote runs to the end).
_PARAMETER_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[^";]+|;', re.DOTALL)
#: An RFC 2231 parameter name (name*, name*0, name*0*), compiled by the first name with a "*" (re's own cache keeps it).
_EXTENDED_NAME = r"(?P<base>[^*]+)\*(?P<section>\d+)?(?P<encoded>\*)?"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
#: An id in brackets (whitespace inside is folding), or a bare word that holds an "@", as sloppy clients write them.
#: Words are matched whole and tested for "@" after: a pattern requiring it would rescan long junk quadratically.
_MESSAGE_ID = re.compile(r"<([^<>]*)>|([^\s<>()\",;]+)")
_ADDR_SPEC = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
#: Patterns of what most mail never needs, compiled by the first mail that does (re's own cache keeps them): an
#: address read from loose words, an HTML body's charset, a multipart's boundary guessed from its body.
_WORD = r"[^\s<>()\",;:\[\]]+"
_META_CHARSET = rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
_BOUNDARY_LINE = rb"^--([^\s\"]{1,200})[ \t]*\r?$"


def parse(raw: bytes) -> InboundMail:
    """Read a raw RFC 5322 message; never raises, whatever the bytes."""
    data = bytes(raw)
    try:
        return _read(data)
    except Exception as error:  # a parser bug on some input must not lose the mail: keep its text and headers
        return _read_leniently(data, error)


def _read(data: bytes) -> InboundMail:
    message = BytesParser(policy=_PARSER_POLICY).parsebytes(data)
    defects: list[str] = []
    walker = _Walker(defects)
    content_type, _ = _content_type(message, defects)
    chunks = walker.walk(message)
    text = "\n\n".join(chunk for chunk in chunks if chunk.strip())
    return _assemble(
        list(message.raw_items()),
        text,
        tuple(walker.attachments),
        is_report=content_type == "multipart/report",
        defects=defects,
    )


def _read_leniently(data: bytes, error: Exception) -> InboundMail:
    defects = [f"unreadable MIME structure ({type(error).__name__}), body kept as raw text"]
    separator = re.search(rb"\r?\n\r?\n", data)
    head, body = (data[: separator.start()], data[separator.end() :]) if separator else (data, b"")
    try:
        raw_headers = list(BytesHeaderParser(policy=_PARSER_POLICY).parsebytes(head).raw_items())
    except Exception:  # as above: whatever the header parser does, the body text is still kept
        raw_headers = []
    try:
        return _assemble(raw_headers, _clean_text(decoding.decode_text(body).text), (), False, defects)
    except Exception:  # the last resort: nothing but the text
        text = data.decode("utf-8", "replace")
        return InboundMail(
            message_id=None,
            in_reply_to=(),
            references=(),
            subject="",
            sender=None,
            reply_to=None,
            to=(),
            cc=(),
            date=None,
            text=text,
            attachments=(),
            defects=tuple(defects),
            structured=False,
        )


# --- headers -----------------------------------------------------------------------------------------------


def _assemble(
    raw_headers: list[tuple[str, str]],
    text: str,
    attachments: tuple[MailAttachment, ...],
    is_report: bool,
    defects: list[str],
) -> InboundMail:
    headers: dict[str, list[str]] = {}
    raw: dict[str, list[str]] = {}
    for name, value in raw_headers:
        key = str(name).strip().lower()
        decoded = decoding.decode_header(str(value))
        defects.extend(f"{key}: {defect}" for defect in decoded.defects)
        headers.setdefault(key, []).append(decoded.text.strip())
        raw.setdefault(key, []).append(str(value))

    def first(key: str) -> str | None:
        return raw[key][0] if key in raw else None

    message_ids = _message_ids(headers.get("message-id", [])[:1])
    senders = _addresses(first("from"))
    replies_to = _addresses(first("reply-to"))
    return InboundMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=tuple(_message_ids(headers.get("in-reply-to", []))),
        references=tuple(_message_ids(headers.get("references", []))[-_MAX_REFERENCES:]),
        subject=_one_line(headers["subject"][0]) if "subject" in headers else "",
        sender=senders[0] if senders else None,
        reply_to=replies_to[0] if replies_to else None,
        to=tuple(address for value in raw.get("to", []) for address in _addresses(value)),
        cc=tuple(address for value in raw.get("cc", []) for address in _addresses(value)),
        date=_date(headers.get("date", [None])[0], defects),
        text=text,
        attachments=attachments,
        headers={key: tuple(values) for key, values in headers.items()},
        is_report=is_report,
        defects=tuple(dict.fromkeys(decoding.scrub(defect) for defect in defects)),
    )


def _addresses(raw: str | None) -> tuple[Address, ...]:
    """Mailboxes of an address header, parsed before decoding so an encoded comma cannot split a name."""
    if not raw:
        return ()
    value = _FOLD.sub("", raw)
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:  # getaddresses has had crashes on hostile input; the fallback below still finds mailboxes
        pairs = []
    found: list[Address] = []
    for name, address in pairs:
        address = decoding.decode_header(address).text.strip().strip("<>").lower()
        if not _ADDR_SPEC.fullmatch(address) and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+", address):
            continue
        display = _one_line(decoding.decode_header(name).text).strip("\"' ")
        found.append(Address(address, display or None))
    if not found:  # "Li Lei li.lei@example.cn", unbalanced quotes...: take the first address-looking word
        words = (word.strip(".'") for word in re.findall(_WORD, decoding.decode_header(value).text))
        guessed = next((word for word in words if _is_addr_like(word) and _ADDR_SPEC.fullmatch(word)), None)
        if guessed:
            found.append(Address(guessed.lower()))
    return tuple(found)


def _is_addr_like(word: str) -> bool:
    local, at, domain = word.rpartition("@")
    return bool(at and local and domain and len(word) <= 998)


def _message_ids(values: list[str]) -> list[str]:
    """Message-IDs without brackets, in order: tolerant of folding, comments, junk text and missing brackets."""
    ids: list[str] = []
    for value in values:
        for match in _MESSAGE_ID.finditer(re.sub(r"\([^()]*\)", " ", value)):
            bracketed, bare = match.groups()
            item = re.sub(r"\s+", "", bracketed) if bracketed is not None else bare
            if bracketed is None and not _is_addr_like(bare):
                continue
            if item and len(item) <= 998:
                ids.append(item)
    return list(dict.fromkeys(ids))


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"date: unreadable {value[:60]!r}")
        return None


def _one_line(value: str) -> str:
    return " ".join(value.split())


# --- body --------------------------------------------------------------------------------------------------


class _Walker:
    """Walks the MIME tree once: body text chunks in order, every other part an attachment."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[MailAttachment] = []

    def walk(self, part: Message, depth: int = 0, *, parent: str = "", as_attachment: bool = False) -> list[str]:
        self.defects.extend(f"mime: {type(defect).__name__}" for defect in getattr(part, "defects", ()))
        if depth > _MAX_DEPTH:
            self.defects.append(f"mime: nested deeper than {_MAX_DEPTH} levels, inner parts not read")
            return []
        default = "message/rfc822" if parent == "multipart/digest" else "text/plain"
        content_type, parameters = _content_type(part, self.defects, default)
        payload = _payload(part)
        if content_type.startswith("message/"):
            self._attach(part, content_type, parameters)
            return []
        if isinstance(payload, list):
            return self._multipart(content_type, payload, depth, as_attachment)
        if content_type.startswith("multipart/"):
            repaired = _with_guessed_boundary(part, content_type)
            if repaired is not None:
                self.defects.append("mime: multipart boundary missing or wrong, guessed from the body")
                return self.walk(repaired, depth + 1, parent=parent, as_attachment=as_attachment)
            self.defects.append("mime: multipart without parts, read as text")
            content_type = "text/plain"
        disposition, disposition_parameters = _parameters(_raw_header(part, "content-disposition") or "", [])
        named = bool(disposition_parameters.get("filename") or parameters.get("name"))
        is_body = (
            content_type in ("text/plain", "text/html")
            and not as_attachment
            and disposition.lower() != "attachment"
            and not (named and depth > 0)
        )
        if is_body:
            return [self._text(part, content_type, parameters)]
        self._attach(part, content_type, parameters)
        return []

    def _multipart(self, content_type: str, parts: list, depth: int, as_attachment: bool) -> list[str]:
        messages = [part for part in parts if isinstance(part, Message)]
        if content_type == "multipart/alternative":
            return self._alternative(messages, depth, as_attachment)
        chunks: list[str] = []
        for index, part in enumerate(messages):
            # A report's first part is its human-readable text; the rest (status, original) are attachments.
            attached = as_attachment or (content_type == "multipart/report" and index > 0)
            chunks += self.walk(part, depth + 1, parent=content_type, as_attachment=attached)
        return chunks

    def _alternative(self, parts: list[Message], depth: int, as_attachment: bool) -> list[str]:
        """Plain text unless it is empty, else the richest version; inline images of every version are kept."""
        versions = []
        for part in parts:
            content_type, _ = _content_type(part, [])
            chunks = self.walk(part, depth + 1, parent="multipart/alternative", as_attachment=as_attachment)
            versions.append((content_type, chunks))
        if as_attachment:
            return []
        for content_type, chunks in versions:
            if content_type == "text/plain" and any(chunk.strip() for chunk in chunks):
                return chunks
        for _, chunks in reversed(versions):
            if any(chunk.strip() for chunk in chunks):
                return chunks
        return []

    def _text(self, part: Message, content_type: str, parameters: dict[str, str]) -> str:
        data = _payload_bytes(part, self.defects)
        charset = parameters.get("charset")
        if not charset and content_type == "text/html":
            meta = re.search(_META_CHARSET, data[:4096], re.IGNORECASE)
            charset = meta.group(1).decode("ascii") if meta else None
        decoded = decoding.decode_text(data, charset)
        self.defects.extend(f"body: {defect}" for defect in decoded.defects)
        if content_type == "text/html":
            # Imported by the first HTML body: a plain-text mail needs neither the converter nor html.parser.
            from kefu.email.html import html_to_text

            return _clean_text(html_to_text(decoded.text))
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        if parameters.get("format", "").lower() == "flowed":
            text = _unflowed(text, delete_space=parameters.get("delsp", "").lower() == "yes")
        return _clean_text(text)

    def _attach(self, part: Message, content_type: str, parameters: dict[str, str]) -> None:
        disposition, disposition_parameters = _parameters(_raw_header(part, "content-disposition") or "", [])
        content_id = (_raw_header(part, "content-id") or "").strip().strip("<>").strip() or None
        if content_type.startswith("message/"):
            content = _message_bytes(part, self.defects)
        else:
            content = _payload_bytes(part, self.defects)
        filename = _safe_filename(disposition_parameters.get("filename") or parameters.get("name") or "")
        self.attachments.append(
            MailAttachment(
                filename=filename or self._generated_name(part, content_type),
                content_type=content_type,
                content=content,
                inline=content_id is not None and disposition.lower() != "attachment",
                content_id=decoding.decode_header(content_id).text if content_id else None,
            )
        )

    def _generated_name(self, part: Message, content_type: str) -> str:
        number = len(self.attachments) + 1
        if content_type in ("message/rfc822", "message/global"):
            inner = _payload(part)
            subject = ""
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                subject = _one_line(decoding.decode_header(_raw_header(inner[0], "subject") or "").text)
            return f"{_safe_filename(subject)[:100] or f'message-{number}'}.eml"
        if content_type in _REPORT_PART_NAMES:
            return _REPORT_PART_NAMES[content_type]
        return f"attachment-{number}{mimetypes.guess_extension(content_type, strict=False) or '.bin'}"


def _content_type(part: Message, defects: list[str], default: str = "text/plain") -> tuple[str, dict[str, str]]:
    raw = _raw_header(part, "content-type")
    if raw is None:
        return default, {}
    value, parameters = _parameters(raw, defects)
    value = value.strip().lower()
    if not _CONTENT_TYPE.fullmatch(value):
        defects.append(f"mime: invalid content type {value[:60]!r}, read as {default}")
        return default, parameters
    return value, parameters


def _parameters(raw: str, defects: list[str]) -> tuple[str, dict[str, str]]:
    """A structured header's value and its parameters, with RFC 2231 (charset, continuations) and RFC 2047."""
    segments = [""]
    for token in _PARAMETER_TOKEN.findall(_FOLD.sub("", raw)):
        if token == ";":
            segments.append("")
        else:
            segments[-1] += token
    main = segments[0]
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for segment in segments[1:]:
        name, equals, text = segment.partition("=")
        name = name.strip().lower()
        if not equals or not name or any(char.isspace() for char in name):
            continue
        text = _unquoted(text)
        extended = re.fullmatch(_EXTENDED_NAME, name) if "*" in name else None
        if extended:
            section = extended.group("section")
            encoded = section is None or bool(extended.group("encoded"))  # "name*=" is encoded, "name*0=" is not
            sections.setdefault(extended.group("base"), {})[int(section or 0)] = (text, encoded)
        elif name not in plain:
            plain[name] = text
    parameters = {}
    for name, text in plain.items():
        decoded = decoding.decode_header(text)
        defects.extend(f"parameter {name}: {defect}" for defect in decoded.defects)
        parameters[name] = decoded.text
    for name, parts in sections.items():
        decoded = _rfc2231(parts)
        defects.extend(f"parameter {name}: {defect}" for defect in decoded.defects)
        parameters[name] = decoded.text
    return main.strip(), parameters


def _rfc2231(parts: dict[int, tuple[str, bool]]) -> decoding.Decoded:
    charset: str | None = None
    data = b""
    for index, (text, encoded) in sorted(parts.items()):
        if encoded:
            if index == 0 and text.count("'") >= 2:
                charset, _, text = text.split("'", 2)
            data += unquote_to_bytes(decoding.to_bytes(text))
        else:
            data += decoding.to_bytes(text)
    return decoding.decode_text(data, charset or None)


def _unquoted(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", value, flags=re.DOTALL)
    return value


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _payload(part: Message) -> list | str:
    try:
        payload = part.get_payload()
    except Exception:  # the payload getter consults the parsed headers; a part it chokes on reads as empty
        return ""
    return payload if isinstance(payload, list | str) else ""


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    """The part's content with its transfer encoding undone; broken base64 repaired rather than kept encoded."""
    encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    payload = _payload(part)
    if encoding == "base64" and isinstance(payload, str):
        content, repaired = decoding.decode_base64(payload.encode("ascii", "ignore"))
        if repaired:
            defects.append("mime: broken base64 repaired")
        return content
    try:
        decoded = part.get_payload(decode=True)
    except Exception:  # as above: fall back to the undecoded bytes
        decoded = None
    if isinstance(decoded, bytes):
        return decoded
    return decoding.to_bytes(payload) if isinstance(payload, str) else b""


def _message_bytes(part: Message, defects: list[str]) -> bytes:
    """An attached message (.eml) or report block as bytes, regenerated from the parsed tree."""
    payload = _payload(part)
    if not isinstance(payload, list):
        return _payload_bytes(part, defects)
    content = b"".join(_generated(message) for message in payload if isinstance(message, Message))
    encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if encoding == "base64":  # not allowed for message/rfc822, but sent: the parser read base64 as headers
        return decoding.decode_base64(content)[0]
    return content


def _generated(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=_EML)
    except Exception:  # an attached message the generator cannot write out is kept as its text
        try:
            return decoding.to_bytes(message.as_string(policy=_EML))
        except Exception:
            return b""


def _with_guessed_boundary(part: Message, content_type: str) -> Message | None:
    """A multipart whose boundary is missing or wrong, re-read with the boundary its body actually uses."""
    if not isinstance(_payload(part), str):
        return None
    body = _payload_bytes(part, [])
    line = re.search(_BOUNDARY_LINE, body, re.MULTILINE)
    if not line:
        return None
    boundary = line.group(1)
    if boundary.endswith(b"--") and body.count(b"--" + boundary[:-2]) > 1:
        boundary = boundary[:-2]
    header = b"Content-Type: " + content_type.encode("ascii") + b'; boundary="' + boundary + b'"\r\n\r\n'
    repaired = BytesParser(policy=_PARSER_POLICY).parsebytes(header + body)
    parts = _payload(repaired)
    return repaired if isinstance(parts, list) and parts else None


def _safe_filename(name: str) -> str:
    """A file name without path or control characters: it ends up in storage keys and download headers."""
    name = _CONTROL.sub("", name.replace("\r", "").replace("\n", ""))
    name = re.split(r"[\\/]", name)[-1]
    return name.strip().strip(".").strip()


def _unflowed(text: str, *, delete_space: bool) -> str:
    """RFC 3676 format=flowed joined back into paragraphs (Apple Mail, Thunderbird)."""
    lines: list[str] = []
    paragraph: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if paragraph is not None and paragraph[0] != depth:
            lines.append(_quoted(*paragraph))
            paragraph = None
        joined = content if paragraph is None else paragraph[1] + content
        if content.endswith(" ") and content != "-- ":
            paragraph = (depth, joined[:-1] if delete_space else joined)
        else:
            lines.append(_quoted(depth, joined))
            paragraph = None
    if paragraph is not None:
        lines.append(_quoted(*paragraph))
    return "\n".join(lines)


def _quoted(depth: int, text: str) -> str:
    return f"{'>' * depth} {text}" if depth else text


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = (line.rstrip() for line in _CONTROL.sub("", text).split("\n"))
    return "\n".join(lines).strip("\n")
