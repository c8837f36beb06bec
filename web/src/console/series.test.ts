import { describe, expect, it } from "vitest";
import type { KpiReport, KpiRow, Kpis } from "../api/kpis";
import { breachesByGroup, firstResponse, hasData, peaks, satisfaction, volume } from "./series";

const duration = (mean: number | null, p90: number | null, rate: number | null) => ({
  count: mean === null ? 0 : 1,
  meanSeconds: mean,
  p50Seconds: mean,
  p90Seconds: p90,
  withinTargetRate: rate,
  businessMeanSeconds: mean,
});

function kpis(over: Partial<Kpis> = {}): Kpis {
  return {
    created: 0,
    resolved: 0,
    backlog: null,
    backlogByAge: null,
    firstResponse: duration(null, null, null),
    resolution: duration(null, null, null),
    handleTime: { count: 0, meanSeconds: null },
    fcrRate: null,
    reopenRate: null,
    slaBreachRate: { firstResponse: null, resolution: null },
    escalations: { count: 0, byLevel: {} },
    complaints: { count: 0, share: null, closedWithin48hRate: null },
    csat: { responses: 0, mean: null, satisfiedRate: null },
    nps: { responses: 0, score: null },
    ...over,
  };
}

const report = (rows: KpiRow[]): KpiReport => ({
  period: { from: "2026-11-01", to: "2026-11-02", timeZone: "Asia/Shanghai" },
  totals: kpis(),
  rows,
});

describe("dashboard series", () => {
  it("draws volume and backlog per row of the trend", () => {
    const chart = volume(report([{ key: "2026-11-01", ...kpis({ created: 3, resolved: 1, backlog: 2 }) }]));
    expect(chart.labels).toEqual(["2026-11-01"]);
    expect(chart.series.map((s) => s.values)).toEqual([[3], [1], [2]]);
  });

  it("shows first response in minutes and its on-time share in percent, a gap where nothing was counted", () => {
    const chart = firstResponse(
      report([
        { key: "a", ...kpis({ firstResponse: duration(90, 600, 0.5) }) },
        { key: "b", ...kpis() },
      ]),
    );
    expect(chart.series.map((s) => s.values)).toEqual([
      [1.5, null],
      [10, null],
      [50, null],
    ]);
    expect(chart.series[2].right).toBe(true);
  });

  it("fills every hour of the day, those without tickets with zero", () => {
    const chart = peaks(report([{ key: "09", ...kpis({ created: 4 }) }]), "hours");
    expect(chart.labels).toHaveLength(24);
    expect(chart.series[0].values[9]).toBe(4);
    expect(chart.series[0].values.filter((v) => v === 0)).toHaveLength(23);
  });

  it("orders weekdays from Monday whatever order the rows came in", () => {
    const chart = peaks(report([{ key: "sun", ...kpis({ created: 1 }) }, { key: "mon", ...kpis({ created: 2 }) }]), "weekdays");
    expect(chart.series[0].values).toEqual([2, 0, 0, 0, 0, 0, 1]);
  });

  it("puts breach rates per group beside the group's escalations", () => {
    const row = { key: "l1", ...kpis({ slaBreachRate: { firstResponse: 0.25, resolution: null }, escalations: { count: 2, byLevel: { "1": 2 } } }) };
    expect(breachesByGroup(report([row])).series.map((s) => s.values)).toEqual([[25], [null], [2]]);
  });

  it("has data only when some value is neither a gap nor zero", () => {
    expect(hasData(satisfaction(report([{ key: "a", ...kpis() }])))).toBe(false);
    expect(hasData(satisfaction(report([{ key: "a", ...kpis({ csat: { responses: 1, mean: 4, satisfiedRate: 1 } }) }])))).toBe(true);
  });
});
