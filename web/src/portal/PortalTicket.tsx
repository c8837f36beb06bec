import { useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { addMessage, getTicket, timeline as readTimeline, transition, type Ticket, type TimelineEntry } from "../api/tickets";
import { identity } from "../auth";
import { t, tv } from "../i18n";
import { usePoll } from "../lib/hooks";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { NotFound } from "../shell/NotFound";
import { Timeline } from "../ticket/Timeline";
import { Progress } from "./Progress";
import { TicketFiles } from "./TicketFiles";
import { Rating } from "./Rating";
import { givenRating } from "./ratingApi";
import { offeredArticle } from "./selfservice";
import { solvedBy } from "./selfServiceApi";

/** While a ticket is being worked, an article its acknowledgement offered can still resolve it. */
const ACTIVE = ["new", "open", "pending"];

const REFRESH_MS = 3_000;

export function PortalTicket({ id }: { id: string }) {
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const [answer, timeline] = await Promise.all([getTicket(id), readTimeline(id)]);
      setTicket(answer.data);
      setEntries(timeline);
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.kind === "not-found") setMissing(true);
      else setError(err);
    }
  };
  usePoll(load, REFRESH_MS, [id]);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const offered = offeredArticle(entries);
  const rated = givenRating(entries);

  if (missing)
    return (
      <Layout>
        <NotFound />
      </Layout>
    );
  if (!ticket)
    return (
      <Layout>
        <ErrorMessage error={error} onRetry={load} />
        {!error && <p aria-busy="true">{t("app.loading")}</p>}
      </Layout>
    );
  return (
    <Layout>
      <p>
        <a href="/portal">{t("portal.back")}</a>
      </p>
      <h1 data-testid="ticket-subject">{ticket.subject}</h1>
      <p>
        <span class="badge" data-testid="ticket-status">
          {tv("status", ticket.status)}
        </span>{" "}
        <small>{ticket.id}</small>
      </p>
      <Progress ticket={ticket} />
      <ErrorMessage error={error} />
      {offered && ACTIVE.includes(ticket.status) && (
        <article data-testid="offered-article">
          <p>{offered.title ? t("selfservice.offered", { title: offered.title }) : t("selfservice.offeredUntitled")}</p>
          <button type="button" data-testid="ticket-solved" disabled={busy} onClick={() => run(() => solvedBy(id, offered.id))}>
            {t("selfservice.ticketSolved")}
          </button>
        </article>
      )}
      {(ticket.status === "resolved" || ticket.status === "closed") &&
        (rated ? (
          <p data-testid="rated">{t("rating.given", { n: rated.csat })}</p>
        ) : (
          <section aria-labelledby="rating-title">
            <h2 id="rating-title">{t("rating.title")}</h2>
            <Rating ticketId={id} onRated={() => void load()} />
          </section>
        ))}
      <section aria-labelledby="conversation-title">
        <h2 id="conversation-title">{t("portal.conversation")}</h2>
        <p class="body" data-testid="ticket-description">
          {ticket.description}
        </p>
        <Timeline entries={entries} customerView me={identity()?.sub} />
      </section>
      <TicketFiles ticket={ticket} entries={entries} />
      {ticket.status === "resolved" && (
        <div role="group">
          <button type="button" class="secondary" data-testid="reopen" disabled={busy} onClick={() => run(() => transition(id, { to: "open" }))}>
            {t("portal.reopen")}
          </button>
          <button type="button" data-testid="close" disabled={busy} onClick={() => run(() => transition(id, { to: "closed" }))}>
            {t("portal.close")}
          </button>
        </div>
      )}
      {ticket.status !== "closed" && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (body.trim()) void run(async () => {
              await addMessage(id, { body, visibility: "public" });
              setBody("");
            });
          }}
        >
          <label>
            {t("portal.reply")}
            <textarea
              data-testid="reply-body"
              rows={3}
              value={body}
              placeholder={t("portal.replyPlaceholder")}
              onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button type="submit" data-testid="send-reply" disabled={busy || !body.trim()}>
            {t("portal.send")}
          </button>
        </form>
      )}
    </Layout>
  );
}
