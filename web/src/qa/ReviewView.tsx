import { useEffect, useState } from "preact/hooks";
import { getReview, type Review } from "../api/qa";
import { identity, isReviewer, isStaff, isSupervisor } from "../auth";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { AnswerPanel, DecisionForm } from "./Answer";
import { qt, qv } from "./messages";
import { QaLayout } from "./QaLayout";
import { ScoreForm } from "./ScoreForm";
import { StatusBadge, Verdict, percent } from "./show";

/** Whether this reviewer may score the review now (as the server's rules have it; it still has the last word). */
function scorable(review: Review, sub: string): boolean {
  if (review.agentId === sub) return false;
  if (review.status === "pending") return !review.reviewerId || review.reviewerId === sub;
  return review.status === "scored" && review.reviewerId === sub;
}

function Scores({ review }: { review: Review }) {
  const scores = new Map((review.scores ?? []).map((score) => [score.item, score]));
  return (
    <section aria-labelledby="qa-scores-title">
      <h2 id="qa-scores-title">{qt("qa.scores")}</h2>
      <table class="striped" data-testid="qa-scores">
        <thead>
          <tr>
            <th scope="col">{qt("qa.item")}</th>
            <th scope="col">{qt("qa.weightHead")}</th>
            <th scope="col">{qt("qa.pointsHead")}</th>
            <th scope="col">{qt("qa.commentHead")}</th>
          </tr>
        </thead>
        <tbody>
          {review.rubric.items.map((item) => (
            <tr key={item.id} data-item={item.id}>
              <th scope="row">
                {item.name} {item.fatal && <mark class="qa-fatal">{qt("qa.score.fatal")}</mark>}
              </th>
              <td>{item.weight}</td>
              <td>
                {scores.get(item.id)?.score ?? "—"} / {item.max}
              </td>
              <td>{scores.get(item.id)?.comment ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <strong>{qt("qa.total")}:</strong> <Verdict review={review} />
      </p>
      {review.comment && (
        <p>
          <strong>{qt("qa.score.comment")}:</strong> {review.comment}
        </p>
      )}
    </section>
  );
}

function History({ review }: { review: Review }) {
  const lines: [string, string][] = [];
  if (review.scoredAt) lines.push([qt("qa.history.scored", { by: review.reviewerId ?? "" }), dateTime(review.scoredAt)]);
  if (review.acknowledgedAt) lines.push([qt("qa.history.acknowledged", { note: review.acknowledgementNote ?? "" }), dateTime(review.acknowledgedAt)]);
  if (review.appeal) lines.push([qt("qa.history.appealed", { reason: review.appeal.reason }), dateTime(review.appeal.at)]);
  if (review.decision)
    lines.push([
      qt("qa.history.decided", { outcome: qv("qa.status", review.decision.outcome), by: review.decision.by, note: review.decision.note ?? "" }),
      dateTime(review.decision.at),
    ]);
  if (lines.length === 0) return null;
  return (
    <section aria-labelledby="qa-history-title">
      <h2 id="qa-history-title">{qt("qa.history")}</h2>
      <ul data-testid="qa-history">
        {lines.map(([text, at]) => (
          <li key={text}>
            <time>{at}</time> {text}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Findings({ review }: { review: Review }) {
  if (!review.findings) return null;
  return (
    <section aria-labelledby="qa-findings-title">
      <h2 id="qa-findings-title">{qt("qa.findings")}</h2>
      {review.findings.length === 0 ? (
        <p>{qt("qa.findings.none")}</p>
      ) : (
        <ul data-testid="qa-findings">
          {review.findings.map((finding) => (
            <li key={`${finding.rule}-${finding.entryId}`}>
              <strong>{qv("qa.rule", finding.rule)}</strong>: {finding.detail}
              {finding.evidence.length > 0 && <small> «{finding.evidence.join("», «")}»</small>}
            </li>
          ))}
        </ul>
      )}
      {review.agreement && (
        <p data-testid="qa-agreement">
          {qt("qa.agreement", {
            reviews: review.agreement.reviews,
            agreement: percent(review.agreement.agreement),
            spread: review.agreement.totalSpread.toFixed(1),
          })}
        </p>
      )}
    </section>
  );
}

/** One review: reviewers score it, the agent reviewed acknowledges or appeals, a supervisor decides an appeal. */
export function ReviewView({ id }: { id: string }) {
  const [review, setReview] = useState<Review | null>(null);
  const [error, setError] = useState<unknown>(null);
  const who = identity();
  const sub = who?.sub ?? "";

  const load = () =>
    getReview(id).then(
      (found) => {
        setReview(found);
        setError(null);
      },
      setError,
    );
  useEffect(() => void load(), [id]);
  // An answer carries no findings or agreement: keep the ones already shown.
  const update = (next: Review) =>
    setReview((before) => ({ ...next, findings: before?.findings ?? next.findings, agreement: before?.agreement ?? next.agreement }));

  return (
    <QaLayout title={qt("qa.review.title", { id })}>
      <ErrorMessage error={error} onRetry={() => void load()} />
      {!review && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {review && (
        <>
          <dl class="qa-facts" data-testid="qa-review" data-status={review.status}>
            <div>
              <dt>{qt("qa.ticket")}</dt>
              <dd>{isStaff(who) ? <a href={`/tickets/${encodeURIComponent(review.ticketId)}`}>{review.ticketId}</a> : review.ticketId}</dd>
            </div>
            <div>
              <dt>{qt("qa.agent")}</dt>
              <dd>{review.agentId}</dd>
            </div>
            <div>
              <dt>{qt("qa.month")}</dt>
              <dd>{review.month}</dd>
            </div>
            <div>
              <dt>{qt("qa.statusLabel")}</dt>
              <dd>
                <StatusBadge status={review.status} />
              </dd>
            </div>
            <div>
              <dt>{qt("qa.reason")}</dt>
              <dd>
                {qv("qa.reason", review.reason)}
                {review.calibration && <> · {qt("qa.calibration")}</>}
              </dd>
            </div>
            <div>
              <dt>{qt("qa.reviewer")}</dt>
              <dd>{review.reviewerId ?? qt("qa.unassigned")}</dd>
            </div>
            {review.respondBy && (
              <div>
                <dt>{qt("qa.respondBy")}</dt>
                <dd>{dateTime(review.respondBy)}</dd>
              </div>
            )}
          </dl>
          {isReviewer(who) && scorable(review, sub) ? <ScoreForm review={review} onScored={update} /> : review.status !== "pending" && <Scores review={review} />}
          {review.status === "pending" && !(isReviewer(who) && scorable(review, sub)) && <p>{qt("qa.window.unscored")}</p>}
          {review.agentId === sub && <AnswerPanel review={review} onAnswered={update} />}
          {isSupervisor(who) && review.status === "appealed" && review.agentId !== sub && (
            <section aria-labelledby="qa-decide-title">
              <h2 id="qa-decide-title">{qt("qa.decision.heading")}</h2>
              <p>{qt("qa.history.appealed", { reason: review.appeal?.reason ?? "" })}</p>
              <DecisionForm review={review} onDecided={update} />
            </section>
          )}
          <History review={review} />
          <Findings review={review} />
        </>
      )}
    </QaLayout>
  );
}
