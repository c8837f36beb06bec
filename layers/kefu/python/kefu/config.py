"""kefu's settings: one typed object, read from the environment once, on first use (never at import time).

Every environment variable kefu reads is named here, and only here: the CDK app (`infra/kefu_infra`) imports these
names to set them on the functions, the local stack (`infra/kefu_local`) to set them in its process, and the domain
reads them through `settings()`. The values are validated as a pydantic model, the way Powertools' environment
modeler (aws-lambda-env-modeler) does it: `Settings.model_validate` over the variables, cached. pydantic-settings
would do the same and more (dotenv files, secrets directories, a command line), but importing it costs 15-20 ms
of every cold start (it loads its CLI and dotenv sources) for features kefu does not use.

Settings are read once per process. Whatever changes the environment afterwards (the local stack when it starts,
a test) calls `reload_settings()`; the test suite does it on every `monkeypatch.setenv` (tests/conftest.py).
"""

import math
import os
from functools import cache

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

# --- the names: set by the CDK app (kefu_infra) on the functions that need them ------------------------------------

STAGE_VAR = "KEFU_STAGE"
TABLE_VAR = "KEFU_TABLE"
IDEMPOTENCY_TABLE_VAR = "KEFU_IDEMPOTENCY_TABLE"
DEFAULT_GROUP_VAR = "KEFU_DEFAULT_GROUP"
#: The deployment's configuration document (a layer: /opt/kefu-deployment.json), read by `kefu.deployment`.
DEPLOYMENT_FILE_VAR = "KEFU_DEPLOYMENT_FILE"
#: The secret that signs survey links (kefu.surveys.tokens).
SURVEY_SECRET_ARN_VAR = "KEFU_SURVEY_SECRET_ARN"
#: Where the intake function sends a message it cannot take, with the reason (functions/intake).
INTAKE_DEAD_LETTER_URL_VAR = "KEFU_INTAKE_DLQ_URL"
#: The SNS topic escalation notifications are published to.
ESCALATION_TOPIC_VAR = "KEFU_ESCALATION_TOPIC_ARN"
#: A ticket clock's wakes are one-time EventBridge Scheduler schedules (kefu.escalation.wakes): created in this
#: schedule group, invoking the escalation task function with this role, and sending what they could not deliver to
#: this dead-letter queue (an ARN).
ESCALATION_SCHEDULE_GROUP_VAR = "KEFU_ESCALATION_SCHEDULE_GROUP"
ESCALATION_SCHEDULER_ROLE_VAR = "KEFU_ESCALATION_SCHEDULER_ROLE_ARN"
ESCALATION_DEAD_LETTERS_VAR = "KEFU_ESCALATION_DLQ_ARN"
#: The escalation task function the stream watcher's schedules invoke (the task names itself from its context).
ESCALATION_FUNCTION_VAR = "KEFU_ESCALATION_FUNCTION_ARN"
#: The bucket a revisit campaign run keeps its selected batches in (kefu.revisits.campaigns).
REVISIT_BUCKET_VAR = "KEFU_REVISIT_BUCKET"
#: The HTTP API's public base URL; survey links are `<it>/surveys/<token>`.
PUBLIC_API_URL_VAR = "KEFU_PUBLIC_API_URL"
#: Where SES stores received mail, and where kefu keeps attachments (kefu.email).
RAW_MAIL_BUCKET_VAR = "KEFU_RAW_MAIL_BUCKET"
ATTACHMENTS_BUCKET_VAR = "KEFU_ATTACHMENTS_BUCKET"
#: The knowledge base's bucket, where the published search index is kept (kefu.knowledge.published).
KB_BUCKET_VAR = "KEFU_KB_BUCKET"
#: How often (seconds) an API function asks whether a newer search index was published; 30 by default.
KB_REFRESH_VAR = "KEFU_KB_REFRESH_SECONDS"
#: The privacy jobs' state machine (customer erasure and export), started by the API (kefu.customers.jobs).
PRIVACY_STATE_MACHINE_VAR = "KEFU_PRIVACY_STATE_MACHINE_ARN"
#: kefu's EventBridge bus, where the outbound dispatcher puts answers for the contact channels (kefu.channels).
EVENT_BUS_VAR = "KEFU_EVENT_BUS"
#: The queue the notifications function consumes (kefu.notifications): a notice deferred by quiet hours or the rate
#: limit comes back on it at its time, by a one-time EventBridge Scheduler schedule that this role lets send to it.
NOTICES_QUEUE_ARN_VAR = "KEFU_NOTICES_QUEUE_ARN"
NOTICES_SCHEDULER_ROLE_VAR = "KEFU_NOTICES_SCHEDULER_ROLE_ARN"

