"""Whether text has a UTF-8 form: what DynamoDB stores, SES sends and the models accept (a shared value check: the
store and the domain use it alike)."""


def has_utf8_form(text: str) -> bool:
    """False only for text holding a lone surrogate (UTF-7 mail and JSON escapes such as `"\\ud800"` can make one):
    UTF-8 encodes every other character. Cheaper than a pattern of the surrogates' range, which is ~2.5 M instructions
    to compile, and nearly all text passes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
