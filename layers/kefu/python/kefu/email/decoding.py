"""Bytes to text for mail: the charset a client declared is a hint, not a promise.

Chinese clients label GBK as GB2312, Taiwanese and Hong Kong clients send Big5 extensions, Japanese mailers
send ISO-2022-JP without saying so, and sloppy senders put raw 8-bit bytes in headers. Every function here
returns text (never raises) and says in `defects` when it had to guess or repair.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from kefu.model.text import has_utf8_form

#: Labels clients really send, mapped to the Python codec that reads what they actually mean.
_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "gb2312-80": "gb18030",
    "x-gb2312": "gb18030",
    "x-euc-cn": "gb18030",
    "cn-gb": "gb18030",
    "windows-936": "gb18030",
    "x-cp936": "gb18030",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "x-windows-950": "cp950",
    "windows-950": "cp950",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "windows-949": "cp949",
    "x-windows-949": "cp949",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "ansi_x3.4-1968": "ascii",
}

#: Python codec (canonical name) replaced by the superset clients really use under that label.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    # Senders labelling Latin-1 use the Windows code page (curly quotes, euro sign), as browsers assume too.
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}

#: Codecs tried, in order, when the declared one fails strictly: its close relatives first.
_RELATIVES = {
    "big5hkscs": ("cp950",),
    "cp950": ("big5hkscs",),
    "cp932": ("shift_jis_2004", "euc_jp"),
    "euc_jp": ("euc_jis_2004", "cp932"),
    "iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"),
    "cp949": ("johab",),
}

#: Python codecs that are not charsets (they would interpret the text instead of decoding it).
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem"})

#: When nothing (usable) is declared and the bytes are not UTF-8: the languages kefu's customers write, most
#: likely first, then Western European, which decodes almost anything and so must come last.
_GUESSES = ("gb18030", "big5hkscs", "cp932", "cp1252")
_CJK = frozenset({"gb18030", "big5hkscs", "cp950", "cp932", "shift_jis_2004", "euc_jp", "euc_jis_2004", "cp949"})
_SEVEN_BIT = ("utf-7", "hz", "iso2022")
#: Latin-script code pages, where long runs of accented letters mean the bytes were something else.
_LATIN = frozenset({"cp1252", "cp1250", "cp1254", "cp1257", "cp1258", "iso8859-2", "iso8859-15", "mac-roman"})

_ISO2022_JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b$(D", b"\x1b$(Q", b"\x1b(J", b"\x1b(I")
_ISO2022_KR_ESCAPE = b"\x1b$)C"

#: Below this share of typical characters a decoding is taken for mojibake.
_PLAUSIBLE = 0.7
#: Non-ASCII bytes of valid UTF-8 that outweigh a declared CJK charset (two CJK characters in UTF-8).
_UTF8_EVIDENCE = 6
_SAMPLE = 4000
_TYPICAL_PUNCTUATION = frozenset("\u00a0·—–…‘’“”•€©®°±×÷§¶«»¿¡™")


class Decoded(NamedTuple):
    text: str
    charset: str  # the Python codec that was used in the end
    defects: tuple[str, ...] = ()


@lru_cache(maxsize=512)
def codec_for(label: str | None) -> str | None:
    """The Python codec that reads what a client means by a charset label; None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").split("*", 1)[0].strip().lower()
    if not name:
        return None
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None
    try:
        b"a".decode(codec)  # rejects codecs that are not text encodings (base64, rot13, zlib)
    except LookupError:
        return None
    except ValueError:  # a text encoding that just cannot read this one byte (UTF-16 needs two)
        pass
    if codec in _NOT_CHARSETS:
        return None
    return _SUPERSETS.get(codec, codec)


def decode_text(data: bytes, declared: str | None = None) -> Decoded:
    """Text from bytes said to be in `declared`: the declared charset if it fits, else the most plausible one."""
    codec = codec_for(declared)
    label = scrub((declared or "").strip().strip("\"'"))
    if not data:
        return Decoded("", codec or "ascii")
    if data.isascii() and not (codec and codec.startswith(("utf_16", "utf-16", "utf_32", "utf-32"))):
        return _decode_seven_bit(data, codec, label)

    if codec:
        text, used = _strict_with_relatives(data, codec)
        if text is not None:
            better = _better_than_declared(data, text, used)
            if better is None:
                return Decoded(scrub(text), used)
            return Decoded(scrub(better[0]), better[1], (f'charset "{label}" did not fit, read as {better[1]}',))
        problem = f'charset "{label}" did not fit'
    elif label:
        problem = f'unknown charset "{label}"'
    else:
        problem = "no charset"

    guess = _guess(data)
    if guess is not None:
        return Decoded(scrub(guess[0]), guess[1], (f"{problem}, read as {guess[1]}",))
    damaged = _least_damaged(data, codec)
    if damaged is not None:
        return Decoded(scrub(damaged[0]), damaged[1], (f"{problem}, read as {damaged[1]} with replacements",))
    return Decoded(scrub(data.decode("utf-8", "replace")), "utf-8", (f"{problem}, read as utf-8 with replacements",))


