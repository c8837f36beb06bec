import { useMemo, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { scoreReview, type ItemScore, type Review } from "../api/qa";
import { ErrorMessage } from "../shell/ErrorMessage";
import { qt } from "./messages";
import { enteredOf, preview, problemsByItem, scoreItems, type Entered, type ItemProblem } from "./score";
import { Verdict } from "./show";

const PROBLEM_KEY = {
  missing: "qa.score.missing",
  "not-a-number": "qa.score.notANumber",
  "out-of-range": "qa.score.outOfRange",
} as const satisfies Record<ItemProblem, string>;

/** Score a review item by item: the total and verdict computed as the server does while typing, its answer after. */
export function ScoreForm({ review, onScored }: { review: Review; onScored: (review: Review) => void }) {
  const rubric = review.rubric;
  const initial = useMemo(() => enteredOf(review.scores), [review.id]);
  const [entered, setEntered] = useState<Entered>(initial.entered);
  const [comments, setComments] = useState<Record<string, string>>(initial.comments);
  const [comment, setComment] = useState(review.comment ?? "");
  const [attempted, setAttempted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverProblems, setServerProblems] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<Review | null>(null);
  const shown = preview(rubric, entered);

  async function submit(event: Event) {
    event.preventDefault();
    setAttempted(true);
    setAnswer(null);
    if (shown.total === null) {
      const first = rubric.items.find((item) => shown.problems[item.id]);
      if (first) document.getElementById(`qa-item-${first.id}`)?.focus();
      return;
    }
    const items: ItemScore[] = scoreItems(rubric, entered, comments);
    setBusy(true);
    try {
      const scored = await scoreReview(review.id, { items, comment: comment.trim() || null });
      setServerProblems({});
      setError(null);
      setAnswer(scored);
      onScored(scored);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const byItem = problemsByItem(err.problem, items, rubric);
        setServerProblems(byItem);
        setError(byItem[""] ? err : null);
      } else {
        setServerProblems({});
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="qa-score-form" aria-labelledby="qa-score-title" noValidate>
      <h2 id="qa-score-title">{qt("qa.score.title", { version: rubric.version, mark: rubric.pass_mark })}</h2>
      {rubric.items.map((item) => {
        const local = shown.problems[item.id];
        const problem = local && (attempted || local !== "missing") ? qt(PROBLEM_KEY[local], { max: item.max }) : null;
        const remote = serverProblems[item.id] ?? [];
        const invalid = !!problem || remote.length > 0;
        const described = `qa-item-${item.id}-about`;
        return (
          <fieldset key={item.id} class="qa-item" data-item={item.id} aria-invalid={invalid ? "true" : undefined}>
            <legend>
              {item.name}{" "}
              {item.fatal && (
                <mark class="qa-fatal" data-testid="fatal">
                  {qt("qa.score.fatal")}
                </mark>
              )}
            </legend>
            <p id={described} class="qa-item-about">
              <small>
                {qt("qa.score.weight", { weight: item.weight })} · {qt("qa.score.scale", { max: item.max })}
                {item.fatal && <> · {qt("qa.score.fatalHint")}</>}
              </small>
            </p>
            <div class="grid">
              <label>
                {qt("qa.score.points", { max: item.max })}
                <input
                  id={`qa-item-${item.id}`}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={item.max}
                  step={1}
                  required
                  data-testid={`score-${item.id}`}
                  value={entered[item.id] ?? ""}
                  aria-invalid={invalid ? "true" : undefined}
                  aria-describedby={`${described}${invalid ? ` qa-item-${item.id}-problem` : ""}`}
                  onInput={(e) => {
                    setEntered({ ...entered, [item.id]: (e.target as HTMLInputElement).value });
                    // The server's word on this item was about the points it had; new points await a new answer.
                    if (serverProblems[item.id]) setServerProblems({ ...serverProblems, [item.id]: [] });
                  }}
                />
              </label>
              <label>
                {qt("qa.score.itemComment")}
                <input
                  type="text"
                  maxLength={2000}
                  data-testid={`comment-${item.id}`}
                  value={comments[item.id] ?? ""}
                  onInput={(e) => setComments({ ...comments, [item.id]: (e.target as HTMLInputElement).value })}
                />
              </label>
            </div>
            {invalid && (
              <small id={`qa-item-${item.id}-problem`} class="error" role="alert" data-testid={`problem-${item.id}`}>
                {[problem, ...remote].filter(Boolean).join(" ")}
              </small>
            )}
          </fieldset>
        );
      })}
      <label>
        {qt("qa.score.comment")}
        <textarea maxLength={2000} rows={3} data-testid="score-comment" value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
      </label>
      <p role="status" data-testid="qa-preview" aria-live="polite">
        {shown.total === null
          ? qt("qa.score.incomplete")
          : qt(shown.passed ? "qa.score.previewPass" : "qa.score.previewFail", { total: shown.total.toFixed(1), mark: rubric.pass_mark })}
        {shown.fatalFailed.length > 0 && <> {qt("qa.fatalFailed", { items: shown.fatalFailed.join(", ") })}</>}
      </p>
      <ErrorMessage error={error} />
      <button type="submit" data-testid="qa-submit-score" aria-busy={busy} disabled={busy}>
        {qt(review.status === "scored" ? "qa.score.correct" : "qa.score.submit")}
      </button>
      {answer && (
        <article role="status" data-testid="qa-server-answer">
          <strong>{qt("qa.score.serverAnswer")}</strong> <Verdict review={answer} />
        </article>
      )}
    </form>
  );
}
