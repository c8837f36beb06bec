"""SLA configuration: calendars, policies and the escalation ladder, from the deployment document or built in.

The deployment document's `sla` key (infra/config/<stage>.yaml) is read as an SlaConfig; whatever it leaves out
keeps its built-in value, and an unknown key is refused rather than ignored.

Built in (a desk in China working Mon-Fri 09:00-12:00 and 13:30-18:00, 7.5 hours a day):

| policy            | match                 | first response       | resolution            |
|-------------------|-----------------------|----------------------|-----------------------|
| complaint-urgent  | complaint and P1      | 1h, 24x7             | 48h, 24x7             |
| complaint         | complaint             | 2h, business hours   | 48h, 24x7             |
| p1                | P1                    | 1h, 24x7             | 4h, 24x7              |
| vip               | VIP customer          | 1h, business hours   | 8h, business hours    |
| p2                | P2                    | 4h, business hours   | 16h, business hours   |
| p4                | P4                    | 16h, business hours  | 80h, business hours   |
| default           | anything else (P3)    | 8h, business hours   | 40h, business hours   |

Complaints come first so that every complaint, whatever its priority or tier, runs on the 48-hour closed loop
(48小时闭环): closed within 48 wall-clock hours, nights and weekends included; only waiting on the customer
stops that clock. Their first response is fast but in business hours, since a complaint needs a person who can
act on it; a P1 complaint (a regulator, the media, a lawyer) is answered within the hour, day and night.
"""

from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from kefu import deployment
from kefu.model.customers import Tier
from kefu.model.defaults import empty_list
from kefu.model.group_ids import GroupId
from kefu.model.tickets import Category, Priority
from kefu.sla.calendar import ALWAYS_OPEN, BusinessCalendar
from kefu.sla.policy import (
    TWENTY_FOUR_SEVEN,
    Action,
    DurationText,
    EscalationStep,
    MilestoneKind,
    Name,
    Policy,
    parse_duration,
)

_WORKDAY = ["09:00-12:00", "13:30-18:00"]

BUILT_IN_CALENDARS: dict[str, Any] = {
    "business": {
        "time_zone": "Asia/Shanghai",
        "hours": {"mon": _WORKDAY, "tue": _WORKDAY, "wed": _WORKDAY, "thu": _WORKDAY, "fri": _WORKDAY},
    },
}

BUILT_IN_POLICIES: list[dict[str, Any]] = [
    {
        "name": "complaint-urgent",
        "match": {"categories": ["complaint"], "priorities": ["P1"]},
        "calendar": TWENTY_FOUR_SEVEN,
        "first_response": "1h",
        "resolution": "48h",
    },
    {
        "name": "complaint",
        "match": {"categories": ["complaint"]},
        "calendar": "business",
        "first_response": "2h",
        "resolution": {"within": "48h", "calendar": TWENTY_FOUR_SEVEN},
    },
    {
        "name": "p1",
        "match": {"priorities": ["P1"]},
        "calendar": TWENTY_FOUR_SEVEN,
        "first_response": "1h",
        "resolution": "4h",
    },
    {"name": "vip", "match": {"tiers": ["vip"]}, "first_response": "1h", "resolution": "8h"},
    {"name": "p2", "match": {"priorities": ["P2"]}, "first_response": "4h", "resolution": "16h"},
    {"name": "p4", "match": {"priorities": ["P4"]}, "first_response": "16h", "resolution": "80h"},
    {"name": "default", "first_response": "8h", "resolution": "40h"},
]

BUILT_IN_LADDER: list[dict[str, Any]] = [
    {"at": 75, "milestone": "first_response", "action": "warn_owner"},
    {"at": 100, "milestone": "first_response", "action": "notify_supervisor"},
    {"at": 100, "milestone": "first_response", "action": "raise_level"},
    {"at": 75, "milestone": "resolution", "action": "warn_owner"},
    {"at": 100, "milestone": "resolution", "action": "notify_supervisor"},
    {"at": 100, "milestone": "resolution", "action": "raise_level"},
    {
        "at": 100,
        "milestone": "resolution",
        "action": "move_to_group",
        "group": "complaints",
        "categories": ["complaint"],
    },
]


#: Someone an escalation notice reaches: an agent id (mailed at their roster record's address) or an address.
#: Its length is a length constraint, not a counted repeat (`{0,127}`) of the Unicode class `\w`: pydantic-core's
#: regex engine compiles such a repeat into a large automaton, ~50 ms of CPU at the first SlaConfig (every function
#: that reads the SLA settings paid it on its cold start); `*` with max_length accepts the same strings.
Person = Annotated[str, StringConstraints(max_length=128, pattern=r"^[A-Za-z0-9][\w\-.@:+]*$")]


