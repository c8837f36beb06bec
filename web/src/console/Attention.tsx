import { useState } from "preact/hooks";
import type { Ticket } from "../api/tickets";
import { t, tv, type MessageKey } from "../i18n";
import { useNow, usePoll } from "../lib/hooks";
import { slaCountdown } from "../lib/sla";
import { slaText } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { ConsoleLayout } from "./ConsoleLayout";
import { attentionTickets, byUrgency, type AttentionKind } from "./attention";
import { Reassign } from "./Reassign";

const REFRESH_MS = 15_000;

function AttentionTable({ kind, title }: { kind: AttentionKind; title: MessageKey }) {
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow();
  const load = async () => {
    try {
      setTickets(await attentionTickets(kind));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, REFRESH_MS, [kind]);

  return (
    <section aria-labelledby={`${kind}-title`} data-testid={`attention-${kind}`}>
      <h2 id={`${kind}-title`}>{t(title)}</h2>
      <ErrorMessage error={error} onRetry={load} />
      {tickets && tickets.length === 0 && <p>{t("attention.none")}</p>}
      {tickets && tickets.length > 0 && (
        <div class="overflow-auto">
          <table class="striped">
            <thead>
              <tr>
                <th scope="col">{t("queue.col.ticket")}</th>
                <th scope="col">{t("queue.col.subject")}</th>
                <th scope="col">{t("queue.col.priority")}</th>
                <th scope="col">{t("ticket.group")}</th>
                <th scope="col">{t("ticket.escalation")}</th>
                <th scope="col">{t("queue.col.sla")}</th>
                <th scope="col">{t("ticket.assignee")}</th>
                <th scope="col">{t("teams.reassign")}</th>
              </tr>
            </thead>
            <tbody>
              {byUrgency(tickets, now).map((ticket) => {
                const countdown = slaCountdown(ticket, now);
                return (
                  <tr key={ticket.id} data-ticket={ticket.id}>
                    <td>
                      <a href={`/tickets/${encodeURIComponent(ticket.id)}`}>{ticket.id}</a>
                    </td>
                    <td class="subject">{ticket.subject}</td>
                    <td>{tv("priority", ticket.priority)}</td>
                    <td>{ticket.groupId ?? t("ticket.none")}</td>
                    <td>{ticket.escalationLevel}</td>
                    <td class={`sla sla-${countdown.urgency}`}>{slaText(countdown)}</td>
                    <td>{ticket.assigneeId ?? t("queue.unassigned")}</td>
                    <td>
                      <Reassign ticket={ticket} onDone={load} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Attention() {
  return (
    <ConsoleLayout title="console.attention">
      <AttentionTable kind="escalated" title="attention.escalated" />
      <AttentionTable kind="atRisk" title="attention.atRisk" />
    </ConsoleLayout>
  );
}

export default Attention;
