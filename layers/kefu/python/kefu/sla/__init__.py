"""SLAs: business calendars, policies and the clock of each ticket, with its escalation milestones.

Pure: no AWS and no I/O besides reading the deployment document once (kefu.deployment).
"""

from kefu.sla.calendar import ALWAYS_OPEN, BusinessCalendar, Shift, add_business_time, business_time_between, is_open
from kefu.sla.clock import (
    CalendarLookup,
    ClockTarget,
    Milestone,
    SlaClock,
    breaches,
    calendar_as_of,
    milestones,
    next_milestone,
    pause,
    record_first_response,
    record_resolution,
    reopen,
    resume,
    start,
)
from kefu.sla.config import SlaConfig, sla_config
from kefu.sla.policy import (
    TWENTY_FOUR_SEVEN,
    Action,
    EscalationStep,
    MilestoneKind,
    Policy,
    PolicyMatch,
    Target,
    format_duration,
    parse_duration,
)

__all__ = [
    "ALWAYS_OPEN",
    "TWENTY_FOUR_SEVEN",
    "Action",
    "BusinessCalendar",
    "CalendarLookup",
    "ClockTarget",
    "EscalationStep",
    "Milestone",
    "MilestoneKind",
    "Policy",
    "PolicyMatch",
    "Shift",
    "SlaClock",
    "SlaConfig",
    "Target",
    "add_business_time",
    "breaches",
    "business_time_between",
    "calendar_as_of",
    "format_duration",
    "is_open",
    "milestones",
    "next_milestone",
    "parse_duration",
    "pause",
    "record_first_response",
    "record_resolution",
    "reopen",
    "resume",
    "sla_config",
    "start",
]
