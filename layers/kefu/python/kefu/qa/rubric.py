"""The QA rubric (scorecard): items with their weights and scales, fatal items, a pass mark, a version.

A review keeps a copy of the rubric it was created with, so a rubric changed in the deployment (even mid-month) never
rescores what was already reviewed: old reviews keep their version, new ones take the new one. Totals are 0-100, so
the reviews of one month average to one QA score whichever versions they were scored on.

Scoring: each item gets 0..`max` points; the total is the weighted mean of score/max, times 100. A fatal item
(identity check, accuracy) scored 0 fails the review whatever else it scored: the total is 0.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kefu.model.text import Trimmed

ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Version = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class RubricItem(_Strict):
    id: ItemId
    #: What the reviewer reads (any language: "开场问候 Greeting").
    name: Annotated[str, Trimmed(min_length=1, max_length=100)]
    weight: int = Field(ge=1, le=100)
    #: The item's scale: 0..max points.
    max: int = Field(default=5, ge=1, le=100)
    #: Scored 0, it zeroes the whole review.
    fatal: bool = False


class Rubric(_Strict):
    version: Version
    #: A review passes at this total (0-100) or above, with no fatal item failed.
    pass_mark: float = Field(ge=0, le=100)
    items: list[RubricItem] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _unique_items(self) -> Self:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item {item.id!r} is given twice")
            seen.add(item.id)
        return self

    def item(self, item_id: str) -> RubricItem | None:
        return next((item for item in self.items if item.id == item_id), None)


class ScoreProblem(ValueError):
    """Scores that do not fit the rubric: the message says which item and why."""


def total(rubric: Rubric, scores: dict[str, int]) -> tuple[float, bool, list[str]]:
    """(total 0-100, passed, the fatal items failed) of complete, valid `scores` (item id → points)."""
    check(rubric, scores)
    fatal_failed = [item.id for item in rubric.items if item.fatal and scores[item.id] == 0]
    weights = sum(item.weight for item in rubric.items)
    points = sum(item.weight * scores[item.id] / item.max for item in rubric.items)
    value = 0.0 if fatal_failed else round(100 * points / weights, 1)
    return value, not fatal_failed and value >= rubric.pass_mark, fatal_failed


def check(rubric: Rubric, scores: dict[str, int]) -> None:
    """ScoreProblem unless `scores` names every item of the rubric once, each within its scale."""
    problems = [f"{name!r} is not an item of rubric {rubric.version}" for name in scores if rubric.item(name) is None]
    for item in rubric.items:
        if item.id not in scores:
            problems.append(f"{item.id!r} is not scored")
        elif not 0 <= scores[item.id] <= item.max:
            problems.append(f"{item.id!r} scores 0..{item.max}, got {scores[item.id]}")
    if problems:
        raise ScoreProblem("; ".join(problems))
