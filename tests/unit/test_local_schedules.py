"""EventBridge Scheduler expressions: when a schedule fires next (kefu_local.schedules), table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu_local.schedules import InvalidExpression, Schedule, parse_expression, schedule_request


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "timezone", "after", "expected"),
    [
        # every day at noon; every quarter hour
        ("cron(0 12 * * ? *)", None, "2026-11-23T22:07", "2026-11-24T12:00"),
        ("cron(0/15 * * * ? *)", None, "2026-11-23T22:07", "2026-11-23T22:15"),
        ("cron(*/15 * * * ? *)", None, "2026-11-23T22:15", "2026-11-23T22:30"),
        ("cron(10-50/20 * * * ? *)", None, "2026-11-23T22:31", "2026-11-23T22:50"),
        ("cron(5,35 8,20 * * ? *)", None, "2026-11-23T08:35", "2026-11-23T20:05"),
        # weekdays by name and number (1 = Sunday): from Friday morning past nine to Monday nine
        ("cron(0 9 ? * MON-FRI *)", None, "2026-11-27T10:00", "2026-11-30T09:00"),
        ("cron(0 9 ? * 2-6 *)", None, "2026-11-27T10:00", "2026-11-30T09:00"),
        ("cron(0 9 ? * 1 *)", None, "2026-11-23T00:00", "2026-11-29T09:00"),
        # names in any case; a day-of-week range wraps over the weekend (the grammar campaign schedules are checked by)
        ("cron(0 9 ? * mon *)", None, "2026-11-24T00:00", "2026-11-30T09:00"),
        ("cron(0 9 ? * FRI-MON *)", None, "2026-11-24T10:00", "2026-11-27T09:00"),
        ("cron(0 9 ? * FRI-MON *)", None, "2026-11-28T10:00", "2026-11-29T09:00"),
        # months by name, a year list
        ("cron(0 0 1 JAN,JUL ? *)", None, "2026-11-23T00:00", "2027-01-01T00:00"),
        ("cron(0 0 1 1 ? 2030)", None, "2026-11-23T00:00", "2030-01-01T00:00"),
        ("cron(0 0 1 1 ? 2028-2029)", None, "2028-01-01T00:00", "2029-01-01T00:00"),
        # L: the last day of the month, February in a leap year
        ("cron(0 10 L * ? *)", None, "2026-11-23T00:00", "2026-11-30T10:00"),
        ("cron(0 10 L 2 ? *)", None, "2027-03-01T00:00", "2028-02-29T10:00"),
        # W: the weekday nearest a day, never across the month's edge
        ("cron(0 8 15W * ? *)", None, "2026-11-01T00:00", "2026-11-16T08:00"),  # the 15th is a Sunday
        ("cron(0 8 1W * ? *)", None, "2026-07-31T00:00", "2026-08-03T08:00"),  # the 1st is a Saturday
        ("cron(0 8 31W * ? *)", None, "2026-05-01T00:00", "2026-05-29T08:00"),  # the 31st is a Sunday
        ("cron(0 8 LW * ? *)", None, "2026-10-01T00:00", "2026-10-30T08:00"),  # the 31st is a Saturday
        # L and # in day-of-week: Saturday, the last Friday, the second Tuesday
        ("cron(0 10 ? * L *)", None, "2026-11-23T00:00", "2026-11-28T10:00"),
        ("cron(0 18 ? * 6L *)", None, "2026-11-01T00:00", "2026-11-27T18:00"),
        ("cron(0 18 ? * FRIL *)", None, "2026-11-28T00:00", "2026-12-25T18:00"),
        ("cron(0 10 ? * 3#2 *)", None, "2026-12-01T00:00", "2026-12-08T10:00"),
        ("cron(0 10 ? * TUE#2 *)", None, "2026-12-08T10:00", "2027-01-12T10:00"),
        # wall-clock time in the schedule's time zone, also across daylight-saving changes
        ("cron(0 12 * * ? *)", "Asia/Shanghai", "2026-11-23T00:00", "2026-11-23T04:00"),
        ("cron(0 9 * * ? *)", "America/New_York", "2027-03-13T15:00", "2027-03-14T13:00"),
        ("cron(30 2 * * ? *)", "America/New_York", "2027-03-14T00:00", "2027-03-14T07:30"),  # 02:30 is skipped
        ("cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:30", "2026-11-02T06:30"),  # 01:30 once
        # once, at a wall time
        ("at(2026-12-01T09:00:00)", "Europe/Berlin", "2026-11-23T00:00", "2026-12-01T08:00"),
        ("at(2026-12-01T09:00:00)", None, "2026-12-01T09:00", None),
        ("cron(0 0 1 1 ? 2030)", None, "2030-01-01T00:00", None),
    ],
)
def test_the_next_fire_time_is_the_first_occurrence_strictly_after(expression, timezone, after, expected):
    fire = parse_expression(expression, timezone).next_after(utc(after))

    assert fire == (utc(expected) if expected else None)


@pytest.mark.parametrize(
    ("expression", "anchor", "after", "expected"),
    [
        ("rate(5 minutes)", "2026-11-23T22:00", "2026-11-23T22:07", "2026-11-23T22:10"),
        ("rate(5 minutes)", "2026-11-23T22:00", "2026-11-23T22:10", "2026-11-23T22:15"),
        ("rate(1 hour)", "2026-11-23T22:00", "2026-11-23T21:00", "2026-11-23T22:00"),
        ("rate(2 days)", "2026-11-23T06:00", "2026-11-24T00:00", "2026-11-25T06:00"),
    ],
)
def test_a_rate_fires_every_period_from_its_anchor(expression, anchor, after, expected):
    assert parse_expression(expression).next_after(utc(after), utc(anchor)) == utc(expected)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 12 * * * *)",  # both day fields given
        "cron(0 12 ? * ? *)",  # neither
        "cron(0 12 * * ?)",  # five fields
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 ? * 3#6 *)",
        "cron(0 12 ? * MON-FOO *)",
        "cron(0 12 10-5 * ? *)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "at(2026-12-01 09:00)",
        "every(5 minutes)",
    ],
)
def test_an_expression_eventbridge_scheduler_refuses_is_refused(expression):
    with pytest.raises(InvalidExpression):
        parse_expression(expression)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(InvalidExpression):
        parse_expression("cron(0 12 * * ? *)", "Mars/Olympus_Mons")


def schedule(expression: str, **fields) -> Schedule:
    described = {
        "Arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/revisits",
        "Name": "revisits",
        "ScheduleExpression": expression,
        "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:revisits", "RoleArn": "arn:aws:iam::1:role/r"},
        **fields,
    }
    return Schedule.from_api(described)


def test_a_schedule_fires_no_earlier_than_its_start_date():
    daily = schedule("cron(0 12 * * ? *)", StartDate=utc("2026-12-01T00:00"))

    assert daily.next_fire(utc("2026-11-23T00:00")) == utc("2026-12-01T12:00")


def test_a_schedule_fires_no_later_than_its_end_date():
    daily = schedule("cron(0 12 * * ? *)", EndDate=utc("2026-11-24T13:00"))

    assert daily.next_fire(utc("2026-11-23T13:00")) == utc("2026-11-24T12:00")
    assert daily.next_fire(utc("2026-11-24T12:00")) is None


def test_a_rate_without_a_start_date_counts_from_when_it_was_first_seen():
    hourly = schedule("rate(1 hour)")
    hourly.seen = utc("2026-11-23T22:07")

    assert hourly.next_fire(utc("2026-11-23T22:30")) == utc("2026-11-23T23:07")


def test_a_disabled_schedule_and_a_delete_after_completion_are_read_from_the_api():
    once = schedule("at(2026-12-01T09:00:00)", State="DISABLED", ActionAfterCompletion="DELETE")

    assert not once.enabled
    assert once.delete_after_completion


def test_a_templates_start_date_in_the_past_becomes_now_as_create_schedule_requires():
    props = {
        "ScheduleExpression": "rate(1 day)",
        "StartDate": "2020-01-01T00:00:00.000Z",
        "EndDate": "2099-01-01T00:00:00Z",
        "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::1:role/r"},
        "GroupName": "kefu-dev",
    }

    request = schedule_request(props, "campaign")

    assert datetime.now(UTC) - request["StartDate"] < timedelta(seconds=5)
    assert request["EndDate"] == utc("2099-01-01T00:00")
    assert request["GroupName"] == "kefu-dev"
    assert request["FlexibleTimeWindow"] == {"Mode": "OFF"}
