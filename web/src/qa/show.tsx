// How the QA screens print their values: statuses and reasons in the reader's language, totals, rates, figures.
import type { Review } from "../api/qa";
import { duration } from "../lib/format";
import { qt, qv } from "./messages";
import type { FigureKind } from "./scorecard";

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 1000) / 10}%`;
}

export function figure(value: number | null, kind: FigureKind): string {
  if (value === null) return "—";
  if (kind === "rate") return percent(value);
  if (kind === "seconds") return duration(value * 1000);
  if (kind === "count") return String(Math.round(value * 10) / 10);
  return value.toFixed(1);
}

export function StatusBadge({ status }: { status: Review["status"] }) {
  return (
    <span class={`qa-status qa-status-${status}`} data-status={status}>
      {qv("qa.status", status)}
    </span>
  );
}

/** The total and the verdict of a scored review ("—" before it is scored). */
export function Verdict({ review }: { review: Pick<Review, "total" | "passed" | "fatalFailed"> }) {
  if (review.total === null || review.total === undefined) return <span>—</span>;
  return (
    <span data-testid="verdict" data-passed={String(!!review.passed)}>
      {review.total.toFixed(1)} · {qt(review.passed ? "qa.passed" : "qa.failed")}
      {review.fatalFailed && review.fatalFailed.length > 0 && <> · {qt("qa.fatalFailed", { items: review.fatalFailed.join(", ") })}</>}
    </span>
  );
}
