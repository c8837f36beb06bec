"""Routing configuration: the lexicon, the rules and the defaults, from the deployment document or built in.

The deployment document's `routing` key (infra/config/<stage>.yaml) is read as a RoutingConfig; whatever it
leaves out keeps its built-in value, and an unknown key is refused rather than ignored.
"""

from functools import cached_property
from typing import Annotated, Any, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kefu import deployment
from kefu.model.customers import Tier
from kefu.model.defaults import empty_list
from kefu.model.group_ids import GroupId
from kefu.model.text import Trimmed
from kefu.model.tickets import Category, Channel, Priority
from kefu.routing import defaults
from kefu.routing.model import Sentiment
from kefu.routing.text import Lexicon

Keyword = Annotated[str, Trimmed(min_length=1, max_length=100)]
RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class CategoryKeywords(_Strict):
    """Keywords per category; a category left out keeps its built-in list."""

    consultation: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["consultation"]))
    order: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["order"]))
    payment: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["payment"]))
    logistics: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["logistics"]))
    after_sales: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["after_sales"]))
    technical: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["technical"]))
    complaint: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["complaint"]))
    suggestion: list[Keyword] = Field(default_factory=lambda: list(defaults.CATEGORY_KEYWORDS["suggestion"]))


class EmotionKeywords(_Strict):
    angry: list[Keyword] = Field(default_factory=lambda: list(defaults.ANGRY))
    negative: list[Keyword] = Field(default_factory=lambda: list(defaults.NEGATIVE))
    #: Going to a regulator (12315, 消协), the media (曝光), a lawyer or the bank (chargeback).
    threat: list[Keyword] = Field(default_factory=lambda: list(defaults.THREAT))


class Match(_Strict):
    """Conditions on a contact; all that are given must hold, and a list holds when any of its items does.

    An empty match holds for every contact (a catch-all rule).
    """

    categories: list[Category] = Field(default_factory=empty_list)
    tiers: list[Tier] = Field(default_factory=empty_list)
    sentiments: list[Sentiment] = Field(default_factory=empty_list)
    channels: list[Channel] = Field(default_factory=empty_list)
    #: True: only repeat contacts; False: only first contacts.
    repeat: bool | None = None
    #: True: only contacts threatening a regulator, the media, a lawyer or a chargeback.
    threat: bool | None = None
    #: Any of these in the subject or the body.
    keywords: list[Keyword] = Field(default_factory=empty_list)
    #: Each key must be in the channel metadata with this value (or one of these values).
    metadata: dict[str, str | int | bool | list[str | int | bool]] = Field(default_factory=dict)


class Rule(_Strict):
    """A routing rule: when it matches first, it sets the group, the priority and/or the category."""

    name: RuleName
    match: Match = Field(default_factory=dict, validate_default=True)
    group: GroupId | None = None
    priority: Priority | None = None
    #: Reclassifies an inferred category; a category given by the caller is kept.
    category: Category | None = None

    @model_validator(mode="after")
    def _sets_something(self) -> Self:
        if self.group is None and self.priority is None and self.category is None:
            raise ValueError(f"rule {self.name!r} sets nothing: give it a group, a priority or a category")
        return self


class Raise(_Strict):
    """A priority raise: every raise that matches adds its steps (P4→P3 is one step), up to P1."""

    name: RuleName
    match: Match
    steps: int = Field(default=1, ge=1, le=3)


class Compiled(NamedTuple):
    categories: dict[Category, Lexicon]
    angry: Lexicon
    negative: Lexicon
    threat: Lexicon
    rule_keywords: dict[str, Lexicon]
    raise_keywords: dict[str, Lexicon]


class RoutingConfig(_Strict):
    default_group: GroupId = "l1"
    default_priority: Priority = Priority.P3
    #: The window in which earlier contacts make this one a repeat; whoever counts them (intake) reads it here.
    repeat_window_hours: int = Field(default=48, ge=1, le=24 * 30)
    #: How many earlier contacts in the window make a repeat contact.
    repeat_threshold: int = Field(default=1, ge=1)
    #: When the text matches keywords of several categories, the first of them in this order is chosen;
    #: a category missing here is never inferred (it can still be given by the caller or set by a rule).
    category_precedence: list[Category] = Field(
        default_factory=lambda: [
            Category.COMPLAINT,
            Category.SUGGESTION,
            Category.TECHNICAL,
            Category.PAYMENT,
            Category.AFTER_SALES,
            Category.LOGISTICS,
            Category.ORDER,
            Category.CONSULTATION,
        ]
    )
    #: Chosen when no category keyword matches.
    fallback_category: Category = Category.CONSULTATION
    # The built-in values below are validated as a given one is, by this model's schema (validate_default): built
    # with `Rule.model_validate` or `CategoryKeywords()`, each of those models built its own schema besides, on the
    # first read of a deployment document without a `routing` key.
    categories: CategoryKeywords = Field(default_factory=dict, validate_default=True)
    emotion: EmotionKeywords = Field(default_factory=dict, validate_default=True)
    rules: list[Rule] = Field(default_factory=lambda: defaults.RULES, validate_default=True)
    raises: list[Raise] = Field(default_factory=lambda: defaults.RAISES, validate_default=True)

    @model_validator(mode="after")
    def _names_are_unique(self) -> Self:
        for kind, names in (("rule", [r.name for r in self.rules]), ("raise", [r.name for r in self.raises])):
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"{kind} names must be unique: {', '.join(repeated)} given more than once")
        return self

    @cached_property
    def compiled(self) -> Compiled:
        """Every keyword list compiled to patterns, once per configuration."""
        return Compiled(
            categories={category: Lexicon.compile(getattr(self.categories, category)) for category in Category},
            angry=Lexicon.compile(self.emotion.angry),
            negative=Lexicon.compile(self.emotion.negative),
            threat=Lexicon.compile(self.emotion.threat),
            rule_keywords={rule.name: Lexicon.compile(rule.match.keywords) for rule in self.rules},
            raise_keywords={item.name: Lexicon.compile(item.match.keywords) for item in self.raises},
        )


@deployment.prepared_per_document
def routing_config(document: dict[str, Any]) -> RoutingConfig:
    """The deployment's routing configuration (its `routing` key), else the built-in one.

    Read once per deployment document: `deployment.reload()` makes the next call read the new one.
    """
    return RoutingConfig.model_validate(document.get("routing") or {})
