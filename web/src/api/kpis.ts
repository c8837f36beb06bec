// Service KPIs for a period (`GET /reports/kpis`). The route answers JSON or CSV, so the OpenAPI document leaves
// its body untyped; the shape below is the one docs/architecture.md and the route's description state.
import { request } from "./client";

export interface Duration {
  count: number;
  meanSeconds: number | null;
  p50Seconds: number | null;
  p90Seconds: number | null;
  withinTargetRate: number | null;
  businessMeanSeconds: number | null;
}

export interface Kpis {
  created: number;
  resolved: number;
  backlog: number | null;
  backlogByAge: Record<string, number> | null;
  firstResponse: Duration;
  resolution: Duration;
  handleTime: { count: number; meanSeconds: number | null };
  fcrRate: number | null;
  reopenRate: number | null;
  slaBreachRate: { firstResponse: number | null; resolution: number | null };
  escalations: { count: number; byLevel: Record<string, number> };
  complaints: { count: number; share: number | null; closedWithin48hRate: number | null };
  csat: { responses: number; mean: number | null; satisfiedRate: number | null };
  nps: { responses: number; score: number | null };
  deflections?: number;
}

export type KpiRow = Kpis & { key: string };

export interface KpiReport {
  period: { from: string; to: string; timeZone: string };
  totals: Kpis;
  rows: KpiRow[];
}

export const TRENDS = ["day", "week", "month"] as const;
export const DIMENSIONS = ["channel", "category", "priority", "group", "agent"] as const;
export type Trend = (typeof TRENDS)[number];
export type Dimension = (typeof DIMENSIONS)[number];
export type Breakdown = Trend | Dimension | "hour" | "weekday";

export async function kpiReport(from: string, to: string, by: Breakdown): Promise<KpiReport> {
  return (await request<KpiReport>("GET", "/reports/kpis", { query: { from, to, by } })).data;
}
