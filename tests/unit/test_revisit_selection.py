"""Which resolved tickets a campaign revisits, and when it may: table-driven, pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority, Sla, Status, Ticket
from kefu.revisits.config import Campaign, QuietHours
from kefu.revisits.quiet import in_quiet_hours, next_allowed_send
from kefu.revisits.selection import is_eligible, window

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def campaign(**select: Any) -> Campaign:
    cycle = select.pop("cycle_days", {})
    days = select.pop("days", (2, 7))
    return Campaign.model_validate(
        {
            "id": "csat",
            "schedule": {"cron": "0 11 * * ? *", "timezone": "Asia/Shanghai"},
            "select": {"resolved_days_ago": {"min": days[0], "max": days[1]}, **select},
            "method": "email_survey",
            "cycle_days": cycle,
        }
    )


def ticket(
    *,
    resolved: timedelta | None = 3 * DAY,
    status: Status = Status.RESOLVED,
    category: Category | None = Category.ORDER,
    tier: Tier = Tier.STANDARD,
    channel: Channel = Channel.WEB,
    tags: list[str] | None = None,
) -> Ticket:
    return Ticket(
        id="TK-7F3K9Q2M",
        subject="Parcel late",
        description="Order 1042",
        status=status,
        category=category,
        priority=Priority.P3,
        channel=channel,
        customerId="CU-1",
        customerTier=tier,
        tags=tags or [],
        sla=Sla(resolvedAt=NOW - resolved if resolved is not None else None),
        createdAt=NOW - 20 * DAY,
        updatedAt=NOW - 2 * DAY,
        version=3,
    )


@dataclass(frozen=True)
class Case:
    name: str
    ticket: Ticket
    expected: str  # "" when eligible, else the rule that refuses it
    campaign: Campaign = field(default_factory=campaign)
    last_revisited: timedelta | None = None  # how long ago the customer was last revisited


CASES = [
    Case("resolved three days ago, never revisited", ticket(), ""),
    # days since resolution, both ends included
    Case("resolved exactly two days ago (the minimum)", ticket(resolved=2 * DAY), ""),
    Case("resolved a second short of two days ago", ticket(resolved=2 * DAY - SECOND), "age"),
    Case("resolved exactly seven days ago (the maximum)", ticket(resolved=7 * DAY), ""),
    Case("resolved a second over seven days ago", ticket(resolved=7 * DAY + SECOND), "age"),
    Case("resolved an hour ago in a same-day campaign", ticket(resolved=timedelta(hours=1)), "", campaign(days=(0, 1))),
    # status
    Case("reopened since its resolution", ticket(status=Status.OPEN), "status"),
    Case("resolved without a resolution time", ticket(resolved=None), "status"),
    Case("closed after its resolution", ticket(status=Status.CLOSED), ""),
    Case("a phone-revisit task itself", ticket(tags=["revisit"], channel=Channel.PHONE), "revisit_task"),
    # category
    Case("a payment ticket, payments selected", ticket(category=Category.PAYMENT), "",
         campaign(categories=["payment"])),
    Case("a logistics ticket, payments and orders selected", ticket(category=Category.LOGISTICS), "category",
         campaign(categories=["payment", "order"])),
    Case("a ticket without a category, categories selected", ticket(category=None), "category",
         campaign(categories=["order"])),
    # tier
    Case("a VIP's ticket, VIPs selected", ticket(tier=Tier.VIP), "", campaign(tiers=["vip"])),
    Case("a standard customer's ticket, VIPs and high-value selected", ticket(), "tier",
         campaign(tiers=["vip", "high_value"])),
    # complaint or not
    Case("a complaint, complaints only", ticket(category=Category.COMPLAINT), "", campaign(complaint=True)),
    Case("an order problem, complaints only", ticket(), "complaint", campaign(complaint=True)),
    Case("a complaint, no complaints", ticket(category=Category.COMPLAINT), "complaint", campaign(complaint=False)),
    Case("an order problem, no complaints", ticket(), "", campaign(complaint=False)),
    # channel
    Case("a phone contact, web and e-mail selected", ticket(channel=Channel.PHONE), "channel",
         campaign(channels=["web", "email"])),
    Case("an e-mail contact, e-mail selected", ticket(channel=Channel.EMAIL), "", campaign(channels=["email"])),
    # the revisit cycle per customer tier (defaults: vip 30, high_value 60, standard 90 days)
    Case("standard, revisited 89 days ago", ticket(), "cycle", last_revisited=89 * DAY),
    Case("standard, revisited exactly 90 days ago", ticket(), "", last_revisited=90 * DAY),
    Case("VIP, revisited 29 days ago", ticket(tier=Tier.VIP), "cycle", last_revisited=29 * DAY),
    Case("VIP, revisited exactly 30 days ago", ticket(tier=Tier.VIP), "", last_revisited=30 * DAY),
    Case("high-value, revisited 59 days ago", ticket(tier=Tier.HIGH_VALUE), "cycle", last_revisited=59 * DAY),
    Case("high-value, revisited 60 days ago", ticket(tier=Tier.HIGH_VALUE), "", last_revisited=60 * DAY),
    Case("standard with a 7-day cycle, revisited 8 days ago", ticket(), "", campaign(cycle_days={"standard": 7}),
         last_revisited=8 * DAY),
    Case("VIP with a 45-day cycle, revisited 40 days ago", ticket(tier=Tier.VIP), "cycle",
         campaign(cycle_days={"vip": 45}), last_revisited=40 * DAY),
    Case("revisited an hour ago", ticket(), "cycle", last_revisited=timedelta(hours=1)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_campaign_selects_a_ticket_or_names_the_rule_that_refuses_it(case: Case):
    # Given a ticket, its customer's last revisit and a campaign, when checked at NOW, then eligible or the rule why not
    last = NOW - case.last_revisited if case.last_revisited is not None else None
    eligible, reason = is_eligible(case.ticket, last, case.campaign, NOW)
    assert (eligible, reason.split(":", 1)[0]) == (case.expected == "", case.expected), reason
    assert eligible or len(reason) > len(case.expected) + 2, "the reason says more than the rule's name"


def test_the_cycle_reason_says_when_the_customer_was_revisited_and_which_cycle_applies():
    _, reason = is_eligible(ticket(tier=Tier.VIP), NOW - 10 * DAY, campaign(), NOW)
    assert reason == "cycle: revisited on 2026-02-28, within the 30-day cycle of vip customers"


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [
        ((2, 7), NOW - 7 * DAY, NOW - 2 * DAY),
        ((0, 1), NOW - DAY, NOW),
        ((3, 3), NOW - 3 * DAY, NOW - 3 * DAY),
    ],
    ids=["2-7 days", "0-1 day", "exactly 3 days"],
)
def test_the_window_runs_from_max_days_ago_to_min_days_ago(days, start, end):
    assert window(campaign(days=days), NOW) == (start, end)


# --- quiet hours ---------------------------------------------------------------------------------------------

SHANGHAI_NIGHT = QuietHours(start="21:00", end="09:00", timezone="Asia/Shanghai")  # UTC+8, no DST
PARIS_LUNCH = QuietHours(start="12:00", end="13:30", timezone="Europe/Paris")
PARIS_NIGHT = QuietHours(start="21:00", end="09:00", timezone="Europe/Paris")
NEW_YORK_NIGHT = QuietHours(start="22:00", end="07:00", timezone="America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


QUIET = [
    ("no quiet hours", None, "2026-03-10T15:00", "2026-03-10T15:00"),
    ("14:00 in Shanghai, outside", SHANGHAI_NIGHT, "2026-03-10T06:00", "2026-03-10T06:00"),
    ("22:30 in Shanghai waits for 09:00 the next day", SHANGHAI_NIGHT, "2026-03-10T14:30", "2026-03-11T01:00"),
    ("02:00 in Shanghai waits for 09:00 the same day", SHANGHAI_NIGHT, "2026-03-09T18:00", "2026-03-10T01:00"),
    ("21:00 in Shanghai is quiet already", SHANGHAI_NIGHT, "2026-03-10T13:00", "2026-03-11T01:00"),
    ("08:59 in Shanghai waits a minute", SHANGHAI_NIGHT, "2026-03-10T00:59", "2026-03-10T01:00"),
    ("09:00 in Shanghai is allowed", SHANGHAI_NIGHT, "2026-03-10T01:00", "2026-03-10T01:00"),
    ("20:59 in Shanghai is allowed", SHANGHAI_NIGHT, "2026-03-10T12:59", "2026-03-10T12:59"),
    ("12:15 in Paris waits for 13:30 (a daytime break)", PARIS_LUNCH, "2026-03-10T11:15", "2026-03-10T12:30"),
    ("13:30 in Paris is allowed", PARIS_LUNCH, "2026-03-10T12:30", "2026-03-10T12:30"),
    # Paris moves to summer time at 02:00 on 2026-03-29: 09:00 that morning is 07:00 UTC, not 08:00.
    ("22:00 in Paris before the spring change", PARIS_NIGHT, "2026-03-28T21:00", "2026-03-29T07:00"),
    # New York falls back at 02:00 on 2026-11-01: 07:00 that morning is 12:00 UTC, not 11:00.
    ("23:00 in New York before the autumn change", NEW_YORK_NIGHT, "2026-11-01T03:00", "2026-11-01T12:00"),
]


@pytest.mark.parametrize(("name", "quiet", "now", "allowed"), QUIET, ids=[case[0] for case in QUIET])
def test_a_send_in_quiet_hours_waits_until_they_end(name, quiet, now, allowed):
    # Given quiet hours and a moment, when the next allowed send is asked, then the moment itself or their end (UTC)
    assert next_allowed_send(utc(now), quiet) == utc(allowed)
    assert in_quiet_hours(utc(now), quiet) is (now != allowed)
