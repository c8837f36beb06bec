import { useEffect, useState } from "preact/hooks";
import { suggestions, type Suggestions } from "../api/replies";
import { t, tv } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";

/** Knowledge articles and canned replies that match the conversation, each with why it was suggested. */
export function SuggestionsPanel(props: { ticketId: string; version: number; onInsert: (replyId: string) => void }) {
  const [found, setFound] = useState<Suggestions | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Read again when the ticket changes (a new message changes what matches), not on every poll.
  useEffect(() => {
    let current = true;
    suggestions(props.ticketId).then(
      (answer) => current && (setFound(answer), setError(null)),
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [props.ticketId, props.version]);

  return (
    <section aria-labelledby="suggestions-title" data-testid="suggestions">
      <h2 id="suggestions-title">{t("suggest.title")}</h2>
      <ErrorMessage error={error} />
      {found && found.articles.length === 0 && found.replies.length === 0 && <p>{t("suggest.none")}</p>}
      {found && found.articles.length > 0 && (
        <>
          <h3>{t("suggest.articles")}</h3>
          <ul class="cards">
            {found.articles.map((article) => (
              <li key={article.id} data-article={article.id}>
                <strong>{article.title}</strong> <span class="badge">{tv("suggest", article.visibility)}</span>
                <br />
                <small data-testid="why">
                  {t("suggest.why")} {article.why}
                </small>
              </li>
            ))}
          </ul>
        </>
      )}
      {found && found.replies.length > 0 && (
        <>
          <h3>{t("suggest.replies")}</h3>
          <ul class="cards">
            {found.replies.map((reply) => (
              <li key={reply.id} data-reply={reply.id}>
                <strong>{reply.title}</strong>{" "}
                <button
                  type="button"
                  class="outline"
                  aria-label={t("canned.insertNamed", { title: reply.title })}
                  onClick={() => props.onInsert(reply.id)}
                >
                  {t("canned.insert")}
                </button>
                <br />
                <small data-testid="why">
                  {t("suggest.why")} {reply.why}
                </small>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