def decode_base64(data: bytes) -> tuple[bytes, bool]:
    """Base64 as mail really carries it: padding missing, stray characters, truncated. True when repaired."""
    try:
        return base64.b64decode(data, validate=False), False
    except (binascii.Error, ValueError):
        pass
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(clean) % 4 == 1:  # a lone trailing character carries no whole byte
        clean = clean[:-1]
    clean += b"=" * (-len(clean) % 4)
    try:
        return base64.b64decode(clean), True
    except (binascii.Error, ValueError):
        return b"", True


#: An RFC 2047 encoded word, and a Q word's escape. Compiled by the first header that holds one (re's own cache keeps
#: them): most headers are plain ASCII, and compiling both was ~0.7 M instructions of inbound mail's first mail.
_ENCODED_WORD = r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?="
_QP_ESCAPE = rb"=([0-9A-Fa-f]{2})"


def decode_header(value: str) -> Decoded:
    """A header value as the parser keeps it (raw bytes as surrogates) decoded: RFC 2047 words and raw 8-bit.

    Adjacent encoded words in one charset are joined before decoding, because clients split multi-byte
    characters across them; whitespace between encoded words is dropped as RFC 2047 says. `charset` is the
    one charset the value was read in, "ascii" when it needed none and "mixed" when it needed several.
    """
    if "\n" in value:  # folded
        value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\n", " ")
    value = value.replace("\r", " ")
    pieces: list[str] = []
    defects: list[str] = []
    used: set[str] = set()
    run_charset: str | None = None
    run_bytes: list[bytes] = []
    position = 0

    def flush_run() -> None:
        nonlocal run_charset, run_bytes
        if run_charset is not None:
            decoded = decode_text(b"".join(run_bytes), run_charset)
            pieces.append(decoded.text)
            defects.extend(decoded.defects)
            used.add(decoded.charset)
        run_charset, run_bytes = None, []

    words = re.finditer(_ENCODED_WORD, value) if "=?" in value else ()  # where an encoded word starts
    for match in words:
        between = value[position : match.start()]
        if between and not (run_charset is not None and between.isspace()):
            flush_run()
            pieces.append(_decode_raw(between, defects, used))
        charset, encoding, encoded = match.groups()
        word, repaired = _decode_word(encoding, encoded)
        if repaired:
            defects.append("broken encoded word repaired")
        if charset.lower() != (run_charset or "").lower():
            flush_run()
            run_charset = charset
        run_bytes.append(word)
        position = match.end()
    flush_run()
    pieces.append(_decode_raw(value[position:], defects, used))
    text = "".join(pieces)
    if min(text, default=" ") < " " or "\x7f" in text:  # a control character (the pattern's are all below " ")
        text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    used.discard("ascii")
    charset = used.pop() if len(used) == 1 else ("mixed" if used else "ascii")
    return Decoded(text, charset, tuple(dict.fromkeys(defects)))


