"""Each local invocation logs as it would in its own Lambda.

In Lambda every function has its own process, so the keys its Powertools Logger carries (`function_name`,
`function_request_id`, `correlation_id`, whatever the code appended) are its own. Locally every function shares
this process and one Logger per service: without this, an inbound-mail line would carry the escalation watcher's
`function_name`, an API error a campaign's id. Here the formatter's keys live per thread, and every invocation
starts from the keys the Logger had when it was made (service, level, location…), as a fresh Lambda would.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_state = threading.local()
#: Keys Powertools adds for an invocation (inject_lambda_context, correlation ids): never part of a Logger's initial
#: keys, even when the formatter is isolated after some invocation already ran in this process.
_INVOCATION_KEYS = frozenset(
    {
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
    }
)


class _PerInvocationKeys:
    """`log_format` of a formatter, kept per thread and started afresh at each invocation (a data descriptor, so it
    wins over the attribute Powertools assigns on the instance)."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        keys = getattr(_state, "keys", None)
        if keys is None:
            keys = _state.keys = {}
        if id(formatter) not in keys:
            keys[id(formatter)] = dict(formatter.__dict__["_kefu_initial_keys"])
        return keys[id(formatter)]

    def __set__(self, formatter: Any, value: dict[str, Any]) -> None:
        keys = getattr(_state, "keys", None)
        if keys is None:
            keys = _state.keys = {}
        keys[id(formatter)] = value


def _formatters() -> list[LambdaPowertoolsFormatter]:
    found = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler.formatter, LambdaPowertoolsFormatter):
                found.append(handler.formatter)
    return found


def isolate() -> None:
    """Give every Powertools formatter made so far per-thread keys (idempotent; call after loading functions)."""
    for formatter in _formatters():
        cls = type(formatter)
        if not getattr(cls, "_kefu_per_invocation", False):
            isolated = type(cls.__name__, (cls,), {"log_format": _PerInvocationKeys(), "_kefu_per_invocation": True})
            configured = formatter.__dict__.get("log_format", {})
            initial = {key: value for key, value in configured.items() if key not in _INVOCATION_KEYS}
            formatter.__dict__["_kefu_initial_keys"] = initial
            formatter.__class__ = isolated


def new_invocation() -> None:
    """This thread's next log lines start from each Logger's initial keys, as a fresh Lambda's would."""
    isolate()
    _state.keys = {}
