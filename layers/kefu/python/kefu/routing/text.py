"""Finding keywords in customer text, Chinese and English alike.

Text is NFKC-normalized first, so full-width and half-width forms are the same (！ is !, ？ is ?, Ａ is A), and
Traditional characters are folded to Simplified (投訴 is 投诉, 快遞 is 快递), keywords and texts alike, by a table
of OpenCC's single-character conversions (kefu.routing.hant): loading OpenCC itself would cost ~85 ms of cold start.
A keyword holding a CJK character is found as a substring: Chinese has no word boundaries. Any other keyword
is matched case-insensitively on ASCII word boundaries, each word of three letters or more with its common
inflections (refund matches refunds, refunded, refunding; charge matches charged; ship matches shipped).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kefu import cjk
from kefu.routing.hant import PAIRS

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Built by str.maketrans from the Traditional and the Simplified characters (every other one of PAIRS): the same
# table (ordinals for characters, which translate takes alike) as a comprehension over the ~4,100 pairs, which
# cost ~8.6 M instructions more on every cold start that imports routing.
_SIMPLIFIED = str.maketrans(PAIRS[0::2], PAIRS[1::2])
_FOLD: dict[int, int | str] = {**_SIMPLIFIED, **_QUOTES}
_WORD_SEPARATOR = re.compile(r"[\s\-]+")
_VOWELS = frozenset("aeiou")
_REPEATED_PUNCTUATION = re.compile(r"[!?]{3,}")
# Three or more capitalized words in a row (single letters allowed inside: "I WANT MY MONEY BACK").
_CAPS_RUN = re.compile(r"(?<![A-Za-z])[A-Z]+(?:[\s,.'!?\-]+[A-Z]+){2,}(?![A-Za-z])")
_MIN_SHOUTED_LETTERS = 10


def normalize(text: str) -> str:
    """Full-width and half-width forms made one, Traditional characters Simplified, curly quotes made straight;
    case is kept."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters replaced by their Simplified forms (OpenCC's, character by character)."""
    return text.translate(_SIMPLIFIED)


def _inflected(word: str) -> str:
    if len(word) < 3 or not word.isalpha() or not word.isascii():
        return re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in _VOWELS:
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    last = re.escape(word[-1])
    return re.escape(word) + f"(?:s|es|ed|ing|{last}ed|{last}ing)?"


def _stem(word: str) -> str:
    """What every inflection `_inflected` matches has in it, literally."""
    if len(word) < 3 or not word.isalpha() or not word.isascii():
        return word
    if word.endswith("e") or (word.endswith("y") and word[-2] not in _VOWELS):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Keyword:
    """One configured keyword, ready to be found in normalized, lower-cased text."""

    text: str
    needle: str
    #: The first word's stem, which any match contains as it is (None: a CJK keyword, found as a substring). A text
    #: without it is passed over without its pattern, which is compiled only for a text that has it: compiling every
    #: keyword's pattern was a quarter of a function's first piece of work (tests/bench/test_function_cold_start.py).
    stem: str | None
    #: The other words' stems, which any match contains too: a text without one of them is passed over before its
    #: pattern is compiled ("not happy" is not compiled for a text with "not" and no "happ").
    other_stems: tuple[str, ...] = ()

    @classmethod
    def compile(cls, keyword: str) -> Keyword:
        needle = normalize(keyword).strip().lower()
        if cjk.contains(needle, cjk.CJK):
            return cls(keyword, needle, None)
        words = [word for word in _WORD_SEPARATOR.split(needle) if word]
        if not words:
            return cls(keyword, needle, "")
        return cls(keyword, needle, _stem(words[0]), tuple(_stem(word) for word in words[1:]))

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        if self.stem is None:
            return None
        words = [_inflected(word) for word in _WORD_SEPARATOR.split(self.needle) if word]
        return re.compile(r"(?<![a-z0-9])" + r"[\s\-]+".join(words) + r"(?![a-z0-9])")

    def find(self, text: str) -> str | None:
        """The matched text in `text` (normalized, lower-cased), or None."""
        if self.stem is None:
            return self.needle if self.needle in text else None
        if self.stem not in text or any(stem not in text for stem in self.other_stems):
            return None
        pattern = self.pattern
        assert pattern is not None
        found = pattern.search(text)
        return found.group(0) if found else None


@dataclass(frozen=True)
class Lexicon:
    """A list of keywords, compiled once."""

    keywords: tuple[Keyword, ...]

    @classmethod
    def compile(cls, keywords: Iterable[str]) -> Lexicon:
        return cls(tuple(Keyword.compile(keyword) for keyword in keywords))

    @cached_property
    def _probes(self) -> tuple[tuple[str, Keyword], ...]:
        """Each keyword with what any match of it contains as it is (`Keyword.find` looks for it first)."""
        return tuple((keyword.needle if keyword.stem is None else keyword.stem, keyword) for keyword in self.keywords)

    def find_all(self, text: str) -> list[str]:
        """Every distinct matched text, in keyword order."""
        found: list[str] = []
        # Most keywords are not in a text at all: passed over here without a call each (routing a ticket asks
        # several hundred of them).
        for probe, keyword in self._probes:
            if probe not in text:
                continue
            hit = keyword.find(text)
            if hit is not None and hit not in found:
                found.append(hit)
        return found


def repeated_punctuation(text: str) -> str | None:
    found = _REPEATED_PUNCTUATION.search(text)
    return found.group(0) if found else None


def shouting(text: str) -> str | None:
    """A run of ALL-CAPS words long enough to be shouting rather than an acronym or two."""
    for found in _CAPS_RUN.finditer(text):
        if sum(ch.isalpha() for ch in found.group(0)) >= _MIN_SHOUTED_LETTERS:
            return found.group(0)
    return None
