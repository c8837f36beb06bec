"""Typed settings, read from the environment on first use (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

#: Where the deployment tells the functions about the escalation state machine and its notification topic.
ESCALATION_STATE_MACHINE_VAR = "KEFU_ESCALATION_STATE_MACHINE_ARN"
ESCALATION_TOPIC_VAR = "KEFU_ESCALATION_TOPIC_ARN"


@dataclass(frozen=True)
class Settings:
    table_name: str = "kefu"
    idempotency_table_name: str = "kefu-idempotency"
    region: str = "us-east-1"
    #: Requests with a larger body are refused with 413 (API Gateway itself allows 10 MB).
    max_body_bytes: int = 256 * 1024
    default_page_size: int = 25
    max_page_size: int = 100
    #: How long an Idempotency-Key is remembered.
    idempotency_ttl_seconds: int = 24 * 3600
    default_group: str = "l1"
    #: A customer's reply within this many days of resolution reopens the ticket.
    reopen_window_days: int = 7
    stage: str = "dev"
    #: The SLA escalation state machine, whose executions the stream watcher starts and stops (kefu.escalation).
    escalation_state_machine_arn: str | None = None
    #: The SNS topic escalation notifications are published to.
    escalation_topic_arn: str | None = None


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from err


@cache
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("KEFU_TABLE", Settings.table_name),
        idempotency_table_name=env.get("KEFU_IDEMPOTENCY_TABLE", Settings.idempotency_table_name),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or Settings.region,
        max_body_bytes=_int("KEFU_MAX_BODY_BYTES", Settings.max_body_bytes),
        default_page_size=_int("KEFU_DEFAULT_PAGE_SIZE", Settings.default_page_size),
        max_page_size=_int("KEFU_MAX_PAGE_SIZE", Settings.max_page_size),
        idempotency_ttl_seconds=_int("KEFU_IDEMPOTENCY_TTL_SECONDS", Settings.idempotency_ttl_seconds),
        default_group=env.get("KEFU_DEFAULT_GROUP", Settings.default_group),
        reopen_window_days=_int("KEFU_REOPEN_WINDOW_DAYS", Settings.reopen_window_days),
        stage=env.get("KEFU_STAGE", Settings.stage),
        escalation_state_machine_arn=env.get(ESCALATION_STATE_MACHINE_VAR) or None,
        escalation_topic_arn=env.get(ESCALATION_TOPIC_VAR) or None,
    )


def reload_settings() -> Settings:
    """Forget the cached settings (tests and the local stack change the environment)."""
    settings.cache_clear()
    return settings()
