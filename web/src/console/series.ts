// The dashboard's charts as data: which KPI of which rows each chart draws, kept apart from Chart.js so that it is
// tested without a canvas. Durations are shown in minutes and rates in percent (null stays a gap, not a zero).
import type { KpiReport, KpiRow } from "../api/kpis";

export interface Series {
  /** Message key of the series' name. */
  label: string;
  values: (number | null)[];
  kind: "bar" | "line";
  /** Drawn against the right-hand axis (a percentage beside counts or minutes). */
  right?: boolean;
}

export interface ChartData {
  id: string;
  labels: string[];
  series: Series[];
}

export const HOURS = Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, "0"));
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10);
const minutes = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? null : Math.round(seconds / 6) / 10;

/** Rows in a fixed order of keys (every hour, every weekday), a missing key counted as nothing. */
export function rowsFor(report: KpiReport, keys: string[]): (KpiRow | null)[] {
  const byKey = new Map(report.rows.map((row) => [row.key, row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

export function volume(trend: KpiReport): ChartData {
  return {
    id: "volume",
    labels: trend.rows.map((row) => row.key),
    series: [
      { label: "kpi.created", kind: "bar", values: trend.rows.map((row) => row.created) },
      { label: "kpi.resolved", kind: "bar", values: trend.rows.map((row) => row.resolved) },
      { label: "kpi.backlog", kind: "line", values: trend.rows.map((row) => row.backlog) },
    ],
  };
}

export function firstResponse(trend: KpiReport): ChartData {
  return {
    id: "frt",
    labels: trend.rows.map((row) => row.key),
    series: [
      { label: "kpi.frtMean", kind: "bar", values: trend.rows.map((row) => minutes(row.firstResponse.meanSeconds)) },
      { label: "kpi.frtP90", kind: "bar", values: trend.rows.map((row) => minutes(row.firstResponse.p90Seconds)) },
      {
        label: "kpi.onTime",
        kind: "line",
        right: true,
        values: trend.rows.map((row) => percent(row.firstResponse.withinTargetRate)),
      },
    ],
  };
}

export function peaks(report: KpiReport, id: "hours" | "weekdays"): ChartData {
  const keys = id === "hours" ? HOURS : WEEKDAYS;
  return {
    id,
    labels: keys,
    series: [{ label: "kpi.created", kind: "bar", values: rowsFor(report, keys).map((row) => row?.created ?? 0) }],
  };
}

export function breachesByGroup(groups: KpiReport): ChartData {
  return {
    id: "groups",
    labels: groups.rows.map((row) => row.key),
    series: [
      {
        label: "kpi.breachFirstResponse",
        kind: "bar",
        right: true,
        values: groups.rows.map((row) => percent(row.slaBreachRate.firstResponse)),
      },
      {
        label: "kpi.breachResolution",
        kind: "bar",
        right: true,
        values: groups.rows.map((row) => percent(row.slaBreachRate.resolution)),
      },
      { label: "kpi.escalations", kind: "line", values: groups.rows.map((row) => row.escalations.count) },
    ],
  };
}

export function complaints(trend: KpiReport): ChartData {
  return {
    id: "complaints",
    labels: trend.rows.map((row) => row.key),
    series: [
      { label: "kpi.complaints", kind: "bar", values: trend.rows.map((row) => row.complaints.count) },
      {
        label: "kpi.closed48h",
        kind: "line",
        right: true,
        values: trend.rows.map((row) => percent(row.complaints.closedWithin48hRate)),
      },
    ],
  };
}

export function satisfaction(trend: KpiReport): ChartData {
  return {
    id: "satisfaction",
    labels: trend.rows.map((row) => row.key),
    series: [
      { label: "kpi.csatMean", kind: "line", values: trend.rows.map((row) => row.csat.mean) },
      { label: "kpi.nps", kind: "line", right: true, values: trend.rows.map((row) => row.nps.score) },
    ],
  };
}

export function breakdown(report: KpiReport): ChartData {
  return {
    id: "breakdown",
    labels: report.rows.map((row) => row.key),
    series: [
      { label: "kpi.created", kind: "bar", values: report.rows.map((row) => row.created) },
      { label: "kpi.resolved", kind: "bar", values: report.rows.map((row) => row.resolved) },
    ],
  };
}

/** A chart worth drawing has at least one value that is not a gap. */
export function hasData(chart: ChartData): boolean {
  return chart.series.some((series) => series.values.some((value) => value !== null && value !== 0));
}

export const asPercent = percent;
