"""Revisit campaigns and survey thresholds, from the deployment document (`campaigns`, `surveys`) or built in.

The same models validate `infra/config/<stage>.yaml` at synth (kefu_infra.config) and read the delivered document
in the functions, so a campaign that synthesized is a campaign the functions understand.
"""

import re
from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kefu import deployment
from kefu.cron import Cron
from kefu.model.customers import Tier
from kefu.model.defaults import empty_list
from kefu.model.group_ids import GroupId
from kefu.model.text import Trimmed
from kefu.model.tickets import Category, Channel
from kefu.surveys.config import SurveySettings

CampaignId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{0,63}$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone such as Asia/Shanghai or Europe/Paris") from None
    return name


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(check_time_zone)]


# --- EventBridge cron expressions ----------------------------------------------------------------------------


def check_cron(expression: str) -> str:
    """An EventBridge (Scheduler) cron expression without its `cron(...)` wrapper (kefu.cron has the grammar the
    local scheduler runs too). Returns it; ValueError says what is wrong."""
    wrapped = re.fullmatch(r"\s*cron\((?P<inner>.*)\)\s*", expression)
    if wrapped:
        raise ValueError(f"write the six fields without cron(...): {wrapped['inner'].strip()!r}")
    Cron.parse(expression)
    return expression


CronExpression = Annotated[str, Trimmed(max_length=256), AfterValidator(check_cron)]


# --- the section models --------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Method(StrEnum):
    EMAIL_SURVEY = "email_survey"
    #: The survey link by text message (kefu.sms.outbound), to customers with a phone number they allow.
    SMS_SURVEY = "sms_survey"
    PHONE_REVISIT = "phone_revisit"


class Schedule(_Strict):
    """When the campaign runs: an EventBridge Scheduler cron expression, read in `timezone`."""

    cron: CronExpression
    timezone: TimeZoneName = "UTC"

    @property
    def expression(self) -> str:
        """The schedule expression as EventBridge Scheduler takes it."""
        return f"cron({self.cron})"


class DaysAgo(_Strict):
    """How long ago the ticket was resolved, in days, both ends included."""

    min: int = Field(ge=0, le=365)
    max: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is more than max ({self.max})")
        return self


class Select(_Strict):
    """Which resolved tickets a campaign revisits; a list left empty does not narrow the selection."""

    categories: list[Category] = Field(default_factory=empty_list)
    tiers: list[Tier] = Field(default_factory=empty_list)
    #: True: complaints only; False: everything but complaints; absent: both.
    complaint: bool | None = None
    channels: list[Channel] = Field(default_factory=empty_list)
    resolved_days_ago: DaysAgo

    @model_validator(mode="after")
    def _complaints_can_match(self) -> Self:
        if self.complaint and self.categories and Category.COMPLAINT not in self.categories:
            raise ValueError("complaint is true but categories leave out complaint: nothing could be selected")
        return self


class CycleDays(_Strict):
    """A customer is not revisited again within this many days of their last revisit, per customer tier."""

    vip: int = Field(default=30, ge=1, le=3650)
    high_value: int = Field(default=60, ge=1, le=3650)
    standard: int = Field(default=90, ge=1, le=3650)

    def of(self, tier: Tier) -> timedelta:
        return timedelta(days=getattr(self, tier.value))


class QuietHours(_Strict):
    """No survey e-mail is sent and no revisit task is opened from `start` to `end` (local time in `timezone`);
    a send that falls in them waits until they end. `start` after `end` spans midnight (21:00 → 09:00)."""

    start: ClockTime
    end: ClockTime
    timezone: TimeZoneName

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(f"start and end are both {self.start}: quiet hours must have a length")
        return self

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time.fromisoformat(self.end)


class Campaign(_Strict):
    id: CampaignId
    schedule: Schedule
    select: Select
    method: Method
    #: The agents' group that works the phone-revisit tasks (phone_revisit only).
    group: GroupId | None = None
    cycle_days: CycleDays = Field(default_factory=CycleDays)
    quiet_hours: QuietHours | None = None
    #: How long a survey link stays valid.
    survey_expires_days: int = Field(default=14, ge=1, le=90)
    enabled: bool = True

    @model_validator(mode="after")
    def _group_for_phone_only(self) -> Self:
        if self.method is Method.PHONE_REVISIT and self.group is None:
            raise ValueError(f"campaign {self.id!r} revisits by phone: give the agents' group (group)")
        if self.method is not Method.PHONE_REVISIT and self.group is not None:
            raise ValueError(
                f"campaign {self.id!r} sends surveys ({self.method}): group is for phone_revisit campaigns"
            )
        return self

    @property
    def survey_expiry(self) -> timedelta:
        return timedelta(days=self.survey_expires_days)


class RevisitsConfig(_Strict):
    campaigns: list[Campaign] = Field(default_factory=empty_list)
    surveys: SurveySettings = Field(default_factory=SurveySettings)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Self:
        ids = [campaign.id for campaign in self.campaigns]
        repeated = sorted({campaign_id for campaign_id in ids if ids.count(campaign_id) > 1})
        if repeated:
            raise ValueError(f"campaign ids must be unique: {', '.join(repeated)} given more than once")
        return self

    def campaign(self, campaign_id: str) -> Campaign:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise KeyError(f"no campaign {campaign_id!r} in the deployment configuration")


@deployment.prepared_per_document
def revisits_config(document: dict[str, Any]) -> RevisitsConfig:
    """The deployment's `campaigns` and `surveys`, with the built-in survey thresholds where it says nothing.

    Read once per deployment document: `deployment.reload()` makes the next call read the new one.
    """
    section = {key: document[key] for key in ("campaigns", "surveys") if document.get(key) is not None}
    return RevisitsConfig.model_validate(section)
