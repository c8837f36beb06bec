"""The deployment's `notifications` section (infra/config/<stage>.yaml, validated at synth with this model)."""

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kefu import deployment
from kefu.revisits.config import QuietHours


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: False: no customer is notified (the answers themselves still reach their channels).
    enabled: bool = True
    #: At most one notice per ticket in this many minutes; a later one waits until then, and only the newest of
    #: those waiting is sent (coalesced).
    min_interval_minutes: int = Field(default=15, ge=0, le=24 * 60)
    #: No notice in these hours, counted in the customer's time zone when they gave one, else in `timezone` here
    #: (the desk's); one falling in them is sent when they end.
    quiet_hours: QuietHours | None = None

    @property
    def min_interval(self) -> timedelta:
        return timedelta(minutes=self.min_interval_minutes)


def _settings(document: dict[str, Any]) -> NotificationSettings:
    return NotificationSettings.model_validate(document.get("notifications") or {})


#: The deployment's notification settings (the built-in ones when it has no `notifications`), read once per document.
notification_settings = deployment.prepared_per_document(_settings)
