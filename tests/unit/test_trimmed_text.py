"""A trimmed text field (kefu.model.text.Trimmed) is bounded as it was sent, as the OpenAPI document and the event
schemas state its length, and kept without its surrounding whitespace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from kefu.intake.model import IntakeMessage
from kefu.model.knowledge_requests import ReplySpec
from kefu.model.text import NOT_BLANK, Trimmed
from kefu.model.ticket_requests import NewTicket

TITLE = TypeAdapter(Annotated[str, Trimmed(min_length=1, max_length=5)])
COMMENT = TypeAdapter(Annotated[str, Trimmed(max_length=5)])
TEXT = TypeAdapter(Annotated[str, Trimmed(min_length=1)])
#: Whitespace pydantic strips (Unicode's White_Space): a space, a tab, a newline, NEL, an ideographic space.
WHITESPACE = [" ", "\t", "\n", "\u0085", "\u3000"]


@pytest.mark.parametrize("blank", WHITESPACE)
def test_a_value_longer_than_its_bound_as_sent_is_refused_though_it_fits_once_trimmed(blank):
    for sent in (blank + "x" * 5, "x" * 5 + blank, blank + "x" * 4 + blank):
        for field in (TITLE, COMMENT):
            with pytest.raises(ValidationError) as raised:
                field.validate_python(sent)
            assert [(e["type"], e["ctx"]) for e in raised.value.errors()] == [("string_too_long", {"max_length": 5})]


@pytest.mark.parametrize("blank", WHITESPACE)
def test_a_value_within_its_bound_as_sent_is_kept_without_its_surrounding_whitespace(blank):
    assert TITLE.validate_python(blank + "订单 x") == "订单 x"
    assert TITLE.validate_python(blank + "x" * 4) == "x" * 4
    assert COMMENT.validate_python(blank * 5) == ""
    assert TEXT.validate_python(blank + "x" * 10_000 + blank) == "x" * 10_000


@pytest.mark.parametrize("blank", ["", *WHITESPACE, " \n\u3000"])
def test_a_blank_value_is_too_short_where_one_character_is_needed(blank):
    for field in (TITLE, TEXT):
        with pytest.raises(ValidationError) as raised:
            field.validate_python(blank)
        assert [e["type"] for e in raised.value.errors()] == ["string_too_short"]


def test_a_value_that_is_not_text_is_refused_as_pydantic_refuses_it():
    for field in (TITLE, COMMENT, TEXT):
        with pytest.raises(ValidationError) as raised:
            field.validate_python(12)
        assert [e["type"] for e in raised.value.errors()] == ["string_type"]


@pytest.mark.parametrize(("bounds"), [{"min_length": 1, "max_length": 200}, {"max_length": 2000}, {"min_length": 1}])
def test_its_schema_is_the_one_the_same_string_constraints_give_with_blank_values_refused_by_a_pattern(bounds):
    trimmed = TypeAdapter(Annotated[str, Trimmed(**bounds)]).json_schema()
    constrained = TypeAdapter(Annotated[str, StringConstraints(strip_whitespace=True, **bounds)]).json_schema()
    assert trimmed == ({**constrained, "pattern": NOT_BLANK} if bounds.get("min_length") else constrained)


def test_the_pattern_calls_blank_exactly_what_pydantic_strips_to_nothing():
    """Every code point but the surrogates, alone: the document's pattern (searched, as JSON Schema does) matches it
    exactly when the API keeps something of it once stripped."""
    pattern = re.compile(NOT_BLANK)
    characters = [chr(code) for code in (*range(0xD800), *range(0xE000, 0x110000))]
    # validated as one list: one call into pydantic, not a million
    stripped = TypeAdapter(list[Annotated[str, Trimmed()]]).validate_python(characters)
    blank = [character for character, kept in zip(characters, stripped, strict=True) if not kept]
    assert [character for character in characters if pattern.search(character) is None] == blank
    assert len(blank) == 25, "Unicode's White_Space property: 25 code points"


def test_a_minimum_of_more_than_one_character_is_refused():
    with pytest.raises(ValueError, match="0 or 1 character"):
        Trimmed(min_length=2)


def test_the_requests_bound_their_texts_as_sent():
    """The fields the contract test's fuzzing met (a canned reply's title: U+0085 and 200 characters), and the
    ticket's and the intake message's subject, each one character over once its whitespace is counted."""
    reply = {"body": "Sorry.", "group": "l1", "language": "en", "category": "logistics"}
    ticket = {"description": "Order 1042."}
    message = {"channel": "phone", "externalId": "call-1", "customer": {"phone": "+8613900139000"}, "body": "Twice"}
    for model, base, field, limit in (
        (ReplySpec, reply, "title", 200),
        (NewTicket, ticket, "subject", 300),
        (IntakeMessage, message, "subject", 300),
    ):
        assert getattr(model.model_validate({**base, field: "\u0085" + "*" * (limit - 1)}), field) == "*" * (limit - 1)
        with pytest.raises(ValidationError) as raised:
            model.model_validate({**base, field: "\u0085" + "*" * limit})
        assert [(e["loc"], e["type"]) for e in raised.value.errors()] == [((field,), "string_too_long")]


def test_no_text_field_is_stripped_before_its_length_is_measured():
    """pydantic's strip_whitespace measures after stripping: a text field takes Trimmed instead."""
    package = Path(__file__).resolve().parents[2] / "layers" / "kefu" / "python" / "kefu"
    stripping = re.compile(r"strip_whitespace\s*=\s*True|str_strip_whitespace")
    found = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        # kefu.model.text itself names it, in Trimmed's schema; kefu.routing.text and kefu.knowledge.text are checked
        if path.relative_to(package) != Path("model", "text.py") and stripping.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
