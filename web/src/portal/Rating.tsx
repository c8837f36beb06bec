import { useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { rateTicket } from "./ratingApi";

/** "How did we do?" on a resolved ticket: CSAT 1-5 and an optional comment, sent once. */
export function Rating(props: { ticketId: string; onRated: () => void }) {
  const [csat, setCsat] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (csat === null || busy) return;
    setBusy(true);
    try {
      await rateTicket(props.ticketId, { csat, comment: comment.trim() || null });
      props.onRated();
    } catch (err) {
      // Rated meanwhile (the e-mailed link, another tab): the page shows the rating on its next refresh.
      if (err instanceof ApiError && err.kind === "conflict") props.onRated();
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="rating-form">
      <fieldset class="scale">
        <legend>{t("rating.question")}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input type="radio" name="rating" value={n} data-testid={`rating-${n}`} checked={csat === n} onChange={() => setCsat(n)} />
            {t("survey.score", { n })}
          </label>
        ))}
      </fieldset>
      <label>
        {t("rating.comment")}
        <textarea data-testid="rating-comment" rows={2} maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
      </label>
      <ErrorMessage error={error} />
      <button type="submit" data-testid="rating-submit" disabled={csat === null || busy} aria-busy={busy}>
        {t("rating.submit")}
      </button>
    </form>
  );
}
