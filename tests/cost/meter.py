"""Counting what kefu does inside a local stack running in this process (kefu_local.stack.LocalStack): every function
invocation with its duration, every AWS call by whom it was made, the DynamoDB units of every write and read, the
Step Functions executions started.

- Invocations: `LocalFunction.__call__` (how the gateway, the pollers, the stream readers and Step Functions' tasks
  all run a function locally) is wrapped while metering: each invocation's CPU time (its thread's: what other
  threads and the machine's other load do is not in it), its AWS calls and its wall time.
- AWS calls: a botocore handler on every client (registered before any client exists, as tests/conftest.py's is),
  so the calls of pynamodb, Powertools and boto3 alike are seen. Calls from the driving thread (the scenario's
  client side, and the checks it makes) are not counted; neither are empty long polls of the local SQS pollers
  (Lambda's pollers cost the same whatever the traffic) nor the Lambda Invoke calls Step Functions makes (the
  invocation is counted).
- Units: a CapacityMeter (tests/integration/capacity.py) per thread, fed by the same handlers, with the domain
  table's GSIs as the synthesized template declares them; each item changed on the domain table is also one change
  on the table's Kinesis stream (its change data capture units, its KB).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.handlers

from tests.cost.bill import Invocation, Usage
from tests.integration.capacity import KB, CapacityMeter, Index, Units, _snapshot, _units


class _ChangeCountingMeter(CapacityMeter):
    """A CapacityMeter that also counts the domain table's item changes as Kinesis Data Streams records."""

    def __init__(self, table: str, indexes: list[Index]) -> None:
        super().__init__(table, indexes)
        self.cdc_units = 0
        self.change_kb = 0

    def after(self, model: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        for table, key, kind, _times, old in self._before:
            if table != self.table or kind == "ConditionCheck":
                continue
            new = _snapshot(self._item(table, key))
            if new.values != old.values:
                size = _units(max(old.size, new.size), KB)
                self.cdc_units += size
                self.change_kb += size
        super().after(model, parsed, **kwargs)


def billed_units(service: str, operation: str, params: dict[str, Any]) -> int:
    """How many billed units one call is: entries for the calls billed per entry, recipients for a mail sent."""
    if (service, operation) == ("events", "PutEvents"):
        return len(params.get("Entries", []))
    if (service, operation) == ("sns", "PublishBatch"):
        return len(params.get("PublishBatchRequestEntries", []))
    if service in ("ses", "sesv2") and operation in ("SendEmail", "SendRawEmail"):
        destination = params.get("Destination", {})
        recipients = sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
        return recipients or len(params.get("Destinations", [])) or 1
    return 1


@dataclass
class Phase:
    """What one stretch of the run used."""

    invocations: list[Invocation] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)
    #: (function or thread, service, operation) → calls, to read who made what.
    callers: Counter = field(default_factory=Counter)
    units: Units = field(default_factory=Units)
    #: function (or thread) → the DynamoDB write units of its calls, to read who wrote what.
    writes_by: Counter = field(default_factory=Counter)
    #: function (or thread) → the read units, change capture units and change KB of its DynamoDB calls, and
    #: (function or thread, service, operation) → billed units of its calls: what prices each one's share
    #: (tests/cost/bill.py `Share`).
    reads_by: Counter = field(default_factory=Counter)
    cdc_by: Counter = field(default_factory=Counter)
    kb_by: Counter = field(default_factory=Counter)
    billed_by: Counter = field(default_factory=Counter)
    cdc_units: int = 0
    change_kb: int = 0

    def shares(self, usage: Usage, api_function: str) -> dict[str, Usage]:
        """`usage` (this phase's, whole) split by who used it: each function's invocations, calls, units and table
        changes; what ran outside any function (the local stack's queue pollers, scheduler and event delivery, on
        their own threads, and what the run added itself) as one share; the state transitions and the mail received
        on their own. Priced one by one, the shares add up to the whole (tests/cost/test_cost_table.py checks it)."""
        functions = {i.function for i in self.invocations}
        outside = "outside the functions"

        def share_of(who: str) -> str:
            return who if who in functions else outside

        calls: dict[str, Counter] = {}
        for (who, service, operation), units in self.billed_by.items():
            calls.setdefault(share_of(who), Counter())[(service, operation)] += units
        made = sum(calls.values(), Counter())
        # What the run added to the whole itself (a campaign's schedule fired by hand: tests/cost/desk.py revisit).
        calls.setdefault(outside, Counter()).update(
            {call: units - made[call] for call, units in usage.calls.items() if units != made[call]}
        )
        amounts: dict[str, Counter] = {}
        for name, by in (
            ("writes", self.writes_by),
            ("reads", self.reads_by),
            ("cdc", self.cdc_by),
            ("kb", self.kb_by),
        ):
            for who, amount in by.items():
                amounts.setdefault(share_of(who), Counter())[name] += amount
        shares = {
            name: Usage(
                tickets=usage.tickets,
                invocations=[i for i in self.invocations if i.function == name],
                api_requests=usage.api_requests if name == api_function else 0,
                calls=calls.get(name, Counter()),
                write_units=amounts.get(name, Counter())["writes"],
                read_units=amounts.get(name, Counter())["reads"],
                cdc_units=amounts.get(name, Counter())["cdc"],
                change_kb=amounts.get(name, Counter())["kb"],
                stream_readers=usage.stream_readers,
            )
            for name in sorted(functions | set(calls) | set(amounts))
        }
        if usage.transitions:
            shares["Step Functions executions"] = Usage(tickets=usage.tickets, transitions=usage.transitions)
        if usage.mails_received:
            shares["mail received (SES)"] = Usage(
                tickets=usage.tickets,
                mails_received=usage.mails_received,
                mail_bytes_received=usage.mail_bytes_received,
            )
        return shares


