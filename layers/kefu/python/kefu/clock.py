"""Time in one place, so tests can hold it still and the local stack can make it run faster.

`KEFU_TIME_SCALE=N` (N > 1) with `KEFU_TIME_ORIGIN=<epoch seconds>` (the local stack sets both) makes `now()` a
virtual clock: `origin + (real now - origin) × N`, so a 48-hour SLA passes in 48 × 3600 / N real seconds. Unset (as
in AWS), `now()` is the real time. Both are settings (`kefu.config`), read once: whoever changes them calls
`reset()`.

`hold(moment)` makes `now()` answer `moment` until `release()`, in every module however and whenever it imported
`now` (the local stack's demo month writes a month of tickets at their own moments with it).
"""

import time
from datetime import UTC, datetime

from kefu.config import reload_settings, settings


def reset() -> None:
    """Read KEFU_TIME_SCALE and KEFU_TIME_ORIGIN again (with the other settings) on the next call."""
    reload_settings()


def scale() -> float:
    """How many times faster than real time the clock runs (1 unless KEFU_TIME_SCALE and KEFU_TIME_ORIGIN are set)."""
    virtual = settings().virtual_clock
    return virtual[0] if virtual else 1.0


def _virtual(real: float, virtual: tuple[float, float]) -> float:
    scale, origin = virtual
    return origin + (real - origin) * scale


def epoch_seconds() -> float:
    """The clock's current time as seconds since the epoch (virtual when a time scale is set)."""
    virtual = settings().virtual_clock
    return time.time() if virtual is None else _virtual(time.time(), virtual)


def real_seconds(virtual_seconds: float) -> float:
    """How long `virtual_seconds` of the clock's time last in real time."""
    return virtual_seconds / scale()


#: The moment `now()` answers while the clock is held (`hold`); empty otherwise.
_held: list[datetime] = []


def hold(moment: datetime) -> None:
    """`now()` answers `moment` from now on, until `release()` (or another `hold`)."""
    _held[:] = [moment]


def release() -> None:
    """`now()` is the clock again."""
    _held.clear()


def now() -> datetime:
    """The current time at the millisecond, the precision it is stored with (the held moment while held)."""
    if _held:
        return _held[0]
    virtual = settings().virtual_clock
    moment = datetime.now(UTC) if virtual is None else datetime.fromtimestamp(_virtual(time.time(), virtual), UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


#: The text of the UTC moments written lately (kept up to _ISO_KEPT, then begun again): a ticket's opening writes
#: its moment seven times or more (its keys, its times, its clock and SLA view) and `isoformat` costs ~2 µs each.
_ISO: dict[datetime, str] = {}
_ISO_KEPT = 256


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z; sorts as text in time order."""
    # isoformat, not strftime: every key and stored time goes through here, and it is half strftime's cost.
    if moment.tzinfo is not UTC:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    # Kept only for UTC moments: two equal ones are the same instant, with the same text. (Moments of a zone with
    # daylight saving can be equal across its fold, and naive ones are read in the process's own zone.)
    text = _ISO.get(moment)
    if text is None:
        if len(_ISO) >= _ISO_KEPT:
            _ISO.clear()
        text = _ISO[moment] = moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    return text