# --- set by the local stack (kefu_local) or an operator, never by the deployment -----------------------------------

#: `KEFU_TIME_SCALE=N` (N > 1) with `KEFU_TIME_ORIGIN=<epoch seconds>` makes `kefu.clock` a virtual clock.
TIME_SCALE_VAR = "KEFU_TIME_SCALE"
TIME_ORIGIN_VAR = "KEFU_TIME_ORIGIN"
#: botocore reads these itself; pynamodb needs the DynamoDB endpoint given explicitly.
DYNAMODB_ENDPOINT_VAR = "AWS_ENDPOINT_URL_DYNAMODB"
ENDPOINT_VAR = "AWS_ENDPOINT_URL"
#: Lambda sets AWS_REGION; AWS_DEFAULT_REGION is what the SDKs read elsewhere.
REGION_VAR = "AWS_REGION"
DEFAULT_REGION_VAR = "AWS_DEFAULT_REGION"
#: Where a browser reaches the attachments bucket, when not at S3's own address (the local stack's web app serves
#: the local S3 endpoint on its own origin); pre-signed upload and download links are given this address.
ATTACHMENTS_PUBLIC_URL_VAR = "KEFU_ATTACHMENTS_PUBLIC_URL"
# Tuning, with defaults that suit every deployment so far.
MAX_BODY_BYTES_VAR = "KEFU_MAX_BODY_BYTES"
DEFAULT_PAGE_SIZE_VAR = "KEFU_DEFAULT_PAGE_SIZE"
MAX_PAGE_SIZE_VAR = "KEFU_MAX_PAGE_SIZE"
IDEMPOTENCY_TTL_VAR = "KEFU_IDEMPOTENCY_TTL_SECONDS"
REOPEN_WINDOW_DAYS_VAR = "KEFU_REOPEN_WINDOW_DAYS"


class InvalidSettings(ValueError):
    """An environment variable kefu reads has a value it cannot use; the message names the variable."""


