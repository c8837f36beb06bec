"""The desk's months (yyyy-mm in the desk's time zone, `kpis.time_zone`): what QA samples, covers and scores by."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta

from kefu.errors import BadRequest
from kefu.kpis.service import desk_zone


def desk_month(moment: datetime) -> str:
    """The desk month an instant falls in."""
    return moment.astimezone(desk_zone()).strftime("%Y-%m")


def month_before(moment: datetime) -> str:
    """The desk month before the one `moment` falls in: the month a run scheduled at `moment` samples."""
    local = moment.astimezone(desk_zone())
    return (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first and last instant of a desk month (yyyy-mm); BadRequest for anything else."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first_day = date(year, number, 1)
    except ValueError:
        raise BadRequest(f"{month!r} is not a month written yyyy-mm") from None
    last_day = first_day.replace(day=monthrange(year, number)[1])
    zone = desk_zone()
    return datetime.combine(first_day, time(0), tzinfo=zone), datetime.combine(last_day, time.max, tzinfo=zone)
