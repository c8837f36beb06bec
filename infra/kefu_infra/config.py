"""Deployment configuration: one version-controlled YAML file per stage, validated when the app is synthesized.

A bad file stops the synth with one line per problem, each naming the key (`dev.yaml: mail.recipients.0: …`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from kefu.agents.model import GroupId, GroupSpec
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


class Mail(_Strict):
    """Inbound e-mail: the domain SES receives for and the addresses that become tickets."""

    domain: DomainName
    recipients: list[Email] = Field(min_length=1)

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


class Alarms(_Strict):
    email: Email


class Deployment(_Strict):
    """One stage's deployment configuration (`infra/config/<stage>.yaml`)."""

    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    account: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    logs: Logs
    api: Api
    mail: Mail
    alarms: Alarms
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

    def for_functions(self, stage: str) -> dict[str, Any]:
        """What the functions are told about the deployment (the same keys as the file)."""
        return {
            "stage": stage,
            "mail": self.mail.model_dump(mode="json"),
            "groups": {gid: spec.model_dump(mode="json") for gid, spec in self.groups.items()},
            "default_group": self.default_group,
        }


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
