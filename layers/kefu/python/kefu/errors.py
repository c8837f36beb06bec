"""Domain errors. Handlers map each kind to one HTTP status in one place."""

from typing import Any


class KefuError(Exception):
    """Base class of every error the domain raises on purpose."""


class NotFound(KefuError):
    """The thing asked for does not exist (or the caller may not know that it exists)."""


class TicketNotFound(NotFound):
    def __init__(self, ticket_id: str):
        super().__init__(f"ticket {ticket_id} does not exist")
        self.ticket_id = ticket_id


class AgentNotFound(NotFound):
    def __init__(self, agent_id: str):
        super().__init__(f"agent {agent_id} does not exist")


class GroupNotFound(NotFound):
    def __init__(self, group_id: str):
        super().__init__(f"group {group_id} does not exist")


class Unauthenticated(KefuError):
    """No verified identity came with the request."""


class Forbidden(KefuError):
    """The caller is known but may not do this."""


class Conflict(KefuError):
    """The request contradicts the current state (lifecycle, capacity, ownership)."""


class InvalidTransition(Conflict):
    def __init__(self, current: str, target: str):
        super().__init__(f"a ticket cannot go from {current} to {target}")
        self.current = current
        self.target = target


class StaleVersion(KefuError):
    """The caller's version (If-Match) is not the current one (HTTP 412)."""


class InvalidRequest(KefuError):
    """The request is well-formed but its content is not acceptable (HTTP 422)."""


class BadRequest(KefuError):
    """The request's parameters contradict each other or are out of range (HTTP 400)."""


class PreconditionRequired(KefuError):
    """A write that needs If-Match came without it (HTTP 428)."""


class BadCursor(BadRequest):
    """A pagination cursor that kefu did not issue for this listing."""


class SurveyNotFound(NotFound):
    """A survey link kefu did not issue as it is (forged, altered, cut short): which part failed is not said."""

    def __init__(self) -> None:
        super().__init__("there is no such survey")


class SurveyExpired(Forbidden):
    """A genuine survey link past its expiry (HTTP 403)."""

    def __init__(self, expired_at):
        super().__init__(f"this survey link expired on {expired_at.strftime('%Y-%m-%d %H:%M')} UTC")
        self.expired_at = expired_at


class SurveyAlreadyAnswered(Conflict):
    """A survey is answered once (HTTP 409)."""

    def __init__(self, answered_at=None):
        when = f" on {answered_at.strftime('%Y-%m-%d %H:%M')} UTC" if answered_at else ""
        super().__init__(f"this survey was already answered{when}; thank you")
        self.answered_at = answered_at


class RevisitedWithinCycle(Conflict):
    """The customer was revisited within their tier's revisit cycle: a campaign does not reach them again yet."""


class Moved(KefuError):
    """The resource lives on under another id (a customer record merged into another): HTTP 301, the new place in
    `Location` and in the problem's `location`."""

    def __init__(self, detail: str, *, location: str, **extra: str):
        super().__init__(detail)
        self.location = location
        self.extra = extra


class Gone(KefuError):
    """The resource existed and was removed on purpose (a customer record erased): HTTP 410, with what is left to
    know about it (`extra`, e.g. the erasure's status)."""

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.extra: dict[str, Any] = extra