class Notices(BaseModel):
    """Who escalation notices reach besides the ticket's owner (the ladder's notify_* steps, kefu.escalation)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: Each group's supervisors (notify_supervisor, for the group the ticket is in).
    supervisors: dict[GroupId, list[Person]] = Field(default_factory=dict)
    #: Each agent's manager (notify_manager, for the ticket's owner).
    managers: dict[Person, Person] = Field(default_factory=dict)
    #: The head of service (notify_head).
    head_of_service: list[Person] = Field(default_factory=empty_list)


class SlaConfig(BaseModel):
    """The deployment's `sla` section: named calendars, policies in order, and the escalation ladder."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # The built-in values below are validated as a given one is, by this model's schema (validate_default): built
    # with `Policy.model_validate` or `Notices()`, each of those models built its own schema besides, on the first
    # read of a deployment document without an `sla` key.

    #: Business calendars by name; "24x7" is always there (and if given, must be always_open).
    calendars: dict[Name, BusinessCalendar] = Field(default_factory=lambda: BUILT_IN_CALENDARS, validate_default=True)
    #: In order: the first policy whose match holds wins; the last must match every ticket.
    policies: list[Policy] = Field(default_factory=lambda: BUILT_IN_POLICIES, validate_default=True, min_length=1)
    #: The escalation ladder: steps run when a running target reaches `at` percent.
    escalation: list[EscalationStep] = Field(default_factory=lambda: BUILT_IN_LADDER, validate_default=True)

    #: Who the ladder's notices reach (by e-mail; the supervisors' workspace is the escalated list).
    notices: Notices = Field(default_factory=dict, validate_default=True)
    #: A resolved ticket closes on its own after this long without a word from the customer (wall-clock time;
    #: a message from them reopens it and the wait starts again at its next resolution).
    auto_close_after: DurationText = "7d"
    #: A ticket is at risk (`GET /tickets?atRisk=true`) while an unmet target comes due within this margin, or
    #: is already overdue (wall-clock time).
    at_risk_margin: DurationText = "1h"

    @property
    def at_risk_margin_duration(self) -> timedelta:
        return parse_duration(self.at_risk_margin)

    @property
    def auto_close_after_duration(self) -> timedelta:
        return parse_duration(self.auto_close_after)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Checks across keys, each problem reported at its own key (`policies.2.calendar`), once."""
        problems: dict[tuple[str | int, ...], str] = {}
        always = self.calendars.get(TWENTY_FOUR_SEVEN)
        if always is not None and not always.always_open:
            problems["calendars", TWENTY_FOUR_SEVEN] = "this name is the always-open calendar's"
        known = ", ".join(sorted({TWENTY_FOUR_SEVEN, *self.calendars}))
        seen: set[str] = set()
        for index, policy in enumerate(self.policies):
            if policy.name in seen:
                problems["policies", index, "name"] = f"{policy.name!r} is the name of an earlier policy"
            seen.add(policy.name)
            for kind in MilestoneKind:
                target, name = policy.target(kind), policy.calendar_of(kind)
                if name != TWENTY_FOUR_SEVEN and name not in self.calendars:
                    key = (
                        ("policies", index, str(kind), "calendar")
                        if target.calendar
                        else ("policies", index, "calendar")
                    )
                    problems[key] = f"unknown calendar {name!r} (known: {known})"
                elif "d" in target.within and not self.calendar(name).always_open:
                    problems["policies", index, str(kind), "within"] = (
                        f"{target.within!r} on the business calendar {name!r}: write hours "
                        "(a day of business time would be 24 business hours, not one working day)"
                    )
        problems.update(self._notices_problems())
        if not self.policies[-1].match.is_catch_all:
            problems["policies", len(self.policies) - 1, "match"] = "the last policy must match every ticket"
        if problems:
            raise ValidationError.from_exception_data(
                "SlaConfig",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", "Value error, {error}", {"error": message}),
                        loc=key,
                        input=None,
                    )
                    for key, message in problems.items()
                ],
            )
        return self

    def _notices_problems(self) -> dict[tuple[str | int, ...], str]:
        """A notify step needs someone to notify: the ladder's and the notices' keys agree."""
        needs = {
            Action.NOTIFY_HEAD: ("head_of_service", bool(self.notices.head_of_service)),
            Action.NOTIFY_MANAGER: ("managers", bool(self.notices.managers)),
        }
        problems: dict[tuple[str | int, ...], str] = {}
        for index, step in enumerate(self.escalation):
            key, configured = needs.get(step.action, ("", True))
            if not configured:
                problems["escalation", index, "action"] = f"{step.action} needs notices.{key}"
        return problems

    def calendar(self, name: str) -> BusinessCalendar:
        if name == TWENTY_FOUR_SEVEN:
            return ALWAYS_OPEN
        return self.calendars[name]

    def policy_for(self, priority: Priority, tier: Tier, category: Category | None) -> Policy:
        """The first policy whose match holds (the last one holds for every ticket)."""
        return next(p for p in self.policies if p.match.holds(priority, tier, category))


@deployment.prepared_per_document
def sla_config(document: dict[str, Any]) -> SlaConfig:
    """The deployment's SLA configuration (its `sla` key), else the built-in one.

    Read once per deployment document: `deployment.reload()` makes the next call read the new one.
    """
    return SlaConfig.model_validate(document.get("sla") or {})
