import { useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { acknowledgeReview, appealReview, decideAppeal, type Outcome, type Review } from "../api/qa";
import { dateTime, duration } from "../lib/format";
import { useNow } from "../lib/hooks";
import { errorText } from "../shell/ErrorMessage";
import { qt } from "./messages";
import { reviewWindow } from "./window";

/** The API's refusal, said plainly: a 409 on an answer is nearly always the window that closed meanwhile. */
function Refusal({ error }: { error: unknown }) {
  if (!error) return null;
  const conflict = error instanceof ApiError && error.status === 409;
  return (
    <article class="error" role="alert" data-testid="qa-refusal">
      <strong>{qt(conflict ? "qa.answer.refused" : "qa.answer.failed")}</strong>
      <p>{conflict ? (error as ApiError).problem.detail : errorText(error)}</p>
    </article>
  );
}

/** The agent reviewed: acknowledge (with an optional note) or appeal (with a reason) while the window is open. */
export function AnswerPanel({ review, onAnswered }: { review: Review; onAnswered: (review: Review) => void }) {
  const now = useNow(30_000);
  const [note, setNote] = useState("");
  const [reason, setReason] = useState("");
  const [reasonMissing, setReasonMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const state = reviewWindow(review, now);

  async function run(action: () => Promise<Review>) {
    setBusy(true);
    try {
      onAnswered(await action());
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  // An unscored review says so on its page already.
  if (state.kind === "unscored") return null;
  if (state.kind === "calibration") return <p data-testid="qa-window">{qt("qa.window.calibration")}</p>;
  if (state.kind === "answered") return null;
  if (state.kind === "closed") {
    // Past the window the server refuses both answers (409): say so instead of offering them.
    return (
      <section aria-labelledby="qa-answer-title" data-testid="qa-answer">
        <h2 id="qa-answer-title">{qt("qa.answer.title")}</h2>
        <p class="error" role="status" data-testid="qa-window" data-window="closed">
          {qt("qa.window.closed", { at: dateTime(state.closedAt) })}
        </p>
        <Refusal error={error} />
      </section>
    );
  }
  return (
    <section aria-labelledby="qa-answer-title" data-testid="qa-answer">
      <h2 id="qa-answer-title">{qt("qa.answer.title")}</h2>
      <p data-testid="qa-window" data-window="open">
        {state.closesAt
          ? qt("qa.window.open", { at: dateTime(state.closesAt), left: duration(state.remainingMs ?? 0) })
          : qt("qa.window.openUntimed")}
      </p>
      <Refusal error={error} />
      <div class="grid">
        <form
          aria-labelledby="qa-ack-title"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => acknowledgeReview(review.id, note.trim()));
          }}
        >
          <h3 id="qa-ack-title">{qt("qa.answer.acknowledge")}</h3>
          <label>
            {qt("qa.answer.note")}
            <textarea rows={2} maxLength={2000} data-testid="qa-ack-note" value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" data-testid="qa-acknowledge" disabled={busy}>
            {qt("qa.answer.acknowledge")}
          </button>
        </form>
        <form
          aria-labelledby="qa-appeal-title"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!reason.trim()) {
              setReasonMissing(true);
              document.getElementById("qa-appeal-reason")?.focus();
              return;
            }
            void run(() => appealReview(review.id, reason.trim()));
          }}
        >
          <h3 id="qa-appeal-title">{qt("qa.answer.appeal")}</h3>
          <label>
            {qt("qa.answer.reason")}
            <textarea
              id="qa-appeal-reason"
              rows={2}
              maxLength={2000}
              required
              data-testid="qa-appeal-reason"
              value={reason}
              aria-invalid={reasonMissing && !reason.trim() ? "true" : undefined}
              aria-describedby={reasonMissing && !reason.trim() ? "qa-appeal-reason-problem" : undefined}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          {reasonMissing && !reason.trim() && (
            <small id="qa-appeal-reason-problem" class="error" role="alert">
              {qt("qa.answer.reasonMissing")}
            </small>
          )}
          <button type="submit" class="secondary" data-testid="qa-appeal" disabled={busy}>
            {qt("qa.answer.appeal")}
          </button>
        </form>
      </div>
    </section>
  );
}

/** A supervisor decides an appeal: the scores stand (upheld) or the review stops counting (overturned). */
export function DecisionForm({ review, onDecided }: { review: Review; onDecided: (review: Review) => void }) {
  const [outcome, setOutcome] = useState<Outcome | "">("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const name = `qa-outcome-${review.id}`;

  async function submit(event: Event) {
    event.preventDefault();
    if (!outcome) return;
    setBusy(true);
    try {
      onDecided(await decideAppeal(review.id, outcome, note.trim()));
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="qa-decision" aria-label={qt("qa.decision.title", { id: review.id })}>
      <fieldset>
        <legend>{qt("qa.decision.outcome")}</legend>
        {(["upheld", "overturned"] as const).map((value) => (
          <label key={value}>
            <input type="radio" name={name} value={value} data-testid={`outcome-${value}`} checked={outcome === value} onChange={() => setOutcome(value)} />
            {qt(value === "upheld" ? "qa.decision.upheld" : "qa.decision.overturned")}
          </label>
        ))}
      </fieldset>
      <label>
        {qt("qa.decision.note")}
        <textarea rows={2} maxLength={2000} data-testid="qa-decision-note" value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
      </label>
      <Refusal error={error} />
      <button type="submit" data-testid="qa-decide" disabled={!outcome || busy} aria-busy={busy}>
        {qt("qa.decision.submit")}
      </button>
    </form>
  );
}
