"""Whether text has a UTF-8 form: what DynamoDB stores, SES sends and the models accept (a shared value check: the
store and the domain use it alike), and the bounds of a text field whose value is taken without its surrounding
whitespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticKnownError, core_schema

if TYPE_CHECKING:  # annotations only
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

#: A JSON Schema pattern (ECMA-262, unanchored: it is searched for) that a text matches when it holds a character
#: other than whitespace, whitespace being what pydantic's strip takes off (Rust's `str::trim`: Unicode's White_Space
#: property). Written out rather than `\S`: ECMA-262's `\s` leaves out U+0085 and takes U+FEFF, Python's takes
#: U+001C to U+001F, and each would then call valid a value the API refuses, or the reverse. Every code point is
#: checked against pydantic in tests/unit/test_trimmed_text.py.
NOT_BLANK = "[^\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


def has_utf8_form(text: str) -> bool:
    """False only for text holding a lone surrogate (UTF-7 mail and JSON escapes such as `"\\ud800"` can make one):
    UTF-8 encodes every other character. Cheaper than a pattern of the surrogates' range, which is ~2.5 M instructions
    to compile, and nearly all text passes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Trimmed:
    """A text field's bounds, for `Annotated[str, Trimmed(...)]`: the value is taken without its surrounding whitespace,
    and bounded as the OpenAPI document and the event schemas state it.

    pydantic's `StringConstraints(strip_whitespace=True, max_length=N)` strips first and measures after, so a value
    of N + 1 characters that begins or ends with whitespace (a space, a newline, U+0085) was accepted, though the
    document calls it too long: the contract test's fuzzing found one. Here the length as sent is bounded by
    `max_length` (with pydantic's own error, `string_too_long`), then the value is stripped, then `min_length` is
    checked on what is left.

    So a blank value is too short where one character is needed, which the document says too: such a field's schema
    has, beside its minLength and maxLength, a pattern that a blank value does not match (`NOT_BLANK`). A minimum of
    more than one character is refused here: no length in a schema can state one counted after the strip."""

    __slots__ = ("max_length", "min_length")

    # A plain class, not a dataclass: a dataclass compiles its methods from source at import (a cold start's cost).
    def __init__(self, *, min_length: int | None = None, max_length: int | None = None) -> None:
        if min_length is not None and min_length > 1:
            raise ValueError(f"a trimmed text's minimum is 0 or 1 character, not {min_length}")
        self.min_length = min_length
        self.max_length = max_length

    # Equal by its bounds, as StringConstraints is: two fields are held to the same constraints by comparing their
    # metadata (tests/unit/test_intake_request.py).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trimmed) and (self.min_length, self.max_length) == (other.min_length, other.max_length)

    def __hash__(self) -> int:
        return hash((Trimmed, self.min_length, self.max_length))

    def __repr__(self) -> str:
        return f"Trimmed(min_length={self.min_length!r}, max_length={self.max_length!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        stripped = core_schema.str_schema(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length)
        limit = self.max_length
        if limit is None:
            return stripped

        def as_sent(value: Any) -> Any:
            if isinstance(value, str) and len(value) > limit:
                raise PydanticKnownError("string_too_long", {"max_length": limit})
            return value

        return core_schema.no_info_before_validator_function(as_sent, stripped)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.min_length:
            json_schema["pattern"] = NOT_BLANK
        return json_schema
