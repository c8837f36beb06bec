import { useState } from "preact/hooks";
import { REVIEW_STATUSES, type Review, type ReviewStatus } from "../api/qa";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { qt, qv } from "./messages";
import { useReviewPages } from "./pages";
import { QaLayout } from "./QaLayout";
import { ReviewTable } from "./ReviewQueue";
import { reviewWindow } from "./window";

function windowText(review: Review, now: number): string {
  const state = reviewWindow(review, now);
  if (state.kind === "open") return state.closesAt ? qt("qa.mine.openUntil", { at: dateTime(state.closesAt) }) : qt("qa.mine.open");
  if (state.kind === "closed") return qt("qa.mine.closed");
  if (state.kind === "unscored") return qt("qa.mine.unscored");
  if (state.kind === "calibration") return qt("qa.calibration");
  return qt("qa.mine.answered");
}

/** The signed-in agent's own reviews, newest month first: open ones to acknowledge or appeal. */
export function MyReviews() {
  const [status, setStatus] = useState<ReviewStatus | "">("");
  const [month, setMonth] = useState("");
  const { reviews, next, error, load } = useReviewPages(
    (cursor) => ({ agent: "me", status: status || undefined, month: month || undefined, cursor }),
    [status, month],
  );

  const now = Date.now();
  return (
    <QaLayout title={qt("qa.mine.title")} here="/qa/mine">
      <div class="grid" role="group" aria-label={qt("qa.queue.filters")}>
        <label>
          {qt("qa.filter.status")}
          <select data-testid="qa-mine-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as ReviewStatus | "")}>
            <option value="">{qt("qa.filter.anyStatus")}</option>
            {REVIEW_STATUSES.map((value) => (
              <option key={value} value={value}>
                {qv("qa.status", value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {qt("qa.filter.month")}
          <input type="month" value={month} onChange={(e) => setMonth((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <ErrorMessage error={error} onRetry={() => void load()} />
      {!reviews && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {reviews && reviews.length === 0 && <p data-testid="qa-empty">{qt("qa.mine.empty")}</p>}
      {reviews && reviews.length > 0 && <ReviewTable reviews={reviews} withWindow={(review) => windowText(review, now)} />}
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          {qt("qa.more")}
        </button>
      )}
    </QaLayout>
  );
}