def to_bytes(value: str) -> bytes:
    """The original bytes of a string the email parser read with surrogateescape."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def _decode_word(encoding: str, encoded: str) -> tuple[bytes, bool]:
    raw = to_bytes(encoded)
    if encoding in "bB":
        return decode_base64(raw)
    return re.sub(_QP_ESCAPE, lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"_", b" ")), False


def _decode_raw(text: str, defects: list[str], used: set[str]) -> str:
    raw = to_bytes(text)
    if raw.isascii():
        return text
    decoded = decode_text(raw, None)
    defects.append(f"8-bit header text, read as {decoded.charset}")
    used.add(decoded.charset)
    return decoded.text


def _decode_seven_bit(data: bytes, codec: str | None, label: str) -> Decoded:
    if codec and codec.startswith(_SEVEN_BIT):
        text, used = _strict_with_relatives(data, codec)
        if text is not None:
            return Decoded(scrub(text), used)
        return Decoded(data.decode("ascii"), "ascii", (f'charset "{label}" did not fit, read as ascii',))
    if _ISO2022_KR_ESCAPE in data:
        candidates: tuple[str, ...] = ("iso2022_kr",)
    elif any(escape in data for escape in _ISO2022_JP_ESCAPES):
        candidates = ("iso2022_jp", *_RELATIVES["iso2022_jp"])
    else:
        candidates = ()
    for candidate in candidates:
        text = _strict(data, candidate)
        if text is not None:
            problem = f'charset "{label}" did not fit' if label else "no charset"
            return Decoded(scrub(text), candidate, (f"{problem}, read as {candidate}",))
    return Decoded(data.decode("ascii"), codec or "ascii")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _strict_with_relatives(data: bytes, codec: str) -> tuple[str | None, str]:
    for candidate in (codec, *_RELATIVES.get(codec, ())):
        text = _strict(data, candidate)
        if text is not None:
            return text, candidate
    return None, codec


def _better_than_declared(data: bytes, text: str, codec: str) -> tuple[str, str] | None:
    """A clearly better reading when the declared charset decodes but yields mojibake (UTF-8 labelled GB2312...).

    Valid UTF-8 is a strong sign: text really written in a legacy charset is almost never valid UTF-8 beyond
    a couple of characters. Otherwise a CJK reading full of rare characters gives way to a much better one.
    """
    if codec.startswith(("utf", "iso2022", "hz")):
        return None
    utf8 = _strict(data, "utf-8")
    if codec in _CJK:
        plausible = plausibility(text, codec) >= 0.5
        if utf8 is not None and (not plausible or sum(byte > 0x7F for byte in data) >= _UTF8_EVIDENCE):
            return utf8, "utf-8"
        return None if plausible else _guess(data, exclude=codec, threshold=0.9)
    if utf8 is not None:
        return utf8, "utf-8"
    # Cyrillic, Greek, Thai... code pages are all long non-ASCII runs: only UTF-8 is a clear sign there.
    if codec not in _LATIN or _western_plausibility(text) >= 0.5:
        return None
    return _guess(data, exclude=codec, threshold=0.9)


# Why not charset-normalizer here: tried in this function's place (restricted to _GUESSES, UTF-8 first as here), it
# passes the mail corpus (tests/fixtures/mail) except where guessing matters most in mail, short header text: it
# reads the display name 潘静 (4 bytes of GBK, labelled UTF-8) as Big5 "攣噙". Its statistics need more bytes than
# a name or a subject has. The plausibility score below is needed anyway (a declared charset that decodes into
# mojibake, damaged bytes), so the library would be a second guesser in the layer, right only where this one is.
def _guess(data: bytes, exclude: str | None = None, threshold: float = _PLAUSIBLE) -> tuple[str, str] | None:
    utf8 = _strict(data, "utf-8")
    if utf8 is not None:
        return utf8, "utf-8"
    best: tuple[float, str, str] | None = None
    for codec in _GUESSES:
        if codec == exclude:
            continue
        text = _strict(data, codec)
        if text is None:
            continue
        score = plausibility(text, codec)
        if score >= threshold and (best is None or score > best[0]):
            best = (score, text, codec)
    return (best[1], best[2]) if best else None


def _least_damaged(data: bytes, declared: str | None) -> tuple[str, str] | None:
    """A reading with a few replacement characters (a truncated or corrupted byte) beats UTF-8 mojibake."""
    for codec in (declared, *_GUESSES[:-1]) if declared else _GUESSES[:-1]:
        if codec is None or codec.startswith(("utf-7", "utf_16", "utf_32", "iso2022")):
            continue
        text = data.decode(codec, "replace")
        damage = text.count("\ufffd")
        if damage <= max(1, len(text) // 100) and plausibility(text.replace("\ufffd", ""), codec) >= _PLAUSIBLE:
            return text, codec
    return None


def plausibility(text: str, codec: str) -> float:
    """Share of the non-ASCII characters that are typical of text really written in `codec`'s language.

    Wrong CJK decodings land in rare characters, private-use areas or half-width kana; wrong Western decodings
    produce long runs of accented letters. Only a sample is scored, so this stays cheap on large bodies.
    """
    if codec.startswith("utf"):
        return 1.0
    if codec not in _CJK:
        return _western_plausibility(text)
    total = typical = 0
    for char in text:
        if char.isascii():
            continue
        total += 1
        typical += _typical_cjk(char, codec)
        if total >= _SAMPLE:
            break
    return typical / total if total else 1.0


def _western_plausibility(text: str) -> float:
    total = typical = 0
    for run in re.finditer(r"[^\x00-\x7f]+", text[: _SAMPLE * 10]):
        chars = run.group()
        total += len(chars)
        if len(chars) <= 3:
            typical += sum(1 for char in chars if char in _TYPICAL_PUNCTUATION or char.isalpha())
    return typical / total if total else 1.0


@lru_cache(maxsize=65536)
def _typical_cjk(char: str, codec: str) -> bool:
    point = ord(char)
    if 0x3000 <= point <= 0x303F or 0xFF01 <= point <= 0xFF5E or char in _TYPICAL_PUNCTUATION:
        return True
    if codec == "cp949":
        return 0xAC00 <= point <= 0xD7A3
    is_kana = 0x3041 <= point <= 0x30FF
    is_ideograph = unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")
    if codec in ("gb18030",):
        return is_ideograph and _lead_byte(char, "gb2312") is not None
    if codec in ("big5hkscs", "cp950"):
        lead = _lead_byte(char, "big5")
        return is_ideograph and lead is not None and 0xA4 <= lead <= 0xC6  # Big5 level 1: the common characters
    lead = _lead_byte(char, "shift_jis")
    return is_kana or (is_ideograph and lead is not None and lead <= 0x98)  # JIS level 1


def _lead_byte(char: str, codec: str) -> int | None:
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return None
    return encoded[0] if len(encoded) == 2 else None


def scrub(text: str) -> str:
    """No lone surrogates (UTF-7 and friends can produce them): they cannot be stored or sent as UTF-8."""
    if has_utf8_form(text):  # nearly all text: kept without the pattern (kefu.model.text)
        return text
    return re.sub(r"[\ud800-\udfff]", "\ufffd", text)
