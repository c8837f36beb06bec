"""Time in one place, so tests can hold it still and the local stack can make it run faster.

`KEFU_TIME_SCALE=N` (N > 1) with `KEFU_TIME_ORIGIN=<epoch seconds>` (the local stack sets both) makes `now()` a
virtual clock: `origin + (real now - origin) × N`, so a 48-hour SLA passes in 48 × 3600 / N real seconds. Unset (as
in AWS), `now()` is the real time and costs one environment lookup more. The parsed values are kept until the
variables' text changes (or `reset()` is called).
"""

import os
import time
from datetime import UTC, datetime

SCALE_VAR = "KEFU_TIME_SCALE"
ORIGIN_VAR = "KEFU_TIME_ORIGIN"

#: (the KEFU_TIME_SCALE and KEFU_TIME_ORIGIN texts they were parsed from, scale, origin); None until first needed.
_parsed: tuple[str, str, float, float] | None = None


def reset() -> None:
    """Forget the parsed time scale: the next call reads KEFU_TIME_SCALE and KEFU_TIME_ORIGIN again."""
    global _parsed
    _parsed = None


def _scale_and_origin(raw: str) -> tuple[float, float]:
    global _parsed
    origin_raw = os.environ.get(ORIGIN_VAR, "").strip()
    if _parsed is not None and _parsed[0] == raw and _parsed[1] == origin_raw:
        return _parsed[2], _parsed[3]
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"{SCALE_VAR} must be a number greater than or equal to 1, got {raw!r}") from None
    if not scale >= 1:
        raise ValueError(f"{SCALE_VAR} must be a number greater than or equal to 1, got {raw!r}")
    if scale == 1 or not origin_raw:
        scale, origin = 1.0, 0.0
    else:
        try:
            origin = float(origin_raw)
        except ValueError:
            raise ValueError(f"{ORIGIN_VAR} must be epoch seconds, got {origin_raw!r}") from None
    _parsed = (raw, origin_raw, scale, origin)
    return scale, origin


def scale() -> float:
    """How many times faster than real time the clock runs (1 unless KEFU_TIME_SCALE and KEFU_TIME_ORIGIN are set)."""
    raw = os.environ.get(SCALE_VAR)
    return _scale_and_origin(raw)[0] if raw else 1.0


def _virtual(real: float, raw: str) -> float:
    factor, origin = _scale_and_origin(raw)
    return real if factor == 1 else origin + (real - origin) * factor


def epoch_seconds() -> float:
    """The clock's current time as seconds since the epoch (virtual when a time scale is set)."""
    raw = os.environ.get(SCALE_VAR)
    return _virtual(time.time(), raw) if raw else time.time()


def real_seconds(virtual_seconds: float) -> float:
    """How long `virtual_seconds` of the clock's time last in real time."""
    return virtual_seconds / scale()


def now() -> datetime:
    """The current time at the millisecond, the precision it is stored with."""
    raw = os.environ.get(SCALE_VAR)
    moment = datetime.fromtimestamp(_virtual(time.time(), raw), UTC) if raw else datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z; sorts as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
