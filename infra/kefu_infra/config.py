"""Deployment configuration: one version-controlled YAML file per stage, validated when the app is synthesized.

A bad file stops the synth with one line per problem, each naming the key (`dev.yaml: mail.recipients.0: …`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from kefu.channels.config import ChannelTarget, needs_target
from kefu.email.config import DEFAULT_ACKNOWLEDGEMENT, MailSettings
from kefu.knowledge.config import KnowledgeSettings
from kefu.model.agents import GroupId, GroupSpec
from kefu.model.tickets import Channel
from kefu.notifications.config import NotificationSettings
from kefu.qa.config import QaSettings
from kefu.revisits.config import Campaign, SurveySettings
from kefu.routing.config import RoutingConfig
from kefu.sla.config import SlaConfig
from kefu.tickets.access import AccessSettings
from kefu_infra.paths import CONFIG

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
DomainName = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
]
Origin = Annotated[str, StringConstraints(pattern=r"^https?://[^/\s*]+$")]
# The retention periods CloudWatch Logs accepts.
RetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


class ConfigError(ValueError):
    """The deployment configuration of a stage is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Logs(_Strict):
    retention_days: RetentionDays
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Throttle(_Strict):
    """Steady-state requests per second and burst, for the whole HTTP API stage."""

    rate: float = Field(gt=0, le=10_000)
    burst: int = Field(gt=0, le=5_000)


class Api(_Strict):
    throttle: Throttle
    cors_origins: list[Origin] = Field(default_factory=list)


#: Words Cognito refuses in a hosted sign-in domain's prefix.
_RESERVED_IN_AUTH_DOMAIN = ("aws", "amazon", "cognito")
_LOOPBACK = ("localhost", "127.0.0.1")


