import { useEffect, useState } from "preact/hooks";
import { listReviews, type Review } from "../api/qa";
import { identity } from "../auth";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { DecisionForm } from "./Answer";
import { qt, qv } from "./messages";
import { QaLayout } from "./QaLayout";
import { Verdict } from "./show";

/** Appeals waiting for a supervisor: each with the agent's reason, the scores at stake and the decision form. */
export function Appeals() {
  const [reviews, setReviews] = useState<Review[] | null>(null);
  const [decided, setDecided] = useState<Review[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sub = identity()?.sub;

  async function load(cursor?: string) {
    try {
      const page = await listReviews({ status: "appealed", cursor });
      setReviews((before) => (cursor && before ? [...before, ...page.items] : page.items));
      setNext(page.nextCursor ?? null);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => void load(), []);

  const onDecided = (review: Review) => {
    setDecided((before) => [review, ...before]);
    setReviews((before) => before?.filter((other) => other.id !== review.id) ?? null);
  };

  return (
    <QaLayout title={qt("qa.appeals.title")} here="/qa/appeals">
      <ErrorMessage error={error} onRetry={() => void load()} />
      {decided.length > 0 && (
        <ul role="status" data-testid="qa-decided">
          {decided.map((review) => (
            <li key={review.id}>
              {qt("qa.appeals.decided", { id: review.id, outcome: qv("qa.status", review.status) })}
            </li>
          ))}
        </ul>
      )}
      {!reviews && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {reviews && reviews.length === 0 && <p data-testid="qa-empty">{qt("qa.appeals.empty")}</p>}
      {reviews?.map((review) => (
        <article key={review.id} data-review={review.id} aria-labelledby={`appeal-${review.id}`}>
          <header>
            <h2 id={`appeal-${review.id}`}>
              <a href={`/qa/reviews/${encodeURIComponent(review.id)}`}>{review.id}</a>
            </h2>
            <small>
              {qt("qa.appeals.who", { agent: review.agentId, ticket: review.ticketId, month: review.month })} · <Verdict review={review} />
            </small>
          </header>
          <blockquote data-testid="qa-appeal-reason-shown">
            {review.appeal?.reason}
            <footer>{dateTime(review.appeal?.at)}</footer>
          </blockquote>
          {review.agentId === sub ? <p>{qt("qa.appeals.own")}</p> : <DecisionForm review={review} onDecided={onDecided} />}
        </article>
      ))}
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          {qt("qa.more")}
        </button>
      )}
    </QaLayout>
  );
}
