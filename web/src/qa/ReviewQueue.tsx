import { useState } from "preact/hooks";
import { REVIEW_STATUSES, type Review, type ReviewStatus } from "../api/qa";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { agentProblem, filtersSearch, parseFilters, reviewQuery, type QueueFilters, type ReviewerFilter } from "./filters";
import { qt, qv } from "./messages";
import { useReviewPages } from "./pages";
import { QaLayout } from "./QaLayout";
import { StatusBadge, Verdict } from "./show";

/** The reviewers' queue: reviews by status (pending first), narrowed to an agent, a reviewer or a month. */
export function ReviewQueue() {
  const [filters, setFilters] = useState<QueueFilters>(() => parseFilters(window.location.search));
  const [agentText, setAgentText] = useState(filters.agent);
  const { reviews, next, error, load } = useReviewPages((cursor) => reviewQuery(filters, cursor), [filters.status, filters.agent, filters.reviewer, filters.month], () =>
    // The address follows the filters (bookmarkable) without a navigation: the router keeps this screen as it is.
    window.history.replaceState(null, "", `/qa${filtersSearch(filters)}`),
  );

  const change = (patch: Partial<QueueFilters>) => setFilters({ ...filters, ...patch });
  const badAgent = agentProblem(agentText) !== null;

  return (
    <QaLayout title={qt("qa.queue.title")} here="/qa">
      <form
        class="qa-filters"
        aria-label={qt("qa.queue.filters")}
        onSubmit={(event) => {
          event.preventDefault();
          if (!badAgent) change({ agent: agentText.trim() });
        }}
      >
        <div class="grid">
          <label>
            {qt("qa.filter.status")}
            <select
              data-testid="qa-filter-status"
              value={filters.status}
              onChange={(e) => change({ status: (e.target as HTMLSelectElement).value as ReviewStatus })}
            >
              {REVIEW_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {qv("qa.status", status)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {qt("qa.filter.agent")}
            <input
              type="text"
              data-testid="qa-filter-agent"
              value={agentText}
              placeholder={qt("qa.filter.agentHint")}
              aria-invalid={badAgent ? "true" : undefined}
              aria-describedby={badAgent ? "qa-agent-problem" : undefined}
              onInput={(e) => setAgentText((e.target as HTMLInputElement).value)}
              onChange={(e) => {
                const value = (e.target as HTMLInputElement).value.trim();
                if (agentProblem(value) === null) change({ agent: value });
              }}
            />
            {badAgent && (
              <small id="qa-agent-problem" class="error">
                {qt("qa.filter.agentInvalid")}
              </small>
            )}
          </label>
          <label>
            {qt("qa.filter.reviewer")}
            <select
              data-testid="qa-filter-reviewer"
              value={filters.reviewer}
              disabled={!!filters.agent}
              title={filters.agent ? qt("qa.filter.reviewerWithAgent") : undefined}
              onChange={(e) => change({ reviewer: (e.target as HTMLSelectElement).value as ReviewerFilter })}
            >
              <option value="">{qt("qa.filter.anyone")}</option>
              <option value="me">{qt("qa.filter.me")}</option>
              <option value="none">{qt("qa.filter.nobody")}</option>
            </select>
          </label>
          <label>
            {qt("qa.filter.month")}
            <input
              type="month"
              data-testid="qa-filter-month"
              value={filters.month}
              onChange={(e) => change({ month: (e.target as HTMLInputElement).value })}
            />
          </label>
        </div>
      </form>
      <ErrorMessage error={error} onRetry={() => void load()} />
      {!reviews && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {reviews && reviews.length === 0 && <p data-testid="qa-empty">{qt("qa.queue.empty")}</p>}
      {reviews && reviews.length > 0 && (
        <ReviewTable reviews={reviews} />
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          {qt("qa.more")}
        </button>
      )}
    </QaLayout>
  );
}

/** Reviews as a table, each opening its own page (scores, answer, decision). */
export function ReviewTable({ reviews, withWindow }: { reviews: Review[]; withWindow?: (review: Review) => string }) {
  return (
    <div class="overflow-auto">
      <table class="striped qa-table" data-testid="qa-reviews">
        <thead>
          <tr>
            <th scope="col">{qt("qa.review")}</th>
            <th scope="col">{qt("qa.ticket")}</th>
            <th scope="col">{qt("qa.agent")}</th>
            <th scope="col">{qt("qa.month")}</th>
            <th scope="col">{qt("qa.reason")}</th>
            <th scope="col">{qt("qa.statusLabel")}</th>
            <th scope="col">{qt("qa.reviewer")}</th>
            <th scope="col">{qt("qa.total")}</th>
            <th scope="col">{withWindow ? qt("qa.window") : qt("qa.created")}</th>
          </tr>
        </thead>
        <tbody>
          {reviews.map((review) => (
            <tr key={review.id} data-review={review.id}>
              <th scope="row">
                <a href={`/qa/reviews/${encodeURIComponent(review.id)}`}>{review.id}</a>
                {review.calibration && <small> ({qt("qa.calibration")})</small>}
              </th>
              <td>{review.ticketId}</td>
              <td>{review.agentId}</td>
              <td>{review.month}</td>
              <td>{qv("qa.reason", review.reason)}</td>
              <td>
                <StatusBadge status={review.status} />
              </td>
              <td>{review.reviewerId ?? qt("qa.unassigned")}</td>
              <td>
                <Verdict review={review} />
              </td>
              <td>{withWindow ? withWindow(review) : dateTime(review.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