class Settings(BaseModel):
    # Built on first validation, not at import: the functions' init does not pay for it.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    table_name: str = Field("kefu", validation_alias=TABLE_VAR)
    idempotency_table_name: str = Field("kefu-idempotency", validation_alias=IDEMPOTENCY_TABLE_VAR)
    region: str = Field("us-east-1", validation_alias=AliasChoices(REGION_VAR, DEFAULT_REGION_VAR))
    #: Requests with a larger body are refused with 413 (API Gateway itself allows 10 MB).
    max_body_bytes: int = Field(256 * 1024, ge=1, validation_alias=MAX_BODY_BYTES_VAR)
    default_page_size: int = Field(25, ge=1, validation_alias=DEFAULT_PAGE_SIZE_VAR)
    max_page_size: int = Field(100, ge=1, validation_alias=MAX_PAGE_SIZE_VAR)
    #: How long an Idempotency-Key is remembered.
    idempotency_ttl_seconds: int = Field(24 * 3600, ge=1, validation_alias=IDEMPOTENCY_TTL_VAR)
    default_group: str = Field("l1", validation_alias=DEFAULT_GROUP_VAR)
    #: A customer's reply within this many days of resolution reopens the ticket.
    reopen_window_days: int = Field(7, ge=0, validation_alias=REOPEN_WINDOW_DAYS_VAR)
    stage: str = Field("dev", validation_alias=STAGE_VAR)
    deployment_file: str | None = Field(None, validation_alias=DEPLOYMENT_FILE_VAR)
    escalation_topic_arn: str | None = Field(None, validation_alias=ESCALATION_TOPIC_VAR)
    escalation_schedule_group: str | None = Field(None, validation_alias=ESCALATION_SCHEDULE_GROUP_VAR)
    escalation_scheduler_role_arn: str | None = Field(None, validation_alias=ESCALATION_SCHEDULER_ROLE_VAR)
    escalation_dead_letters_arn: str | None = Field(None, validation_alias=ESCALATION_DEAD_LETTERS_VAR)
    escalation_function_arn: str | None = Field(None, validation_alias=ESCALATION_FUNCTION_VAR)
    survey_secret_arn: str | None = Field(None, validation_alias=SURVEY_SECRET_ARN_VAR)
    intake_dead_letter_url: str | None = Field(None, validation_alias=INTAKE_DEAD_LETTER_URL_VAR)
    revisit_bucket: str | None = Field(None, validation_alias=REVISIT_BUCKET_VAR)
    public_api_url: str | None = Field(None, validation_alias=PUBLIC_API_URL_VAR)
    raw_mail_bucket: str | None = Field(None, validation_alias=RAW_MAIL_BUCKET_VAR)
    attachments_bucket: str | None = Field(None, validation_alias=ATTACHMENTS_BUCKET_VAR)
    attachments_public_url: str | None = Field(None, validation_alias=ATTACHMENTS_PUBLIC_URL_VAR)
    event_bus: str | None = Field(None, validation_alias=EVENT_BUS_VAR)
    privacy_state_machine_arn: str | None = Field(None, validation_alias=PRIVACY_STATE_MACHINE_VAR)
    kb_bucket: str | None = Field(None, validation_alias=KB_BUCKET_VAR)
    notices_queue_arn: str | None = Field(None, validation_alias=NOTICES_QUEUE_ARN_VAR)
    notices_scheduler_role_arn: str | None = Field(None, validation_alias=NOTICES_SCHEDULER_ROLE_VAR)
    kb_refresh_seconds: float = Field(30.0, ge=0, allow_inf_nan=False, validation_alias=KB_REFRESH_VAR)
    #: The DynamoDB endpoint when it is not AWS's (moto, the local stack).
    dynamodb_endpoint: str | None = Field(None, validation_alias=AliasChoices(DYNAMODB_ENDPOINT_VAR, ENDPOINT_VAR))
    time_scale: float = Field(1.0, validation_alias=TIME_SCALE_VAR)
    time_origin: float | None = Field(None, validation_alias=TIME_ORIGIN_VAR)

    @field_validator("time_scale")
    @classmethod
    def _at_least_real_time(cls, scale: float) -> float:
        if not scale >= 1 or math.isinf(scale):
            raise ValueError("must be a number greater than or equal to 1")
        return scale

    @field_validator("time_origin")
    @classmethod
    def _finite(cls, origin: float | None) -> float | None:
        if origin is not None and not math.isfinite(origin):
            raise ValueError("must be epoch seconds")
        return origin

    @property
    def virtual_clock(self) -> tuple[float, float] | None:
        """(scale, origin) when the clock runs faster than real time; None for real time (as in AWS)."""
        if self.time_scale == 1 or self.time_origin is None:
            return None
        return self.time_scale, self.time_origin


def variable_names() -> tuple[str, ...]:
    """Every environment variable the settings read."""
    names: list[str] = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.extend(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names.append(alias)
    return tuple(dict.fromkeys(names))


@cache
def settings() -> Settings:
    """The settings, read from the environment on the first call and kept."""
    # A variable set to blanks counts as unset, as it always has for kefu's deployments and the local stack.
    present = {name: value for name in variable_names() if (value := os.environ.get(name, "").strip())}
    try:
        return Settings.model_validate(present)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg'].removeprefix('Value error, ')}, got {error['input']!r}"
            for error in err.errors()
        )
        raise InvalidSettings(problems) from None


def reload_settings() -> None:
    """Forget the settings: the next `settings()` reads the environment again (the local stack and tests change
    it)."""
    settings.cache_clear()


def required(value: str | None, name: str) -> str:
    """`value`, a setting a function needs and its deployment gives it; RuntimeError naming the variable if unset."""
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (the deployment sets it)")
    return value