def _app_url(path: str) -> Any:
    """A URL of the web app at `path`: https (http only on this machine, for `make dev`), no query or fragment."""

    def check(url: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{url!r} is not an absolute http(s) URL")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError(f"{url!r}: only https, but for localhost or 127.0.0.1")
        if parts.path != path or parts.query or parts.fragment:
            raise ValueError(f"{url!r}: the app's address of this page is <origin>{path}, nothing after it")
        return url

    return Annotated[str, AfterValidator(check)]


def _origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Web(_Strict):
    """The web app in AWS (capabilities/web.py): Cognito's hosted sign-in, at
    `https://<auth_domain_prefix>.auth.<region>.amazoncognito.com`, sends people back only to these addresses."""

    auth_domain_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    #: Where Cognito returns a signed-in person with the authorization code (the app's `/auth/callback`).
    callback_urls: list[_app_url("/auth/callback")] = Field(min_length=1)  # type: ignore[valid-type]
    #: Where it returns them after signing out (the app's `/sign-in`).
    logout_urls: list[_app_url("/sign-in")] = Field(min_length=1)  # type: ignore[valid-type]
    #: The app's own domain on CloudFront, with its ACM certificate (CloudFront takes them from us-east-1 only);
    #: left out, the app is served at the distribution's cloudfront.net address.
    domain_name: DomainName | None = None
    certificate_arn: (
        Annotated[str, StringConstraints(pattern=r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")] | None
    ) = None

    @model_validator(mode="after")
    def _certificate_with_domain(self) -> Web:
        if (self.certificate_arn is None) != (self.domain_name is None):
            raise ValueError("domain_name and certificate_arn go together: give both or neither")
        return self

    @field_validator("auth_domain_prefix")
    @classmethod
    def _not_reserved(cls, prefix: str) -> str:
        reserved = [word for word in _RESERVED_IN_AUTH_DOMAIN if word in prefix]
        if reserved:
            raise ValueError(f"Cognito refuses a domain prefix with {', '.join(reserved)} in it")
        return prefix

    def origins(self) -> list[str]:
        return sorted({_origin_of(url) for url in [*self.callback_urls, *self.logout_urls]})


class Acknowledgement(_Strict):
    """The automatic answer to a mail that opened a ticket, in Chinese and English (both are sent, the
    customer's language first); `{ticket_id}` and `{subject}` are filled in."""

    zh: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    @field_validator("zh", "en")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        unknown = sorted(set(re.findall(r"\{([^{}]*)\}", text)) - {"ticket_id", "subject"})
        if unknown:
            raise ValueError(f"unknown placeholders {', '.join(unknown)}: use {{ticket_id}} and {{subject}}")
        return text


#: What the mail functions take when the deployment leaves a setting out (kefu.email.config: a named tuple, whose
#: class attributes are its fields' accessors, so the defaults are read from an instance).
_MAIL_DEFAULTS = MailSettings()


class Mail(_Strict):
    """E-mail: the domain SES receives for, the addresses that become tickets (the first one answers when a
    ticket has no mail thread yet), and how kefu answers and protects itself."""

    domain: DomainName
    recipients: list[Email] = Field(min_length=1)
    #: The display name of kefu's answers ("Kefu Support <support@…>").
    from_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = (
        _MAIL_DEFAULTS.from_name
    )
    #: Mail to this address, one of `recipients`, is always a complaint (the complaint policy's 48-hour loop
    #: applies), whatever its words would be routed as.
    complaints: Email | None = _MAIL_DEFAULTS.complaints
    #: Whether a ticket opened by e-mail is acknowledged by e-mail, and with what text.
    acknowledge: bool = _MAIL_DEFAULTS.acknowledge
    acknowledgement: Acknowledgement = Field(default_factory=lambda: Acknowledgement(**DEFAULT_ACKNOWLEDGEMENT))
    #: More mails than this from one sender in one hour are kept but never ticketed nor answered (loops, floods).
    burst_per_hour: int = Field(default=_MAIL_DEFAULTS.burst_per_hour, ge=1, le=10_000)
    #: A received file over this size, or over the total for one mail, is listed on the ticket but not stored
    #: (SES receives mails of up to 40 MB).
    max_attachment_bytes: int = Field(default=_MAIL_DEFAULTS.max_attachment_bytes, ge=1, le=40 * 1024 * 1024)
    max_total_attachment_bytes: int = Field(
        default=_MAIL_DEFAULTS.max_total_attachment_bytes, ge=1, le=40 * 1024 * 1024
    )

    @field_validator("recipients")
    @classmethod
    def _recipients_in_domain(cls, recipients: list[str], info: Any) -> list[str]:
        domain = info.data.get("domain")
        if domain is None:
            return recipients
        outside = [r for r in recipients if r.rsplit("@", 1)[1].lower() != domain]
        if outside:
            raise ValueError(f"not addresses of the mail domain {domain}: {', '.join(outside)}")
        return recipients

    @field_validator("complaints")
    @classmethod
    def _complaints_received(cls, address: str | None, info: Any) -> str | None:
        recipients = [r.lower() for r in info.data.get("recipients") or []]
        if address is not None and recipients and address.lower() not in recipients:
            raise ValueError(f"not one of mail.recipients: {address}")
        return address

    @field_validator("max_total_attachment_bytes")
    @classmethod
    def _total_holds_one_file(cls, total: int, info: Any) -> int:
        per_file = info.data.get("max_attachment_bytes")
        if per_file is not None and total < per_file:
            raise ValueError(f"smaller than max_attachment_bytes ({per_file}): no file that size could be kept")
        return total


def _time_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as Asia/Shanghai)") from None
    return name


class KpiSettings(_Strict):
    """Service KPIs (kefu.kpis): the desk's time zone, whose days the reports count in."""

    time_zone: Annotated[str, AfterValidator(_time_zone)] = "UTC"


class Alarms(_Strict):
    email: Email


class Retention(_Strict):
    """How long the raw mails SES stored and the tickets' attachments are kept (S3 lifecycle rules): personal data
    is not kept longer than the desk needs it. An object past its days is deleted; its last version goes after
    `noncurrent_days` more (the window to restore a mistaken delete)."""

    raw_mail_days: int = Field(default=365, ge=1, le=3650)
    attachments_days: int = Field(default=365, ge=1, le=3650)
    noncurrent_days: int = Field(default=30, ge=1, le=365)


class Deployment(_Strict):
    """One stage's deployment configuration (`infra/config/<stage>.yaml`)."""

    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    account: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    logs: Logs
    api: Api
    mail: Mail
    alarms: Alarms
    retention: Retention = Field(default_factory=Retention)
    #: Support groups by id, each as `PUT /groups/{groupId}` would take it.
    groups: dict[GroupId, GroupSpec] = Field(min_length=1)
    default_group: GroupId

    @field_validator("default_group")
    @classmethod
    def _default_group_exists(cls, default_group: str, info: Any) -> str:
        groups = info.data.get("groups")
        if groups is not None and default_group not in groups:
            raise ValueError(f"{default_group!r} is not one of groups: {', '.join(groups)}")
        return default_group

    #: Contact channels whose systems take kefu's answers, status changes and survey requests from a queue of their
    #: own (capabilities/channels.py), by channel. E-mail (SES) and web (the portal) need none.
    channels: dict[Channel, ChannelTarget] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channels_take_events(cls, channels: dict[Channel, ChannelTarget]) -> dict[Channel, ChannelTarget]:
        _raise_at(
            [
                (
                    (channel.value,),
                    "answers on this channel need no queue: e-mail goes by SES, the web portal shows them",
                )
                for channel in channels
                if not needs_target(channel)
            ]
        )
        return channels

    #: Customers' progress notices (kefu.notifications): on or off, the per-ticket rate limit, quiet hours.
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    #: The web app and its sign-in (capabilities/web.py); left out, the stage serves no web app.
    web: Web | None = None

    @field_validator("web")
    @classmethod
    def _web_origins_may_call_the_api(cls, web: Web | None, info: Any) -> Web | None:
        api = info.data.get("api")
        if web is not None and api is not None:
            missing = [origin for origin in web.origins() if origin not in api.cors_origins]
            if missing:
                raise ValueError(f"the app calls the API from {', '.join(missing)}: add it to api.cors_origins")
        return web

    #: SLA calendars, policies and the escalation ladder (kefu.sla.config); left out, the built-in ones.
    sla: SlaConfig = Field(default_factory=SlaConfig)

    @field_validator("sla")
    @classmethod
    def _escalation_groups_exist(cls, sla: SlaConfig, info: Any) -> SlaConfig:
        groups = info.data.get("groups")
        if groups is not None:
            _raise_at(
                [
                    (("escalation", index, "group"), f"{step.group!r} is not one of groups: {', '.join(groups)}")
                    for index, step in enumerate(sla.escalation)
                    if step.group is not None and step.group not in groups
                ]
                + [
                    (("notices", "supervisors", group), f"{group!r} is not one of groups: {', '.join(groups)}")
                    for group in sla.notices.supervisors
                    if group not in groups
                ]
            )
        return sla

    #: Which tickets agents reach (kefu.tickets.access): `agents: all` (every ticket, the default) or `agents: groups`
    #: (their groups' tickets and those they own, hold or helped on). Supervisors and admins reach all under either.
    access: AccessSettings = Field(default_factory=AccessSettings)
    #: Service KPIs: the desk's days are those of `kpis.time_zone`.
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    #: The knowledge base (kefu.knowledge.config): the ticket categories offered a public article when they open.
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    #: Revisit campaigns (kefu.revisits.config): schedule, selection, method, cycle per tier, quiet hours.
    campaigns: list[Campaign] = Field(default_factory=list)
    #: What makes a survey answer a low score, and which groups its follow-up ticket goes to.
    surveys: SurveySettings = Field(default_factory=SurveySettings, validate_default=True)

    @field_validator("campaigns")
    @classmethod
    def _campaigns_are_unique_and_their_groups_exist(cls, campaigns: list[Campaign], info: Any) -> list[Campaign]:
        groups = info.data.get("groups")
        problems: list[tuple[tuple[int | str, ...], str]] = []
        seen: set[str] = set()
        for index, campaign in enumerate(campaigns):
            if campaign.id in seen:
                problems.append(((index, "id"), f"{campaign.id!r} is the id of an earlier campaign"))
            seen.add(campaign.id)
            if groups is not None and campaign.group is not None and campaign.group not in groups:
                problems.append(((index, "group"), f"{campaign.group!r} is not one of groups: {', '.join(groups)}"))
        _raise_at(problems)
        return campaigns

    @field_validator("surveys")
    @classmethod
    def _follow_up_groups_exist(cls, surveys: SurveySettings, info: Any) -> SurveySettings:
        groups = info.data.get("groups")
        if groups is not None:
            _raise_at(
                [
                    ((key,), f"{getattr(surveys, key)!r} is not one of groups: {', '.join(groups)}")
                    for key in ("vip_group", "complaints_group")
                    if getattr(surveys, key) not in groups
                ]
            )
        return surveys

    #: Routing (kefu.routing.config): category keywords, emotion words, rules (first match sets group, priority,
    #: category) and priority raises; what is left out keeps its built-in value. Its default group is the
    #: top-level `default_group`.
    routing: RoutingConfig = Field(default_factory=RoutingConfig)

    @field_validator("routing")
    @classmethod
    def _routing_groups_exist(cls, routing: RoutingConfig, info: Any) -> RoutingConfig:
        groups = info.data.get("groups")
        problems: list[tuple[tuple[int | str, ...], str]] = []
        if "default_group" in routing.model_fields_set:
            problems.append((("default_group",), "the default group is the top-level default_group; set it there"))
        if groups is not None:
            problems += [
                (("rules", index, "group"), f"{rule.group!r} is not one of groups: {', '.join(groups)}")
                for index, rule in enumerate(routing.rules)
                if rule.group is not None and rule.group not in groups
            ]
        _raise_at(problems)
        return routing

    #: Quality inspection (kefu.qa.config): the rubric (items, weights, fatal items, pass mark, version), the
    #: service script the automatic checks hold replies to, their targets, the monthly sampling, the appeal window.
    qa: QaSettings = Field(default_factory=QaSettings)

    def for_functions(self, stage: str) -> dict[str, Any]:
        """What the functions are told about the deployment (the same keys as the file)."""
        return {
            "stage": stage,
            "mail": self.mail.model_dump(mode="json"),
            "groups": {gid: spec.model_dump(mode="json") for gid, spec in self.groups.items()},
            "default_group": self.default_group,
            "channels": {channel.value: target.model_dump(mode="json") for channel, target in self.channels.items()},
            "sla": self.sla.model_dump(mode="json"),
            "notifications": self.notifications.model_dump(mode="json"),
            "campaigns": [campaign.model_dump(mode="json") for campaign in self.campaigns],
            "surveys": self.surveys.model_dump(mode="json"),
            "kpis": self.kpis.model_dump(mode="json"),
            "knowledge": self.knowledge.model_dump(mode="json"),
            "access": self.access.model_dump(mode="json"),
            "routing": {**self.routing.model_dump(mode="json"), "default_group": self.default_group},
            "qa": self.qa.model_dump(mode="json"),
        }


def _raise_at(problems: list[tuple[tuple[int | str, ...], str]]) -> None:
    """Fail a field's validation with each problem at its own key under the field (`campaigns.1.group: …`)."""
    if problems:
        raise ValidationError.from_exception_data(
            "Deployment",
            [
                InitErrorDetails(
                    type=PydanticCustomError("value_error", message, {"error": message}), loc=loc, input=None
                )
                for loc, message in problems
            ],
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse(text: str, source: str) -> Deployment:
    """Validate a deployment file's text; `source` names it in error messages."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        return Deployment.model_validate(data)
    except ValidationError as err:
        raise ConfigError("\n".join(f"{source}: {_describe(e)}" for e in err.errors())) from None


def _describe(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "value_error":
        message = str(error["ctx"]["error"])
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{key}: {message}" if key else message


def load(stage: str, folder: Path = CONFIG) -> Deployment:
    """The validated configuration of `stage`, read from `<folder>/<stage>.yaml`."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,20}", stage):
        raise ConfigError(f"stage {stage!r}: use lower-case letters, digits and '-' (e.g. dev, prod)")
    path = folder / f"{stage}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise ConfigError(f"no deployment configuration for stage {stage!r}: {path} is missing (known: {known})")
    return parse(path.read_text(encoding="utf-8"), path.name)
