"""SLA policies and the escalation ladder, as the deployment configuration writes them.

A policy gives a ticket its first-response and resolution targets; the first policy whose match holds wins.
A target is a duration of business time on a calendar (the policy's, or its own): "30m", "4h", "1h30m", and
on the 24x7 calendar also days ("2d" = 48 hours).
"""

import re
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kefu.model.customers import Tier
from kefu.model.defaults import empty_list
from kefu.model.group_ids import GroupId
from kefu.model.tickets import Category, Priority

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_LONGEST = timedelta(days=365)

#: The built-in always-open calendar's name.
TWENTY_FOUR_SEVEN = "24x7"

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]


def parse_duration(text: str) -> timedelta:
    """A duration as configured: days, hours and minutes in that order, each optional ("1d", "4h", "1h30m")."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration: write e.g. '30m', '4h', '1h30m' or '2d'")
    return _parsed_duration(text)


# The same few texts (the policies' targets, a clock's stored ones) are parsed at every ticket opened or changed; a
# timedelta is immutable, and a text that is no duration raises each time (exceptions are not cached).
@lru_cache(maxsize=256)
def _parsed_duration(text: str) -> timedelta:
    found = _DURATION.match(text.strip())
    if not found or not any(found.groups()):
        raise ValueError(f"{text!r} is not a duration: write e.g. '30m', '4h', '1h30m' or '2d'")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    amount = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(0) < amount <= _LONGEST:
        raise ValueError(f"{text!r}: a target must be more than 0 and at most 365 days")
    return amount


def format_duration(amount: timedelta) -> str:
    """A whole number of minutes in hours and minutes ("1h30m", "48h", "45m"): how a clock stores its targets."""
    minutes, rest = divmod(amount, timedelta(minutes=1))
    if rest or minutes <= 0:
        raise ValueError(f"{amount} is not a positive whole number of minutes")
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")


def _duration_text(text: str) -> str:
    parse_duration(text)
    return text.strip()


DurationText = Annotated[str, AfterValidator(_duration_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MilestoneKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class Action(StrEnum):
    WARN_OWNER = "warn_owner"
    NOTIFY_SUPERVISOR = "notify_supervisor"
    #: Raise the ticket's escalationLevel by one.
    RAISE_LEVEL = "raise_level"
    MOVE_TO_GROUP = "move_to_group"
    #: Tell the owner's manager (`sla.notices.managers`), typically with the supervisor again after the breach.
    NOTIFY_MANAGER = "notify_manager"
    #: Tell the head of service (`sla.notices.head_of_service`), the ladder's last rung.
    NOTIFY_HEAD = "notify_head"


class PolicyMatch(_Strict):
    """Conditions on a ticket; all that are given must hold, a list holds when any of its items does.

    An empty match holds for every ticket. Named as routing's match names them.
    """

    priorities: list[Priority] = Field(default_factory=empty_list)
    tiers: list[Tier] = Field(default_factory=empty_list)
    categories: list[Category] = Field(default_factory=empty_list)

    @property
    def is_catch_all(self) -> bool:
        return not (self.priorities or self.tiers or self.categories)

    def holds(self, priority: Priority, tier: Tier, category: Category | None) -> bool:
        return (
            (not self.priorities or priority in self.priorities)
            and (not self.tiers or tier in self.tiers)
            and (not self.categories or category in self.categories)
        )


class Target(_Strict):
    """A duration of business time, on the policy's calendar unless it names its own.

    Written as a duration alone ("4h") or as `{within: 48h, calendar: 24x7}`.
    """

    within: DurationText
    calendar: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"within": data} if isinstance(data, str) else data

    @property
    def duration(self) -> timedelta:
        return parse_duration(self.within)


class Policy(_Strict):
    name: Name
    match: PolicyMatch = Field(default_factory=dict, validate_default=True)
    #: The calendar both targets count on, unless a target names its own; "24x7" counts wall-clock time.
    calendar: Name = "business"
    first_response: Target
    resolution: Target

    def target(self, kind: MilestoneKind) -> Target:
        return self.first_response if kind == MilestoneKind.FIRST_RESPONSE else self.resolution

    def calendar_of(self, kind: MilestoneKind) -> str:
        return self.target(kind).calendar or self.calendar


class EscalationStep(_Strict):
    """One rung of the escalation ladder: when `at` percent of a target has passed, do `action`."""

    #: Percent of the target: 75 warns ahead of the due time, 100 is the breach, 150 half a target later.
    at: int = Field(ge=1, le=1000)
    milestone: MilestoneKind
    action: Action
    #: The group `move_to_group` moves the ticket to (checked against the deployment's groups at synth).
    group: GroupId | None = None
    #: Only tickets of these categories; empty: every ticket.
    categories: list[Category] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _group_goes_with_moving(self) -> Self:
        if self.action is Action.MOVE_TO_GROUP and self.group is None:
            raise ValueError("move_to_group needs a group")
        if self.action is not Action.MOVE_TO_GROUP and self.group is not None:
            raise ValueError(f"only move_to_group takes a group, not {self.action}")
        return self

    def applies_to(self, category: Category | None) -> bool:
        return not self.categories or category in self.categories
