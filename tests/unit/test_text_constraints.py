"""Text fields whose length is a max_length beside a pattern of Unicode word characters (`\\w`), not a counted repeat
in the pattern (kefu.sla.config.Person says why): the same strings are accepted and refused as with the repeat."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.model.agents import AgentSpec
from kefu.qa.model import NewReview


def skills(*names: str) -> AgentSpec:
    return AgentSpec(name="Wang Fang", groupIds=["l1"], skills=list(names))


@pytest.mark.parametrize("skill", ["refunds", "after-sales", "退款", "x" * 40])
def test_a_skill_is_1_to_40_word_characters_or_dashes(skill):
    assert skills(skill).skills == [skill]


@pytest.mark.parametrize("skill", ["", "x" * 41, "two words", "a/b"])
def test_any_other_skill_is_refused(skill):
    with pytest.raises(ValidationError) as raised:
        skills("refunds", skill)
    assert [error["loc"] for error in raised.value.errors()] == [("skills", 1)]


@pytest.mark.parametrize("reviewer", ["qa-1", "li.lei@example.cn", "r王芳", "r" + "x" * 127])
def test_a_review_is_asked_of_a_reviewer_id_of_up_to_128_characters(reviewer):
    assert NewReview(ticketId="TK-0000000A", reviewerId=reviewer).reviewerId == reviewer


@pytest.mark.parametrize("reviewer", ["", "-qa", "qa 1", "r" + "x" * 128])
def test_any_other_reviewer_id_is_refused(reviewer):
    with pytest.raises(ValidationError) as raised:
        NewReview(ticketId="TK-0000000A", reviewerId=reviewer)
    assert [error["loc"] for error in raised.value.errors()] == [("reviewerId",)]
