"""`kefu report`: the service KPIs of a period as one self-contained HTML file (inline SVG charts, no script, no CDN),
fetched from `GET /reports/kpis` of any kefu API (the local stack's, or a deployed one) with a bearer token.

The charts: daily volume and backlog; first response (mean, p50, p90) and its on-time share; arrivals by hour and
weekday (a heatmap, from one `by=hour` report per day); SLA breaches and escalations by group; complaints closed
within 48 hours; CSAT and NPS by day; self-service deflections and revisit coverage by day; and a table per agent.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_W, _H, _PAD = 640, 200, 36


class ReportError(Exception):
    """The API refused a request (its problem's detail), or could not be reached."""


@dataclass
class Fetched:
    daily: dict[str, Any]
    by_group: dict[str, Any]
    by_agent: dict[str, Any]
    #: (weekday, hour) → tickets opened.
    arrivals: dict[tuple[str, str], int] = field(default_factory=dict)


def fetch(
    api: str, token: str, start: date, end: date, *, progress: Callable[[int, int], None] = lambda done, total: None
) -> Fetched:
    """Every report the page needs; `progress(done, total)` after each request."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    total = 3 + len(days)
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def get(**query: str) -> dict[str, Any]:
        try:
            answer = session.get(f"{api.rstrip('/')}/reports/kpis?{urlencode(query)}", timeout=30)
        except requests.RequestException as err:
            raise ReportError(f"{api} could not be reached: {err}") from None
        if answer.status_code != 200:
            try:
                detail = answer.json().get("detail", answer.text)
            except ValueError:
                detail = answer.text
            raise ReportError(f"{answer.status_code}: {detail}")
        return answer.json()

    period = {"from": start.isoformat(), "to": end.isoformat()}
    fetched = Fetched(get(**period, by="day"), {}, {})
    progress(1, total)
    fetched.by_group = get(**period, by="group")
    progress(2, total)
    fetched.by_agent = get(**period, by="agent")
    progress(3, total)
    for n, day in enumerate(days, start=4):
        for row in get(**{"from": day.isoformat(), "to": day.isoformat()}, by="hour")["rows"]:
            key = (WEEKDAYS[day.weekday()], row["key"])
            fetched.arrivals[key] = fetched.arrivals.get(key, 0) + row["created"]
        progress(n, total)
    return fetched


# --- charts: plain SVG ----------------------------------------------------------------------------------------


def _scale(values: Iterable[float | None]) -> float:
    top = max((v for v in values if v is not None), default=0)
    return top or 1


def bars_and_lines(
    labels: Sequence[str],
    bars: dict[str, Sequence[float | None]],
    lines: dict[str, Sequence[float | None]] | None = None,
    *,
    unit: str = "",
) -> str:
    """Grouped bars (left) and lines (same scale), one x slot per label."""
    lines = lines or {}
    top = _scale([*(v for s in bars.values() for v in s), *(v for s in lines.values() for v in s)])
    slot = (_W - 2 * _PAD) / max(1, len(labels))
    colours = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2")
    parts = [_axes(top, unit)]
    width = slot * 0.8 / max(1, len(bars))
    for index, (name, values) in enumerate(bars.items()):
        for n, value in enumerate(values):
            if value:
                height = value / top * (_H - 2 * _PAD)
                x = _PAD + n * slot + slot * 0.1 + index * width
                parts.append(
                    f'<rect x="{x:.1f}" y="{_H - _PAD - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                    f'fill="{colours[index % 5]}"><title>{html.escape(labels[n])} {html.escape(name)}: {value:g}'
                    "</title></rect>"
                )
    for index, values in enumerate(lines.values(), start=len(bars)):
        points = [
            f"{_PAD + n * slot + slot / 2:.1f},{_H - _PAD - v / top * (_H - 2 * _PAD):.1f}"
            for n, v in enumerate(values)
            if v is not None
        ]
        if points:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colours[index % 5]}" stroke-width="2"/>'
            )
    parts.extend(_x_labels(labels, slot))
    names = [*bars, *lines]
    legend = " ".join(f'<tspan fill="{colours[i % 5]}">■ {html.escape(name)}</tspan>' for i, name in enumerate(names))
    parts.append(f'<text x="{_PAD}" y="14" font-size="12">{legend}</text>')
    return f'<svg viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img">{"".join(parts)}</svg>'


def _axes(top: float, unit: str) -> str:
    return (
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#999"/>'
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#999"/>'
        f'<text x="2" y="{_PAD}" font-size="10">{top:g}{html.escape(unit)}</text>'
        f'<text x="2" y="{_H - _PAD}" font-size="10">0</text>'
    )


def _x_labels(labels: Sequence[str], slot: float) -> list[str]:
    every = max(1, len(labels) // 12)
    return [
        f'<text x="{_PAD + n * slot + slot / 2:.1f}" y="{_H - _PAD + 14}" font-size="10" text-anchor="middle">'
        f"{html.escape(label[-5:])}</text>"
        for n, label in enumerate(labels)
        if n % every == 0
    ]


def heatmap(arrivals: dict[tuple[str, str], int]) -> str:
    """Weekday rows × hour columns, darker where more tickets arrived."""
    top = max(arrivals.values(), default=0) or 1
    cell, left, head = 24, 40, 20
    parts = []
    for hour in range(24):
        parts.append(
            f'<text x="{left + hour * cell + 12}" y="14" font-size="10" text-anchor="middle">{hour:02d}</text>'
        )
    for row, weekday in enumerate(WEEKDAYS):
        y = head + row * cell
        parts.append(f'<text x="2" y="{y + 16}" font-size="11">{weekday}</text>')
        for hour in range(24):
            count = arrivals.get((weekday, f"{hour:02d}"), 0)
            shade = 0.08 + 0.92 * count / top if count else 0.03
            parts.append(
                f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="#4e79a7" fill-opacity="{shade:.2f}"><title>{weekday} {hour:02d}h: {count}</title></rect>'
            )
    width, height = left + 24 * cell, head + 7 * cell
    return f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'


# --- the page -------------------------------------------------------------------------------------------------


def _series(rows: Sequence[dict[str, Any]], *path: str) -> list[float | None]:
    values = []
    for row in rows:
        value: Any = row
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        values.append(value)
    return values


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


def render(fetched: Fetched) -> str:
    daily = fetched.daily
    rows, totals, period = daily["rows"], daily["totals"], daily["period"]
    days = [row["key"] for row in rows]
    group_rows = fetched.by_group["rows"]
    groups = [row["key"] for row in group_rows]
    sections = [
        (
            "Daily volume and backlog",
            bars_and_lines(
                days,
                {"created": _series(rows, "created"), "resolved": _series(rows, "resolved")},
                {"backlog": _series(rows, "backlog")},
            ),
        ),
        (
            "First response (seconds): mean, p50, p90",
            bars_and_lines(
                days,
                {},
                {
                    "mean": _series(rows, "firstResponse", "meanSeconds"),
                    "p50": _series(rows, "firstResponse", "p50Seconds"),
                    "p90": _series(rows, "firstResponse", "p90Seconds"),
                },
                unit=" s",
            ),
        ),
        (
            "First response on time (share)",
            bars_and_lines(days, {"within target": _series(rows, "firstResponse", "withinTargetRate")}),
        ),
        ("Arrivals by weekday and hour (peaks)", heatmap(fetched.arrivals)),
        (
            "SLA breach rates and escalations by group",
            bars_and_lines(
                groups,
                {
                    "first response breached": _series(group_rows, "slaBreachRate", "firstResponse"),
                    "resolution breached": _series(group_rows, "slaBreachRate", "resolution"),
                },
            )
            + bars_and_lines(groups, {"escalations": _series(group_rows, "escalations", "count")}),
        ),
        (
            "Complaints closed within 48 h (share)",
            bars_and_lines(
                days,
                {"closed within 48 h": _series(rows, "complaints", "closedWithin48hRate")},
            ),
        ),
        (
            "CSAT (mean, 1-5) and NPS",
            bars_and_lines(days, {"CSAT": _series(rows, "csat", "mean")})
            + bars_and_lines(days, {}, {"NPS": _series(rows, "nps", "score")}),
        ),
        (
            "Self-service deflections (resolved by an article; answered before a ticket) and revisit coverage",
            bars_and_lines(
                days,
                {
                    "tickets resolved": _series(rows, "deflections", "ticketsResolved"),
                    "without a ticket": _series(rows, "deflections", "withoutTicket"),
                },
            )
            + bars_and_lines(days, {"revisit coverage": _series(rows, "revisitCoverage", "rate")}),
        ),
    ]
    cards = [
        ("Tickets", str(totals["created"])),
        ("First response (mean)", _seconds(totals["firstResponse"]["meanSeconds"])),
        ("On time", _percent(totals["firstResponse"]["withinTargetRate"])),
        ("Handle time", _seconds(totals["handleTime"]["meanSeconds"])),
        ("First-contact resolution", _percent(totals["fcrRate"])),
        ("Complaints closed ≤ 48 h", _percent(totals["complaints"]["closedWithin48hRate"])),
        ("CSAT", "–" if totals["csat"]["mean"] is None else f"{totals['csat']['mean']:.2f}"),
        ("NPS", "–" if totals["nps"]["score"] is None else f"{totals['nps']['score']:g}"),
        ("Deflections", str(totals["deflections"]["count"])),
        ("Revisit coverage", _percent(totals["revisitCoverage"]["rate"])),
    ]
    agent_lines = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(cell))}</td>"
            for cell in (
                row["key"],
                row["created"],
                row["resolved"],
                _seconds(row["firstResponse"]["meanSeconds"]),
                _seconds(row["handleTime"]["meanSeconds"]),
                _percent(row["fcrRate"]),
                _percent(row["reopenRate"]),
                "–" if row["csat"]["mean"] is None else f"{row['csat']['mean']:.2f}",
            )
        )
        + "</tr>"
        for row in fetched.by_agent["rows"]
    )
    body = "".join(f"<section><h2>{html.escape(title)}</h2>{chart}</section>" for title, chart in sections)
    card_html = "".join(f"<div class=card><b>{html.escape(v)}</b><br>{html.escape(k)}</div>" for k, v in cards)
    title = f"kefu KPIs {period['from']} – {period['to']} ({period['timeZone']})"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}.card{display:inline-block;"
        "border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.3em;min-width:9em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:right}"
        "section{margin:1.5em 0}</style>"
        f"<h1>{html.escape(title)}</h1><div>{card_html}</div>{body}"
        "<section><h2>Agents</h2><table><tr><th>agent</th><th>created</th><th>resolved</th>"
        "<th>first response</th><th>handle time</th><th>FCR</th><th>reopened</th><th>CSAT</th></tr>"
        f"{agent_lines}</table></section></html>"
    )
