"""The customer record as staff and the customer see and change it (the HTTP API's customer routes)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from kefu.model.customers import Tag, Tier
from kefu.model.defaults import empty_list
from kefu.model.surveys import SurveyResult
from kefu.model.text import Trimmed

Name = Annotated[str, Trimmed(min_length=1, max_length=200)]


class Language(StrEnum):
    ZH_HANS = "zh-Hans"
    ZH_HANT = "zh-Hant"
    EN = "en"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _View(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ContactPoint(_View):
    kind: Literal["email", "phone"]
    value: str


class NotifyBy(StrEnum):
    """Where a customer's progress notices go (kefu.notifications)."""

    EMAIL = "email"
    SMS = "sms"
    #: The app channel's push: an event on kefu's bus for the mobile apps' push service.
    APP = "app"


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone such as Asia/Shanghai or Europe/Paris") from None
    return name


class ContactPreferences(_Strict):
    """How the customer agrees to be contacted.

    `email` and `phone` say whether kefu may use those contact points at all (surveys, revisit calls and SMS,
    notices). `notifications` false opts out of progress notices (an answer, waiting on you, resolved) on every
    channel. `notifyBy` picks their channel; unset, it is e-mail when kefu knows an address the customer allows,
    else SMS when it knows a number they allow, else the app. `timeZone` is where their quiet hours are counted
    (unset: the desk's).
    """

    email: bool = True
    phone: bool = True
    notifications: bool = True
    notifyBy: NotifyBy | None = None
    timeZone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)] | None = None

    @model_validator(mode="after")
    def _notify_by_an_allowed_channel(self) -> Self:
        if self.notifyBy is NotifyBy.EMAIL and not self.email:
            raise ValueError("notifyBy is email but email is false: allow e-mail or choose another channel")
        if self.notifyBy is NotifyBy.SMS and not self.phone:
            raise ValueError("notifyBy is sms but phone is false: allow the phone or choose another channel")
        return self


class CustomerSummary(_View):
    """One customer in a search result."""

    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    tier: Tier = Tier.STANDARD
    tags: list[str] = Field(default_factory=empty_list)


class CustomerProfile(CustomerSummary):
    """GET /customers/{id}: the record, its contact points, what its tickets and surveys tell."""

    note: str | None = None
    contactPoints: list[ContactPoint] = Field(default_factory=empty_list)
    preferredLanguage: Language | None = None
    contactPreferences: ContactPreferences = Field(default_factory=ContactPreferences)
    externalId: str | None = None
    ticketCount: int = 0
    #: When the customer's newest ticket was opened.
    lastContactAt: datetime | None = None
    #: CSAT/NPS answers, newest first.
    surveys: list[SurveyResult] = Field(default_factory=empty_list)
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
    version: int = 0


class OwnProfile(_View):
    """GET /me: the customer's own record, without what staff keep about them (tags, note, tier)."""

    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    preferredLanguage: Language | None = None
    contactPreferences: ContactPreferences = Field(default_factory=ContactPreferences)
    version: int = 0


def _tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    return list(dict.fromkeys(tag.lower() for tag in tags))


class CustomerPatch(_Strict):
    """PATCH /customers/{id} (agents): what is given changes; `null` clears the note."""

    name: Name | None = None
    tier: Tier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str] | None) -> list[str] | None:
        return _tags(tags)


class OwnProfilePatch(_Strict):
    """PATCH /me (customers)."""

    name: Name | None = None
    preferredLanguage: Language | None = None
    contactPreferences: ContactPreferences | None = None


class MergeRequest(_Strict):
    """POST /customers/{id}/merge: the record to merge into this one (it answers with this one afterwards)."""

    from_: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(alias="from")


class ErasureStatus(_View):
    """DELETE /customers/{id}: where the erasure stands (`erasing` until its last step, then `erased`)."""

    customerId: str
    status: Literal["erasing", "erased"]
    requestedAt: datetime | None = None
    erasedAt: datetime | None = None


class ExportJob(_View):
    """A data export: `running`, then `done` with a short-lived link to its archive (JSON lines), or `failed`;
    `erased` once the customer's data was erased (the archive with it)."""

    id: str
    customerId: str
    status: Literal["running", "done", "failed", "erased"]
    requestedAt: datetime
    finishedAt: datetime | None = None
    error: str | None = None
    #: A pre-signed GET of the archive, valid for `linkExpiresIn` seconds from the answer (done jobs only).
    link: str | None = None
    linkExpiresIn: int | None = None


class PrivacyJob(BaseModel):
    """The privacy state machine's document (kefu_infra.capabilities.privacy), carried from task to task: an
    erasure pages through the customer's tickets (`phase` tickets, `cursor`) and ends with the record; an export
    is one task. `error` is what the machine's catch adds when a task gave up."""

    model_config = ConfigDict(extra="allow")

    job: Literal["erase", "export"]
    customerId: str
    jobId: str | None = None
    phase: Literal["tickets", "record"] | None = None
    cursor: str | None = None
    done: bool = False
    error: dict | None = None
