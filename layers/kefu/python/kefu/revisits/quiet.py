"""Quiet hours: when a campaign may not reach a customer, and the first moment it may again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kefu.revisits.config import QuietHours


def in_quiet_hours(moment: datetime, quiet_hours: QuietHours | None) -> bool:
    if quiet_hours is None:
        return False
    local = moment.astimezone(ZoneInfo(quiet_hours.timezone)).time().replace(tzinfo=None)
    start, end = quiet_hours.start_time, quiet_hours.end_time
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def next_allowed_send(now: datetime, quiet_hours: QuietHours | None) -> datetime:
    """`now` outside quiet hours; otherwise the moment they end (UTC), which may be the next local day."""
    if not in_quiet_hours(now, quiet_hours):
        return now
    assert quiet_hours is not None
    zone = ZoneInfo(quiet_hours.timezone)
    local = now.astimezone(zone)
    end = quiet_hours.end_time
    day = local.date() if local.time().replace(tzinfo=None) < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
