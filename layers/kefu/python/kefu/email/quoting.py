"""What the customer wrote this time: a mail's text without the quoted history, signature and mobile footer.

Clients quote in their own ways: "> " prefixes, an "On … wrote:" line (Gmail, Apple), Outlook's
"-----Original Message-----" or its From/Sent/To/Subject block, Chinese clients' "在 … 写道：",
"原始邮件" separators and "发件人：" blocks. Everything from the first such marker on is history, except
after an "On … wrote:" line where the customer may have answered between the quoted lines.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"^\s*>")
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|Il|Op|Em|På|W dniu)\s.+", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał)\s*:\s*$", re.IGNORECASE
)
#: "在 2026年11月20日 …，李雷 <…> 写道：", Gmail's "李雷 <…> 于2026年11月20日周四 10:15写道：", Taiwanese "寫道".
_CHINESE_ATTRIBUTION_END = re.compile(r"(?:写道|寫道|のメッセージ)\s*[:：]?\s*$")
_CHINESE_ATTRIBUTION_START = re.compile(r"^\s*(?:在|於|于)|\d{4}\s*[年/-]")
#: The Bat! and Russian clients: "Вы писали 19 ноября 2026 г., 17:20:".
_RUSSIAN_ATTRIBUTION = re.compile(r"^.{0,80}\bписал[аи]?\b.{0,60}\d.{0,20}:\s*$", re.IGNORECASE)
#: Matched against the stripped line: "-----Original Message-----", "------------------ 原始邮件 ------------------".
_SEPARATOR = re.compile(
    r"""-{2,}\s*(?:Original(?:\s+Message)?|Ursprüngliche\s+Nachricht|Message\s+d'origine|Mensaje\s+original
                  |Oorspronkelijk\s+bericht)\s*-{2,}
      | [-=]*(?:\s|&nbsp;)*(?:原始邮件|原始郵件|回复的原邮件|回覆的原郵件|原邮件|原郵件)(?:\s|&nbsp;)*[-=]*""",
    re.IGNORECASE | re.VERBOSE,
)
#: The header lines of Outlook's quoted block, in the client languages kefu's customers use.
_HEADER_FIELD = re.compile(
    r"""^\s*[*|]{0,2}\s*(?P<field>
        From|Sent|Date|To|Cc|Subject|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet|Enviado\ el|Para|Asunto
      | 发件人|發件人|寄件者|发送时间|發送時間|寄件日期|时间|日期|收件人|收件者|抄送|副本|主题|主題|主旨
    )\s*\*{0,2}\s*(?:[:：]|\|)""",
    re.IGNORECASE | re.VERBOSE,
)
_FROM_FIELDS = frozenset({"from", "von", "de", "发件人", "發件人", "寄件者"})
_SIGNATURE = re.compile(r"^-- ?$")
_FOOTER = re.compile(
    r"""^\s*(?:
        Sent\ from\ (?:my\ )?\S.{0,40}
      | Sent\ (?:via|using)\ \S.{0,40}
      | Get\ Outlook\ for\ \S+
      | Envoyé\ de\ mon\ \S.{0,30} | Von\ meinem\ \S.{0,30}\ gesendet
      | 发自我的.{1,20} | 发自.{0,12}(?:邮箱|郵箱|邮件|Mail).{0,12} | 来自.{0,12}(?:邮箱|郵箱|邮件).{0,12}
      | 寄自我的.{1,20} | 從我的.{1,20}傳送 | 从我的.{1,20}发送 | .{1,20}から送信
    )(?:\s*<[^<>\s]+>)?\s*$""",  # plain-text footers carry their link as "<https://…>"
    re.IGNORECASE | re.VERBOSE,
)
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
#: No quote marker is longer than this; longer lines are not examined (and cannot make the patterns slow).
_LONGEST_MARKER = 300
#: How far ahead the rest of Outlook's header block may be, allowing for blank lines between its fields.
_HEADER_WINDOW = 8
#: Mobile footers sit at the end of what was written: they are looked for among the last few lines only.
_FOOTER_WINDOW = 3


def extract_reply(text: str) -> str:
    """The part of `text` the sender wrote this time; the whole text when stripping would leave nothing."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut, interleaved = _history_start(lines)
    written = lines[:cut]
    if interleaved:
        written += lines[cut + _attribution_length(lines, cut) :]
    reply = _trimmed(_without_signature([line for line in written if not _QUOTED.match(line)]))
    return reply or text.strip()


def _history_start(lines: list[str]) -> tuple[int, bool]:
    """Where the quoted history begins, and whether the customer answered inline after an attribution line."""
    for index, line in enumerate(lines):
        if _QUOTED.match(line) or len(line) > _LONGEST_MARKER:
            continue
        length = _attribution_length(lines, index)
        if length:
            after = lines[index + length :]
            return index, _answers_between_quotes(after)
        if _SEPARATOR.fullmatch(line.strip()) or _header_block_at(lines, index):
            return index, False
    return len(lines), False


def _attribution_length(lines: list[str], index: int) -> int:
    """1 or 2 when an "On … wrote:" line (possibly wrapped over two lines) starts at `index`, else 0."""
    line = lines[index].strip()
    if not line or len(line) > _LONGEST_MARKER:
        return 0
    joined = line
    for length in (1, 2):
        if length == 2:
            if index + 1 >= len(lines) or _QUOTED.match(lines[index + 1]):
                return 0
            joined = f"{line} {lines[index + 1].strip()}"
        if _ATTRIBUTION_START.match(joined) and _ATTRIBUTION_END.search(joined) and re.search(r"\d|@", joined):
            return length
        if _CHINESE_ATTRIBUTION_END.search(joined) and _CHINESE_ATTRIBUTION_START.search(joined):
            return length
        if length == 1 and _RUSSIAN_ATTRIBUTION.match(joined):
            return length
    return 0


def _answers_between_quotes(after: list[str]) -> bool:
    """True when unquoted writing follows quoted lines: a customer answering point by point."""
    seen_quote = False
    for line in after:
        if _QUOTED.match(line):
            seen_quote = True
        elif line.strip() and seen_quote:
            return not (_SIGNATURE.match(line.rstrip()) or _FOOTER.match(line))
        elif line.strip():
            return False  # the history is not "> " quoted (a forwarded block): all of it is history
    return False


def _header_block_at(lines: list[str], index: int) -> bool:
    """An Outlook-style "From: … Sent: … To: … Subject:" block starts at `index`."""
    match = _HEADER_FIELD.match(lines[index])
    if not match or match.group("field").lower() not in _FROM_FIELDS:
        return False
    fields = set()
    for line in lines[index + 1 : index + 1 + _HEADER_WINDOW]:
        following = _HEADER_FIELD.match(line) if len(line) <= _LONGEST_MARKER else None
        if following:
            fields.add(following.group("field").lower())
        elif line.strip():
            break
    return len(fields) >= 2


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line.rstrip()):
            lines = lines[:index]
            break
    content = [index for index, line in enumerate(lines) if line.strip()]
    for index in content[-_FOOTER_WINDOW:]:
        if len(lines[index].strip()) <= 80 and _FOOTER.match(lines[index]):
            return lines[:index]
    return lines


def _trimmed(lines: list[str]) -> str:
    """Without trailing separator rules, and at most one blank line where quoted lines were taken out."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _RULE.match(lines[end - 1])):
        end -= 1
    text = "\n".join(line.rstrip() for line in lines[:end]).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)
