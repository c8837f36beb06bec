import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { CATEGORIES, openTicket } from "../api/tickets";
import { t, tv } from "../i18n";
import { newKey } from "../lib/hooks";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { FilePicker } from "./FilePicker";
import { Suggestions } from "./Suggestions";
import { searchText } from "./selfservice";
import type { ArticleHit } from "./selfServiceApi";
import { clearDraft, hasText, loadDraft, saveDraft, type Draft } from "./draft";

export function NewTicketView() {
  const { route } = useLocation();
  const [draft, setDraft] = useState<Draft>(() => loadDraft(sessionStorage, newKey));
  const [restored] = useState(() => hasText(draft));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [solvedBy, setSolvedBy] = useState<ArticleHit | null>(null);

  // From the latest draft, not this render's: an upload finishing while the customer types keeps both.
  function change(part: Partial<Draft>) {
    setDraft((current) => {
      const next = { ...current, ...part };
      saveDraft(sessionStorage, next);
      return next;
    });
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      const answer = await openTicket(
        {
          subject: draft.subject,
          description: draft.description,
          category: draft.category || null,
          attachments: draft.attachments,
        },
        draft.idempotencyKey,
      );
      clearDraft(sessionStorage);
      route(`/portal/tickets/${answer.data.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  function solved(article: ArticleHit) {
    clearDraft(sessionStorage);
    setSolvedBy(article);
  }

  if (solvedBy)
    return (
      <Layout>
        <section data-testid="deflected">
          <h1>{t("selfservice.thanks")}</h1>
          <p>{t("selfservice.thanksBody", { title: solvedBy.title })}</p>
          <p>
            <a href="/portal">{t("portal.back")}</a>
          </p>
        </section>
      </Layout>
    );

  return (
    <Layout>
      <h1>{t("newticket.title")}</h1>
      {restored && <p role="status">{t("newticket.draftKept")}</p>}
      <form onSubmit={submit} data-testid="new-ticket-form">
        <label>
          {t("newticket.subject")}
          <input
            name="subject"
            required
            maxLength={300}
            data-testid="subject"
            value={draft.subject}
            onInput={(e) => change({ subject: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          {t("newticket.category")}
          <select
            data-testid="category"
            value={draft.category}
            onChange={(e) => change({ category: (e.target as HTMLSelectElement).value as Draft["category"] })}
          >
            <option value="">{t("newticket.categoryAuto")}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {tv("category", c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("newticket.description")}
          <textarea
            name="description"
            required
            rows={6}
            data-testid="description"
            value={draft.description}
            onInput={(e) => change({ description: (e.target as HTMLTextAreaElement).value })}
          />
        </label>
        <Suggestions query={searchText(draft.subject, draft.description)} onSolved={solved} />
        <FilePicker files={draft.attachments} onChange={(attachments) => change({ attachments })} />
        <ErrorMessage error={error} />
        <button type="submit" data-testid="submit" aria-busy={busy} disabled={busy}>
          {busy ? t("newticket.submitting") : t("newticket.submit")}
        </button>
      </form>
    </Layout>
  );
}
