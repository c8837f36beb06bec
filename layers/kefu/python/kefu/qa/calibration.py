"""Calibration: the same ticket reviewed by several reviewers, and how far they agree.

Only scored reviews that still count (not pending, not overturned) are compared. Per item, the spread is the
highest score minus the lowest, over the item's scale; `agreement` is 1 minus the mean spread (1.0: all reviewers
gave every item the same score; 0.0: on every item one gave nothing and another full marks). Reviews made on
different rubric versions are compared on their totals only (`agreement` null).
"""

from __future__ import annotations

from collections.abc import Sequence

from kefu.qa.model import Calibration, Review, ReviewStatus

_COMPARED = frozenset({ReviewStatus.SCORED, ReviewStatus.ACKNOWLEDGED, ReviewStatus.APPEALED, ReviewStatus.UPHELD})


def agreement(reviews: Sequence[Review]) -> Calibration | None:
    """How the scored reviews of one ticket agree; None with fewer than two."""
    scored = [review for review in reviews if review.status in _COMPARED and review.total is not None]
    if len(scored) < 2:
        return None
    totals = [review.total or 0.0 for review in scored]
    result = Calibration(reviews=len(scored), totals=totals, totalSpread=round(max(totals) - min(totals), 1))
    if len({review.rubric.version for review in scored}) > 1:
        return result
    rubric = scored[0].rubric
    by_review = [{item.item: item.score for item in review.scores} for review in scored]
    spreads: list[float] = []
    agreed: list[str] = []
    disputed: list[str] = []
    for item in rubric.items:
        given = [scores[item.id] for scores in by_review if item.id in scores]
        spread = (max(given) - min(given)) / item.max if given else 0.0
        spreads.append(spread)
        (agreed if spread == 0 else disputed).append(item.id)
    value = round(1 - sum(spreads) / len(spreads), 4)
    return result.model_copy(update={"agreement": value, "itemsAgreed": agreed, "itemsDisputed": disputed})
