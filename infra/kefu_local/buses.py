"""kefu's own EventBridge buses, locally: what a function puts on one reaches the targets of the templates' rules
for that bus, and is written to the events log that `kefu events tail` reads.

moto keeps the buses (the template's `AWS::Events::EventBus`, created by kefu_local.resources) and answers
PutEvents, but its rules are not the templates': `install(bus, log)` wraps moto's PutEvents so that each event
it accepts for a bus the templates' rules name is handed, as EventBridge shapes it, to `kefu_local.events.EventBus`
(whose rules, patterns and target delivery are the ones S3's events already go through), and appended as one JSON
line to `log`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kefu import clock
from kefu_local.events import EventBus

#: The events log, in the local stack's state folder.
EVENTS_LOG = "events.jsonl"

_lock = threading.Lock()
_installed: dict[str, Any] = {}


def install(bus: EventBus, log: Path) -> None:
    """Deliver what is put on the rules' buses through `bus` and log it to `log` (replacing an earlier install)."""
    from moto.events.models import EventsBackend

    with _lock:
        _installed["bus"], _installed["log"] = bus, log
        if "original" in _installed:
            return
        original = EventsBackend.__dict__["put_events"]
        _installed["original"] = original
        EventsBackend.put_events = _delivering(original)


def uninstall() -> None:
    from moto.events.models import EventsBackend

    with _lock:
        original = _installed.pop("original", None)
        if original is not None:
            EventsBackend.put_events = original
        _installed.clear()


def _delivering(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = original(self, events)
        bus: EventBus | None = _installed.get("bus")
        if bus is None:
            return entries
        buses = {rule.bus for rule in bus.rules}
        for request, entry in zip(events, entries, strict=True):
            name = str(request.get("EventBusName") or "default").rsplit("/", 1)[-1]
            if "EventId" in entry and name in buses:
                event = as_delivered(request, entry["EventId"], account=self.account_id, region=self.region_name)
                _log(event, name)
                bus.put(event, name)
        return entries

    return put_events


def as_delivered(request: dict[str, Any], event_id: str, *, account: str, region: str) -> dict[str, Any]:
    """The event EventBridge hands a rule's targets for one PutEvents entry."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": request["DetailType"],
        "source": request["Source"],
        "account": account,
        "time": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(request.get("Resources") or []),
        "detail": json.loads(request["Detail"]),
    }


def _log(event: dict[str, Any], bus: str) -> None:
    log: Path | None = _installed.get("log")
    if log is None:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with _lock, log.open("a", encoding="utf-8") as file:
        file.write(json.dumps({"bus": bus, "event": event}, ensure_ascii=False) + "\n")


def read_log(
    log: Path, *, follow: bool = False, poll_seconds: float = 0.5, stop: threading.Event | None = None
) -> Iterator[dict]:
    """The logged events in order, as {"bus", "event"}; with `follow`, then each new one as it is written, until
    `stop` is set."""
    import time

    position = 0
    while True:
        if log.exists():
            with log.open(encoding="utf-8") as file:
                file.seek(position)
                for line in iter(file.readline, ""):
                    if not line.endswith("\n"):
                        break  # being written: read it whole next time
                    position = file.tell()
                    yield json.loads(line)
        if not follow or (stop is not None and stop.is_set()):
            return
        time.sleep(poll_seconds)
