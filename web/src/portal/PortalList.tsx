import { useState } from "preact/hooks";
import { listAllTickets, type Ticket } from "../api/tickets";
import { t, tv } from "../i18n";
import { usePoll } from "../lib/hooks";
import { dateTime } from "../lib/format";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { nextStep } from "./progress";

export function PortalList() {
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async () => {
    try {
      setTickets(await listAllTickets({}, 200));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, 10_000, []);

  return (
    <Layout>
      <h1>{t("portal.title")}</h1>
      <p>
        <a href="/portal/new" role="button" data-testid="new-ticket">
          {t("portal.new")}
        </a>{" "}
        <a href="/portal/profile" role="button" class="secondary outline" data-testid="profile-link">
          {t("profile.link")}
        </a>
      </p>
      <ErrorMessage error={error} onRetry={load} />
      {tickets && tickets.length === 0 && <p>{t("portal.empty")}</p>}
      {tickets && tickets.length > 0 && (
        <ul class="cards" data-testid="my-tickets">
          {tickets.map((ticket) => {
            const next = nextStep(ticket);
            return (
              <li key={ticket.id}>
                <article>
                  <header>
                    <a href={`/portal/tickets/${ticket.id}`}>{ticket.subject}</a>
                  </header>
                  <p>
                    <span class="badge">{tv("status", ticket.status)}</span> <small>{ticket.id} · {dateTime(ticket.createdAt)}</small>
                  </p>
                  <p>
                    <small>{t(next.key, { due: next.due ? dateTime(next.due) : "" })}</small>
                  </p>
                </article>
              </li>
            );
          })}
        </ul>
      )}
    </Layout>
  );
}
