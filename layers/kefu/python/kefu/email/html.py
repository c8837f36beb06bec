"""HTML mail turned into the text an agent reads: what the sender saw on screen, not the markup.

Only the standard library's tolerant `html.parser`: mail HTML is rarely valid (Outlook's Word markup, unclosed
tags, conditional comments), and this never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from html.parser import HTMLParser

#: Elements whose content is never shown.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "xml", "noembed", "object", "svg"})
#: Elements that start and end a line.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    }
)
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
#: Elements hidden with a style only count when their end tag is reliably present.
_STYLE_HIDEABLE = frozenset({"div", "span", "table", "font", "center", "a"})
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.IGNORECASE)
#: Outlook renders list bullets as Symbol-font characters followed by a run of &nbsp;.
_BULLET = re.compile(r"^[·•▪◦\uf0b7\uf0a7]\s+")
_SPACES = re.compile(r"[ \t\r\n\f\v\u200b\u200c\u200d\ufeff]+")
#: What may appear in <head>; anything else means the sender forgot to close it and the body has begun.
_HEAD_CONTENT = frozenset({"title", "style", "meta", "link", "script", "base", "noscript", "xml", "template"})
#: Marked sections html.parser understands; any other "<![" makes it raise, so it is escaped first.
_BAD_MARKED_SECTION = re.compile(r"<!\[(?!(?:if|else|endif|cdata|temp|ignore|include|rcdata)\b)", re.IGNORECASE)
#: html.parser reads about a megabyte a second of dense markup; past this much only the tags are stripped.
_MAX_PARSED = 2_000_000


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: blocks and `<br>` as line breaks, lists as "- ", quotes as "> "."""
    cut = markup.rfind("<", _MAX_PARSED // 2, _MAX_PARSED) if len(markup) > _MAX_PARSED else len(markup)
    cut = cut if cut > 0 else _MAX_PARSED
    converter = _Converter()
    try:
        converter.feed(_BAD_MARKED_SECTION.sub("&lt;![", _defused(markup[:cut])))
        converter.close()
        text = converter.text()
    except Exception:  # html.parser still has assertion paths on malformed markup: fall back to stripping tags
        text = _stripped(markup[:cut])
    if cut < len(markup):
        rest = unescape(re.sub(r"<[^<>]*>", " ", markup[cut:]))
        text += "\n" + _tidy(_SPACES.sub(" ", line).strip() for line in rest.split("\n"))
    return text


def _defused(markup: str) -> str:
    """Markup with an unclosed construct escaped from there on: html.parser rescans those to the end, for each
    "<" after them, which is quadratic (minutes on a few hundred kilobytes of junk)."""
    position = 0
    while (start := markup.find("<", position)) >= 0:
        closing = "-->" if markup.startswith("<!--", start) else ">"
        end = markup.find(closing, start + 1)
        if end < 0:
            return markup[:start] + markup[start:].replace("<", "&lt;")
        position = end + len(closing)
    return markup


def _stripped(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</?(p|div|tr|li|h[1-6])\b[^>]*>", "\n", markup)
    text = unescape(re.sub(r"<[^>]*>", " ", markup))
    return _tidy(_SPACES.sub(" ", line.replace("\xa0", " ")).strip() for line in text.split("\n"))


def _tidy(lines: Iterable[str]) -> str:
    """At most one blank line in a row, none at either end."""
    kept: list[str] = []
    for line in lines:
        blank = not line.strip("> ")
        if blank and (not kept or not kept[-1].strip("> ")):
            continue
        kept.append(line)
    while kept and not kept[-1].strip("> "):
        kept.pop()
    return "\n".join(kept)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._line: list[str] = []
        self._line_quote = 0
        self._quote = 0
        self._pre = 0
        self._line_pre = False
        self._line_indent = ""
        self._spaced = True  # whether the current paragraph is set off by blank lines
        self._bullet = ""  # the list marker waiting for the item's first words
        self._skip: list[str] = []  # the open hidden elements, innermost last
        self._lists: list[list[int]] = []  # per open list: [is_ordered, items so far]
        self._links: list[tuple[str, list[str]]] = []

    # --- parser callbacks ----------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipped_start(tag):
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag in _HIDDEN or (tag in _STYLE_HIDEABLE and _DISPLAY_NONE.search(attributes.get("style", ""))):
            self._skip.append(tag)
        elif tag in _BLOCKS:
            self._start_block(tag, attributes)
        else:
            self._start_inline(tag, attributes)

    def _skipped_start(self, tag: str) -> bool:
        """Whether `tag` opens inside hidden content (and is hidden with it)."""
        if self._skip and self._skip[0] == "head" and (tag == "body" or tag not in _HEAD_CONTENT):
            self._skip.clear()  # <head> never closed: the body starts here
        if not self._skip:
            return False
        if tag == self._skip[-1] or tag in _HIDDEN:
            self._skip.append(tag)
        return True

    def _start_block(self, tag: str, attributes: dict[str, str]) -> None:
        if tag in ("ul", "ol"):
            self._break()
            self._lists.append([tag == "ol", 0])
        elif tag == "li":
            self._break()
            self._bullet = self._marker()
        elif tag in _PARAGRAPHS:
            # Outlook's Word markup writes every line as <p class=MsoNormal> with no margin: a line, not a paragraph.
            self._spaced = "mso" not in attributes.get("class", "").lower() and not self._lists
            self._break(blank=self._spaced)
        else:
            self._break()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1
            elif tag == "hr":
                self._data("---")
                self._break()

    def _start_inline(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "br":
            self._break(hard=True)
        elif tag in ("td", "th"):
            self._line.append(" ")
        elif tag == "img":
            alt = _SPACES.sub(" ", attributes.get("alt", "")).strip()
            if alt:
                self._data(f"[{alt}]")
        elif tag == "a":
            self._links.append((attributes.get("href", "").strip(), []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        was_skipping = len(self._skip)
        self.handle_starttag(tag, attrs)
        if len(self._skip) > was_skipping:
            self._skip.pop()  # a self-closed hidden element hides nothing after it
        elif tag == "a" and self._links and not self._skip:
            self._links.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skipped_end(tag)
        elif tag == "br":
            self._break(hard=True)
        elif tag in _BLOCKS:
            self._end_block(tag)
        elif tag == "a" and self._links:
            href, words = self._links.pop()
            url = _shown_url(href, "".join(words))
            if url:
                self._data(f" ({url})")

    def _skipped_end(self, tag: str) -> None:
        if tag in ("body", "html"):
            self._skip.clear()
        elif tag == self._skip[-1]:
            self._skip.pop()
        elif tag == "head" and "head" in self._skip:  # an unclosed <title> or <style> ends with the head
            self._skip.clear()

    def _end_block(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._break()
        elif tag in _PARAGRAPHS:
            self._break(blank=self._spaced)
        else:
            self._break()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._data(data)

    # Conditional comments (<!--[if mso]>…<![endif]-->) are comments: dropped. Downlevel-revealed ones
    # (<![if !supportLists]>…<![endif]>) arrive as declarations around visible text: only the markers go.
    def unknown_decl(self, data: str) -> None:
        return

    # --- output --------------------------------------------------------------------------------------------

    def _data(self, data: str) -> None:
        if self._pre:
            for index, part in enumerate(data.replace("\r\n", "\n").split("\n")):
                if index:
                    self._break(hard=True)
                self._line_pre = True
                self._append(part.replace("\t", "    "))
        else:
            self._append(data)
        for _, words in self._links:
            words.append(data)

    def _append(self, data: str) -> None:
        if not self._line:
            self._line_quote = self._quote
        if self._bullet and _SPACES.sub("", data):
            self._line_indent = "  " * max(0, len(self._lists) - 1)
            self._line.append(self._bullet)
            self._bullet = ""
        self._line.append(data)

    def _marker(self) -> str:
        if not self._lists:
            return "- "
        current = self._lists[-1]
        current[1] += 1
        return f"{current[1]}. " if current[0] else "- "

    def _break(self, *, hard: bool = False, blank: bool = False) -> None:
        """End the current line: a soft break only when there is something on it, a hard one always.

        With `blank`, a paragraph boundary: a blank line follows unless one is there already.
        """
        raw = "".join(self._line)
        # A paragraph holding only &nbsp; is how Outlook writes an empty line: it counts as content.
        if hard or _SPACES.sub("", raw):
            if self._line_pre:
                line = raw.rstrip()
            else:
                line = _BULLET.sub("- ", _SPACES.sub(" ", raw.replace("\xa0", " ")).strip())
            depth = self._line_quote if self._line else self._quote
            self._lines.append(("> " * depth + self._line_indent + line).rstrip())
        self._line = []
        self._line_quote = self._quote
        self._line_pre = False
        self._line_indent = ""
        if blank and self._lines and self._lines[-1].strip("> "):
            self._lines.append(("> " * self._quote).rstrip())

    def text(self) -> str:
        self._break()
        return _tidy(self._lines)


def _shown_url(href: str, text: str) -> str | None:
    """The link target worth showing next to its text: not when the text already says it."""
    if not href or href.startswith(("#", "javascript:", "cid:", "data:")):
        return None
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None

    def bare(value: str) -> str:
        value = re.sub(r"^(mailto:|tel:|https?://)", "", value.strip(), flags=re.IGNORECASE)
        return value.removeprefix("www.").rstrip("/").lower()

    return None if bare(href) == bare(text) else href
