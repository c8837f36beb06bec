"""Calibration (pure: kefu.qa.calibration): how far the scored reviews of one ticket agree."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu.qa.calibration import agreement
from kefu.qa.config import DEFAULT_RUBRIC
from kefu.qa.model import ItemScore, Review
from kefu.qa.rubric import Rubric, RubricItem, total

AT = datetime(2026, 11, 10, tzinfo=UTC)


def reviewed(number: int, status: str = "scored", rubric: Rubric = DEFAULT_RUBRIC, **changed: int) -> Review:
    scores = {item.id: changed.get(item.id, item.max) for item in rubric.items}
    value, passed, fatal = total(rubric, scores)
    return Review(
        id=f"TK-AAAAAAAA-R{number}",
        ticketId="TK-AAAAAAAA",
        agentId="agent-li",
        month="2026-11",
        status=status,
        reason="requested",
        calibration=number > 1,
        reviewerId=f"qa-{number}",
        rubric=rubric,
        scores=[ItemScore(item=item, score=score) for item, score in scores.items()],
        total=value,
        passed=passed,
        fatalFailed=fatal,
        createdAt=AT,
        createdBy="sup-wang",
        version=2,
    )


def test_identical_scores_agree_fully():
    found = agreement([reviewed(1), reviewed(2)])

    assert found is not None
    assert (found.agreement, found.totalSpread, found.itemsDisputed) == (1.0, 0.0, [])


def test_a_single_scored_review_has_nothing_to_agree_with():
    assert agreement([reviewed(1), reviewed(2, status="pending")]) is None


def test_an_overturned_review_is_left_out_of_the_comparison():
    assert agreement([reviewed(1), reviewed(2, status="overturned", greeting=0)]) is None


def test_three_reviewers_spread_per_item_over_its_scale():
    found = agreement([reviewed(1), reviewed(2, greeting=4), reviewed(3, greeting=2, closing=4)])

    assert found is not None
    # greeting spread 3/5, closing 1/5, the other five items 0: 1 - 0.8/7
    assert found.agreement == round(1 - 0.8 / 7, 4)
    assert found.itemsDisputed == ["greeting", "closing"]
    assert found.totals == [100.0, 98.0, 93.0]


def test_reviews_on_different_rubric_versions_compare_only_their_totals():
    other = Rubric(version="2", pass_mark=50, items=[RubricItem(id="accuracy", name="Accuracy", weight=1, max=3)])

    found = agreement([reviewed(1), reviewed(2, rubric=other, accuracy=2)])

    assert found is not None
    assert (found.agreement, found.totalSpread) == (None, 33.3)
