// An agent's scorecard as rows: each figure beside the group's average, how it reads (a score, a rate, a duration,
// a count) and whether the agent is ahead of the group (for first response and handle time, lower is better).
import type { Figure, Scorecard } from "../api/qa";

export type FigureKind = "score" | "rate" | "seconds" | "count" | "csat";
export type Comparison = "better" | "worse" | "same" | null;

export const FIGURES = [
  { key: "qaScore", kind: "score", higherIsBetter: true },
  { key: "qaReviews", kind: "count", higherIsBetter: null },
  { key: "passRate", kind: "rate", higherIsBetter: true },
  { key: "csat", kind: "csat", higherIsBetter: true },
  { key: "firstResponseSeconds", kind: "seconds", higherIsBetter: false },
  { key: "handleSeconds", kind: "seconds", higherIsBetter: false },
  { key: "fcrRate", kind: "rate", higherIsBetter: true },
  { key: "volume", kind: "count", higherIsBetter: true },
  { key: "escalations", kind: "count", higherIsBetter: false },
  { key: "cannedReplyUses", kind: "count", higherIsBetter: null },
] as const satisfies readonly { key: keyof Scorecard; kind: FigureKind; higherIsBetter: boolean | null }[];

export type FigureKey = (typeof FIGURES)[number]["key"];

export interface FigureRow {
  key: FigureKey;
  kind: FigureKind;
  agent: number | null;
  group: number | null;
  comparison: Comparison;
}

/** Better, worse or the same as the group; null when either is missing or the figure has no better side. */
export function compare(figure: Figure, higherIsBetter: boolean | null): Comparison {
  const agent = figure.agent ?? null;
  const group = figure.group ?? null;
  if (agent === null || group === null || higherIsBetter === null) return null;
  // Figures arrive rounded differently (a mean to 0.1, a rate to 0.001): within a hair they are the same.
  if (Math.abs(agent - group) < 1e-9) return "same";
  return agent > group === higherIsBetter ? "better" : "worse";
}

export function scorecardRows(card: Scorecard): FigureRow[] {
  return FIGURES.map(({ key, kind, higherIsBetter }) => {
    const figure = card[key];
    return {
      key,
      kind,
      agent: figure.agent ?? null,
      group: figure.group ?? null,
      comparison: compare(figure, higherIsBetter),
    };
  });
}
