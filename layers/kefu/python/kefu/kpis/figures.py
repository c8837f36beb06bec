"""The KPI fields of a report row, from the counters of the aggregates it covers (kefu.kpis.counters).

Every row and the totals have the same fields: `created`, `resolved`, `backlog` (with `backlogByAge`),
`firstResponse` and `resolution` (`count`, `meanSeconds`, `p50Seconds`, `p90Seconds`, `withinTargetRate`,
`businessMeanSeconds`), `handleTime` (`count`, `meanSeconds`), `fcrRate`, `reopenRate`, `slaBreachRate`
(`firstResponse`, `resolution`), `escalations` (`count`, `byLevel`), `complaints` (`count`, `share`,
`closedWithin48hRate`), `csat` (`responses`, `mean`, `satisfiedRate`), `nps` (`responses`, `score`), `deflections`
(`count`, `ticketsResolved`, `withoutTicket`), `revisitCoverage` (`due`, `revisited`, `rate`). Rates are 0..1
(4 decimals), means in seconds (1 decimal); a rate or mean over nothing is null. Percentiles are nearest-rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kefu.kpis.counters import AGE_BUCKETS

_AGE_LABELS = {"b0": "0d", "b1": "1-2d", "b3": "3-6d", "b7": "7d+"}


def summed(counters: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counters:
        for name, value in one.items():
            total[name] = total.get(name, 0) + value
    return total


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def mean(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    count = sum(histogram.values())
    if not count:
        return None
    rank = max(1, math.ceil(share * count))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None  # unreachable: the ranks add up to count


def _duration(c: Mapping[str, int], prefix: str) -> dict[str, Any]:
    histogram = {
        int(name.split(":", 1)[1]): value for name, value in c.items() if name.startswith(f"{prefix}H:") and value
    }
    count = c.get(f"{prefix}N", 0)
    return {
        "count": count,
        "meanSeconds": mean(c.get(f"{prefix}S", 0), count),
        "p50Seconds": percentile(histogram, 0.5),
        "p90Seconds": percentile(histogram, 0.9),
        "withinTargetRate": rate(c.get(f"{prefix}W", 0), count),
        "businessMeanSeconds": mean(c.get(f"{prefix}B", 0), count),
    }


def figures(c: Mapping[str, int], backlog: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The row's fields from its summed counters, and its backlog by age bucket when the row has one."""
    created, resolved = c.get("created", 0), c.get("resolved", 0)
    by_level = {
        name.removeprefix("esc:L"): value for name, value in sorted(c.items()) if name.startswith("esc:L") and value
    }
    complaints = c.get("cmp", 0)
    npsn = c.get("npsN", 0)
    return {
        "created": created,
        "resolved": resolved,
        "backlog": sum(backlog.values()) if backlog is not None else None,
        "backlogByAge": (
            {_AGE_LABELS[f"b{b}"]: backlog.get(f"b{b}", 0) for b in AGE_BUCKETS} if backlog is not None else None
        ),
        "firstResponse": _duration(c, "frt"),
        "resolution": _duration(c, "res"),
        "handleTime": {"count": c.get("ahtN", 0), "meanSeconds": mean(c.get("ahtS", 0), c.get("ahtN", 0))},
        "fcrRate": rate(c.get("fcr", 0), resolved),
        "reopenRate": rate(c.get("reopened", 0), resolved),
        "slaBreachRate": {
            "firstResponse": rate(c.get("frBreach", 0), created),
            "resolution": rate(c.get("resBreach", 0), resolved),
        },
        "escalations": {"count": c.get("esc", 0), "byLevel": by_level},
        "complaints": {
            "count": complaints,
            "share": rate(complaints, created),
            "closedWithin48hRate": rate(c.get("cmp48", 0), complaints),
        },
        "csat": {
            "responses": c.get("csatN", 0),
            "mean": round(c["csatS"] / c["csatN"], 2) if c.get("csatN") else None,
            "satisfiedRate": rate(c.get("csatSat", 0), c.get("csatN", 0)),
        },
        "nps": {
            "responses": npsn,
            "score": round(100 * (c.get("npsP", 0) - c.get("npsD", 0)) / npsn, 1) if npsn else None,
        },
        "deflections": {
            "count": c.get("deflT", 0) + c.get("deflF", 0),
            "ticketsResolved": c.get("deflT", 0),
            "withoutTicket": c.get("deflF", 0),
        },
        "revisitCoverage": {
            "due": c.get("revDue", 0),
            "revisited": c.get("revDone", 0),
            "rate": rate(c.get("revDone", 0), c.get("revDue", 0)),
        },
    }


def csv_text(report: Mapping[str, Any]) -> str:
    """The report as CSV: one line per row and a last `total` line, nested fields as dotted columns."""
    import csv
    import io

    lines = [{"key": row["key"], **_flat(row)} for row in report["rows"]]
    lines.append({"key": "total", **_flat(report["totals"])})
    columns = list(dict.fromkeys(name for line in lines for name in line))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(lines)
    return out.getvalue()


def _flat(fields: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "key" and not prefix:
            continue
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = "" if value is None else value
    return flat
