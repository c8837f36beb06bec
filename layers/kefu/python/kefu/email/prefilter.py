"""Letting text go before a large pattern is compiled or run: most mail never needs the out-of-office markers or the
reply prefixes, and compiling each was millions of instructions of inbound mail's first mail (callgrind)."""


def may_start(text: str, ascii_starts: frozenset[str]) -> bool:
    """Whether a pattern matched without case, whose matches begin with one of `ascii_starts` (two lower-case ASCII
    characters) or with a character that is not ASCII, may match at the start of `text`. Matched without case, an
    ASCII character matches a pattern's letter only as its own two cases (the letters that also match without case,
    "ı" for "i", "ſ" for "s" and the like, are not ASCII), so text starting with two ASCII characters that begin none
    of `ascii_starts` cannot match; shorter text is let through to the pattern."""
    start = text[:2]
    return len(start) < 2 or not start.isascii() or start.lower() in ascii_starts