class Meter:
    """Counts while `metering()`; reads and resets with `take()`."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._meters: list[_ChangeCountingMeter] = []
        self.table: str | None = None
        self.indexes: list[Index] = []
        self.memory: dict[str, int] = {}
        self.phase = Phase()
        self.running = 0
        self.last_ended = time.monotonic()
        self.active = False

    # --- botocore ----------------------------------------------------------------------------------------------

    def _counted(self) -> bool:
        return self.active and threading.current_thread() is not threading.main_thread()

    def before_call(self, model: Any, params: Any, **_: Any) -> None:
        if not self._counted() or not isinstance(params, dict):
            return
        service, operation = model.service_model.service_name, model.name
        if service == "dynamodb":
            self._thread_meter().before(model, params)
        self._local.pending = (service, operation, billed_units(service, operation, params))

    def after_call(self, model: Any, parsed: Any, **_: Any) -> None:
        pending = getattr(self._local, "pending", None)
        if not self._counted() or pending is None:
            return
        self._local.pending = None
        service, operation, units = pending
        who = getattr(self._local, "function", None)
        whom = who or threading.current_thread().name
        if service == "dynamodb":
            meter = self._thread_meter()
            written, read, captured, kb = meter.units.writes, meter.units.reads, meter.cdc_units, meter.change_kb
            meter.after(model, parsed if isinstance(parsed, dict) else {})
            with self._lock:
                self.phase.writes_by[whom] += meter.units.writes - written
                self.phase.reads_by[whom] += meter.units.reads - read
                self.phase.cdc_by[whom] += meter.cdc_units - captured
                self.phase.kb_by[whom] += meter.change_kb - kb
        if (service, operation) == ("sqs", "ReceiveMessage") and not (parsed or {}).get("Messages"):
            return  # an empty long poll: the pollers' standing cost, not the traffic's
        if who is not None:
            self._local.calls = getattr(self._local, "calls", 0) + 1
        if service == "lambda" and who is None:
            return  # Step Functions' Invoke of a task: counted as the invocation
        with self._lock:
            self.phase.calls[(service, operation)] += units
            self.phase.callers[(whom, service, operation)] += 1
            self.phase.billed_by[(whom, service, operation)] += units

    def _thread_meter(self) -> _ChangeCountingMeter:
        meter = getattr(self._local, "meter", None)
        if meter is None:
            meter = _ChangeCountingMeter(self.table or "", self.indexes)
            self._local.meter = meter
            with self._lock:
                self._meters.append(meter)
        return meter

    # --- functions ---------------------------------------------------------------------------------------------

    @contextmanager
    def metering(self, table: str, indexes: list[Index], memory: dict[str, int]) -> Iterator[Meter]:
        """Count from now until the block ends: every LocalFunction call timed, every call and unit counted."""
        from kefu_local.runtime import LocalFunction

        self.table, self.indexes, self.memory = table, indexes, memory
        original = LocalFunction.__call__
        meter = self

        def timed(function: Any, event: dict[str, Any]) -> Any:
            outer = getattr(meter._local, "function", None)
            outer_calls = getattr(meter._local, "calls", 0)
            meter._local.function, meter._local.calls = function.name, 0
            with meter._lock:
                meter.running += 1
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                return original(function, event)
            finally:
                cpu, wall = time.thread_time() - cpu_started, time.perf_counter() - started
                calls = meter._local.calls
                with meter._lock:
                    meter.running -= 1
                    meter.last_ended = time.monotonic()
                    memory_mb = meter.memory.get(function.name, function.memory_mb)
                    meter.phase.invocations.append(Invocation(function.name, memory_mb, cpu, calls, wall))
                meter._local.function, meter._local.calls = outer, outer_calls

        LocalFunction.__call__ = timed  # type: ignore[method-assign]
        self.active = True
        try:
            yield self
        finally:
            self.active = False
            LocalFunction.__call__ = original  # type: ignore[method-assign]

    def idle_for(self) -> float:
        """Seconds since the last invocation ended (0 while one runs)."""
        with self._lock:
            return 0.0 if self.running else time.monotonic() - self.last_ended

    def take(self) -> Phase:
        """What was counted since the last take, and a fresh count from now."""
        with self._lock:
            phase, self.phase = self.phase, Phase()
            for meter in self._meters:
                phase.units.counted.update(meter.units.counted)
                phase.cdc_units += meter.cdc_units
                phase.change_kb += meter.change_kb
                meter.units = Units()
                meter.cdc_units = meter.change_kb = 0
        return phase


METER = Meter()
# Registered before any client exists (this module is imported when the tests are collected), so every client of
# the run reports to it.
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", METER.before_call))
botocore.handlers.BUILTIN_HANDLERS.append(("after-call", METER.after_call))
