"""The capabilities' routes, included in the resolver on the first request that needs them.

Each capability's routes live in a module of their own beside handler.py (a Powertools Router). Importing one
imports its domain (pynamodb models, pydantic models, the generic pages its `responses=` document, compiled
patterns): included at import, they were most of the function's init, though a request for a ticket never needs
them. So the handler includes a module's Router before resolving the first request whose path it serves (`OWNERS`),
and every one of them before anything reads the whole route table (the OpenAPI document, `declared_routes()`).

A Router included late answers exactly as one included at import:
- Powertools matches a request by walking its static, then its dynamic routes on every resolve; nothing is cached
  from one resolve to the next but each route's own middleware stack, built on its first call from the app's
  middlewares, which including a Router that has none leaves as they are.
- The routers add no middlewares, exception handlers or context of their own: the app's (problems, strict_types,
  validation, the not-found handler) serve their routes as they serve the core ones.
- A module's patterns cover every path its routes match, and match no path a route of another module or of the
  handler itself can match: so no request that a module's route answers is resolved before the module is included,
  and the order modules are included in cannot change which route answers.
tests/unit/test_api_routers.py checks the last two against the routers' real routes.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable
from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

#: Route module → the paths it serves, as patterns of path segments: `*` stands for any one segment, and a pattern
#: covers every path that starts with its segments (`/customers` covers `/customers/CUST-1/tickets`).
OWNERS: dict[str, tuple[str, ...]] = {
    # First the survey and agent routes, which were the handler's own until they moved here: their routes come right
    # after the ticket routes in `declared_routes()` and the document's operations, as they always did (the cost and
    # bad-input tests send every route's request in that order to one desk).
    "survey_routes": ("/surveys", "/tickets/*/revisit"),
    "agent_routes": ("/groups", "/agents"),
    "attachment_routes": ("/tickets/attachments/limits", "/tickets/attachments/uploads", "/tickets/*/attachments"),
    "customer_routes": ("/customers", "/me", "/audit"),
    "knowledge_routes": ("/kb", "/replies", "/tickets/*/suggestions", "/tickets/*/self-service"),
    "kpi_routes": ("/reports", "/tickets/*/work"),
    "qa_routes": ("/qa",),
    "rating_routes": ("/tickets/*/rating",),
}


def segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def covers(pattern: str, path: str) -> bool:
    """Whether `path` (a request's) starts with the segments of `pattern`."""
    return _covered(_wanted(pattern), segments(path))


@cache
def _wanted(pattern: str) -> tuple[str, ...]:
    return tuple(segments(pattern))  # the patterns are OWNERS' few constants


def _covered(wanted: tuple[str, ...], given: list[str]) -> bool:
    if len(given) < len(wanted):
        return False
    for w, g in zip(wanted, given, strict=False):  # noqa: SIM110 (cheaper than all() over a generator)
        if w != "*" and w != g:
            return False
    return True


def serving(path: str, owners: dict[str, tuple[str, ...]] = OWNERS) -> list[str]:
    """The route modules among `owners` whose patterns cover `path` (asked at every request while some module is not
    included yet: the path is split once, each pattern once per process)."""
    given = segments(path)
    return [name for name, patterns in owners.items() if any(_covered(_wanted(p), given) for p in patterns)]


#: Paths remembered as served by no pending module (a few bytes each).
_NONE_PENDING_KEPT = 1024


class LazyRouters:
    """Includes the Router of each module in `owners` in `app`, on the first request for one of its paths."""

    def __init__(self, app: APIGatewayHttpResolver, owners: dict[str, tuple[str, ...]] = OWNERS) -> None:
        self._app = app
        self._pending = dict(owners)
        # Paths no pending module serves. The pending modules only ever get fewer, so such a path stays one: a warm
        # function that never needs some module is asked the same few paths (POST /tickets, GET /tickets) again and
        # again, and each was matched against every pattern of every pending module at each request.
        self._none_pending: set[str] = set()
        # Concurrent first requests (threads of the local stack, the tests' races) include a module once.
        self._lock = threading.Lock()

    def include_for(self, path: str) -> None:
        """Include the modules that serve `path` (the request's, as the resolver matches it)."""
        if not self._pending or path in self._none_pending:
            return
        names = serving(path, dict(self._pending))
        if names:
            self._include(names)
            return
        if len(self._none_pending) >= _NONE_PENDING_KEPT:
            self._none_pending.clear()  # paths with ids in them (GET /tickets/{id}) would otherwise pile up
        self._none_pending.add(path)

    def include_all(self) -> None:
        """Include every module: for what reads all routes."""
        if self._pending:
            self._include(list(self._pending))

    def _include(self, names: Iterable[str]) -> None:
        for name in names:
            with self._lock:
                # Still pending once the lock is held: no other thread included it meanwhile. Taken off the list
                # only once included, so a concurrent request for its paths waits here rather than resolving first.
                if name in self._pending:
                    self._app.include_router(importlib.import_module(name).router)
                    del self._pending[name]
