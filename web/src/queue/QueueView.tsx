import { useEffect, useState } from "preact/hooks";
import { CATEGORIES, CHANNELS, PRIORITIES, STATUSES, listAllTickets, type Ticket } from "../api/tickets";
import { listGroups, type Group } from "../api/agents";
import { t, tv, type MessageKey } from "../i18n";
import { useNow, usePoll } from "../lib/hooks";
import { slaCountdown } from "../lib/sla";
import { dateTime, duration, slaText } from "../lib/format";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { AvailabilityToggle } from "./AvailabilityToggle";
import { applyFilters, listQuery, type QueueFilters, type QueueSource } from "./queue";

const REFRESH_MS = 10_000;

function Select(props: {
  label: MessageKey;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  testid: string;
}) {
  return (
    <label>
      {t(props.label)}
      <select
        data-testid={props.testid}
        value={props.value}
        onChange={(event) => props.onChange((event.target as HTMLSelectElement).value)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function QueueRow({ ticket, now }: { ticket: Ticket; now: number }) {
  const countdown = slaCountdown(ticket, now);
  return (
    <tr data-ticket={ticket.id}>
      <td>
        <a href={`/tickets/${ticket.id}`}>{ticket.id}</a>
      </td>
      <td class="subject">{ticket.subject}</td>
      <td>
        <span class={`badge priority-${ticket.priority}`}>{tv("priority", ticket.priority)}</span>
      </td>
      <td>{tv("status", ticket.status)}</td>
      <td title={dateTime(ticket.createdAt)}>{duration(now - new Date(ticket.createdAt).getTime())}</td>
      <td class={`sla sla-${countdown.urgency}`} data-testid="sla">
        {slaText(countdown)}
      </td>
      <td>{ticket.assigneeId ?? t("queue.unassigned")}</td>
    </tr>
  );
}

export function QueueView() {
  const [groups, setGroups] = useState<Group[]>([]);
  const [source, setSource] = useState<QueueSource>({ kind: "group", group: "l1", status: "new" });
  const [filters, setFilters] = useState<QueueFilters>({});
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [refreshedAt, setRefreshedAt] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow();

  useEffect(() => {
    listGroups().then((found) => {
      setGroups(found);
      // The demo's first-line group is l1; a deployment that names its groups otherwise starts on its first one.
      if (found.length && !found.some((group) => group.id === source.group)) {
        setSource((current) => ({ ...current, group: found[0].id }));
      }
    }, setError);
  }, []);

  const load = async () => {
    try {
      setTickets(await listAllTickets(listQuery(source)));
      setRefreshedAt(new Date().toISOString());
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, REFRESH_MS, [source.kind, source.group, source.status]);

  const any = { value: "", label: t("queue.any") };
  const shown = tickets ? applyFilters(tickets, filters) : [];
  return (
    <Layout extra={<AvailabilityToggle />}>
      <h1>{t("queue.title")}</h1>
      <div role="group" aria-label={t("queue.title")}>
        <button
          type="button"
          data-testid="queue-mine"
          aria-pressed={source.kind === "mine"}
          class={source.kind === "mine" ? "" : "outline"}
          onClick={() => setSource({ ...source, kind: "mine", status: "open" })}
        >
          {t("queue.mine")}
        </button>
        <button
          type="button"
          data-testid="queue-owned"
          aria-pressed={source.kind === "owned"}
          class={source.kind === "owned" ? "" : "outline"}
          onClick={() => setSource({ ...source, kind: "owned", status: "open" })}
        >
          {t("queue.owned")}
        </button>
        <button
          type="button"
          data-testid="queue-group"
          aria-pressed={source.kind === "group"}
          class={source.kind === "group" ? "" : "outline"}
          onClick={() => setSource({ ...source, kind: "group", status: "new" })}
        >
          {t("queue.group")}
        </button>
      </div>
      <fieldset class="filters grid">
        <legend>{t("queue.filters")}</legend>
        {source.kind === "group" && (
          <Select
            label="queue.groupPick"
            testid="filter-group"
            value={source.group}
            options={groups.map((group) => ({ value: group.id, label: group.name }))}
            onChange={(group) => setSource({ ...source, group })}
          />
        )}
        <Select
          label="queue.status"
          testid="filter-status"
          value={source.status}
          options={STATUSES.map((status) => ({ value: status, label: tv("status", status) }))}
          onChange={(status) => setSource({ ...source, status: status as QueueSource["status"] })}
        />
        <Select
          label="queue.priority"
          testid="filter-priority"
          value={filters.priority ?? ""}
          options={[any, ...PRIORITIES.map((p) => ({ value: p, label: tv("priority", p) }))]}
          onChange={(priority) => setFilters({ ...filters, priority: priority as QueueFilters["priority"] })}
        />
        <Select
          label="queue.category"
          testid="filter-category"
          value={filters.category ?? ""}
          options={[any, ...CATEGORIES.map((c) => ({ value: c, label: tv("category", c) }))]}
          onChange={(category) => setFilters({ ...filters, category: category as QueueFilters["category"] })}
        />
        <Select
          label="queue.channel"
          testid="filter-channel"
          value={filters.channel ?? ""}
          options={[any, ...CHANNELS.map((c) => ({ value: c, label: tv("channel", c) }))]}
          onChange={(channel) => setFilters({ ...filters, channel: channel as QueueFilters["channel"] })}
        />
      </fieldset>
      <ErrorMessage error={error} onRetry={load} />
      {tickets && (
        <p>
          <small>
            {t("queue.count", { count: shown.length })}
            {refreshedAt && ` · ${t("queue.refreshed", { time: dateTime(refreshedAt) })}`}
          </small>
        </p>
      )}
      {tickets && shown.length === 0 && <p>{t("queue.empty")}</p>}
      {shown.length > 0 && (
        <div class="overflow-auto">
          <table class="striped" data-testid="queue">
            <thead>
              <tr>
                <th scope="col">{t("queue.col.ticket")}</th>
                <th scope="col">{t("queue.col.subject")}</th>
                <th scope="col">{t("queue.col.priority")}</th>
                <th scope="col">{t("queue.col.status")}</th>
                <th scope="col">{t("queue.col.age")}</th>
                <th scope="col">{t("queue.col.sla")}</th>
                <th scope="col">{t("queue.col.assignee")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((ticket) => (
                <QueueRow key={ticket.id} ticket={ticket} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
