"""Chinese (and Japanese and Korean) characters in a text, found without compiling a CJK pattern at import.

`re` compiles a class of ranges beyond Latin-1 by marking each of their code points in a table, one Python step each:
30-45 M instructions (callgrind) a pattern, which every function that imported one paid in its cold start whatever
the language of its first text (intake and inbound mail imported three). Here each pattern is compiled on its first
use, once a process; a text none of whose characters reaches the lowest range (any Latin text, accents and
typographic quotes included) is answered without one, and so is a short one (a configured keyword, a character).
A longer text with an emoji goes to the pattern: correct, not quick.
"""

from __future__ import annotations

import re
from functools import cache

#: CJK unified ideographs, extension A and the compatibility ideographs: Chinese characters (and Japanese kanji).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Japanese kana, the unified ideographs and extension A, Korean Hangul syllables (routing's keywords, NFKC-normalized:
#: no compatibility ideograph is left in them). Each set lists its ranges in ascending order: its first character is
#: the lowest it holds (`may_hold`).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"


@cache
def pattern(ranges: str, template: str = "[{}]") -> re.Pattern[str]:
    """`template` with the character class of `ranges` in it, compiled (once)."""
    return re.compile(template.format(ranges))


def may_hold(text: str, ranges: str = HAN) -> bool:
    """False when no character of `text` can be in `ranges`: each is below the lowest (a C-speed `max`)."""
    return bool(text) and max(text) >= ranges[0]


#: Texts up to this long (a configured keyword, a character) are looked at character by character, not with a pattern.
_SHORT = 32


@cache
def _bounds(ranges: str) -> tuple[tuple[str, str], ...]:
    """`ranges` ("a-zA-Z") as pairs of their first and last characters."""
    return tuple((ranges[i], ranges[i + 2]) for i in range(0, len(ranges), 3))


def contains(text: str, ranges: str = HAN) -> bool:
    """Whether `text` has a character in `ranges`."""
    if not may_hold(text, ranges):
        return False
    if len(text) <= _SHORT:
        bounds = _bounds(ranges)
        return any(low <= character <= high for character in text for low, high in bounds)
    return pattern(ranges).search(text) is not None


def findall(text: str, ranges: str = HAN) -> list[str]:
    """The characters of `text` in `ranges`, in order."""
    return pattern(ranges).findall(text) if may_hold(text, ranges) else []
