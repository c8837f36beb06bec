import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import {
  CATEGORIES,
  PRIORITIES,
  getTicket,
  patchTicket,
  timeline as readTimeline,
  transition,
  assign,
  type Status,
  type Ticket,
  type TicketPatch,
  type TimelineEntry,
} from "../api/tickets";
import { listGroups, roster, type Group, type GroupMember } from "../api/agents";
import { ApiError } from "../api/client";
import { identity } from "../auth";
import { t, tv, type MessageKey } from "../i18n";
import { useNow, usePoll } from "../lib/hooks";
import { slaCountdown } from "../lib/sla";
import { dateTime, slaText } from "../lib/format";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { NotFound } from "../shell/NotFound";
import { ConflictDialog } from "./ConflictDialog";
import { ReplyEditor, type ReplyEditorHandle } from "./ReplyEditor";
import { shortcutOf } from "./shortcuts";
import { ResolveDialog } from "./ResolveDialog";
import { Timeline } from "./Timeline";
import { CustomerPanel } from "./CustomerPanel";
import { SuggestionsPanel } from "./SuggestionsPanel";
import { useHandleTime } from "./useHandleTime";

const REFRESH_MS = 5_000;
/** The next statuses an agent may move a ticket to (resolving asks for a resolution first). */
const NEXT: Record<Status, { to: Status; label: MessageKey }[]> = {
  new: [
    { to: "open", label: "ticket.toOpen" },
    { to: "pending", label: "ticket.toPending" },
  ],
  open: [{ to: "pending", label: "ticket.toPending" }],
  pending: [{ to: "open", label: "ticket.toOpen" }],
  resolved: [
    { to: "open", label: "ticket.reopen" },
    { to: "closed", label: "ticket.toClosed" },
  ],
  closed: [],
};

interface Loaded {
  ticket: Ticket;
  etag: string;
}

interface Conflict {
  read: Ticket;
  latest: Loaded;
  patch: TicketPatch;
}

function Field({ label, children }: { label: MessageKey; children: preact.ComponentChildren }) {
  return (
    <div>
      <dt>{t(label)}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Header({ ticket, now }: { ticket: Ticket; now: number }) {
  const countdown = slaCountdown(ticket, now);
  return (
    <dl class="ticket-header" data-testid="ticket-header">
      <Field label="ticket.status">
        <span data-testid="ticket-status">{tv("status", ticket.status)}</span>
      </Field>
      <Field label="ticket.priority">{tv("priority", ticket.priority)}</Field>
      <Field label="ticket.category">{ticket.category ? tv("category", ticket.category) : t("category.none")}</Field>
      <Field label="ticket.channel">{tv("channel", ticket.channel)}</Field>
      <Field label="ticket.customer">
        {ticket.customerId} · {tv("tier", ticket.customerTier)}
      </Field>
      <Field label="ticket.owner">{ticket.ownerId ?? t("ticket.none")}</Field>
      <Field label="ticket.assignee">
        <span data-testid="ticket-assignee">{ticket.assigneeId ?? t("queue.unassigned")}</span>
      </Field>
      <Field label="ticket.group">{ticket.groupId ?? t("ticket.none")}</Field>
      <Field label="ticket.escalation">{ticket.escalationLevel}</Field>
      <Field label="ticket.firstResponseDue">{dateTime(ticket.sla?.firstResponseDue) || t("sla.none")}</Field>
      <Field label="ticket.resolutionDue">{dateTime(ticket.sla?.resolutionDue) || t("sla.none")}</Field>
      <Field label="queue.col.sla">
        <span class={`sla sla-${countdown.urgency}`}>{slaText(countdown)}</span>
      </Field>
      <Field label="ticket.created">{dateTime(ticket.createdAt)}</Field>
    </dl>
  );
}

export function TicketView({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [edit, setEdit] = useState<TicketPatch>({});
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [resolving, setResolving] = useState(false);
  const [groups, setGroups] = useState<Group[]>([]);
  const [members, setMembers] = useState<GroupMember[]>([]);
  const [agentId, setAgentId] = useState("");
  const [groupId, setGroupId] = useState("");
  const now = useNow();
  const editor = useRef<ReplyEditorHandle>(null);
  // Handle time runs while an open ticket is on screen; a closed one is only read, not worked.
  useHandleTime(id, !!loaded && loaded.ticket.status !== "closed");

  const refresh = async (replaceTicket: boolean) => {
    try {
      const [answer, timeline] = await Promise.all([getTicket(id), readTimeline(id)]);
      // A pending edit keeps the version it was made on: the 412 check needs the ETag the agent read.
      if (replaceTicket) setLoaded({ ticket: answer.data, etag: answer.etag ?? "*" });
      setEntries(timeline);
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.kind === "not-found") setMissing(true);
      else setError(err);
    }
  };
  const editing = Object.keys(edit).length > 0;
  usePoll(() => refresh(!editing && !conflict), REFRESH_MS, [id, editing, conflict]);

  useEffect(() => {
    listGroups().then(setGroups, setError);
  }, []);
  useEffect(() => {
    const group = loaded?.ticket.groupId;
    if (group) roster(group).then(setMembers, () => setMembers([]));
  }, [loaded?.ticket.groupId]);

  // A layout effect: the listener is in place as soon as the ticket is on screen (a key pressed right away counts).
  useLayoutEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutOf(event);
      if (!action || !loaded || loaded.ticket.status === "closed" || resolving || conflict) return;
      event.preventDefault();
      if (action === "take") void act(() => assign(id, { take: true }));
      else if (action === "resolve") setResolving(true);
      else if (action === "canned") editor.current?.focusSearch();
      else editor.current?.focus(action === "reply" ? "public" : "internal");
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  async function act(run: () => Promise<{ data: Ticket; etag: string | null }>) {
    try {
      const answer = await run();
      setLoaded({ ticket: answer.data, etag: answer.etag ?? "*" });
      setEntries(await readTimeline(id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }

  async function save(patch: TicketPatch, etag: string, read: Ticket) {
    try {
      const answer = await patchTicket(id, patch, etag);
      setLoaded({ ticket: answer.data, etag: answer.etag ?? "*" });
      setEdit({});
      setConflict(null);
      setEntries(await readTimeline(id));
    } catch (err) {
      if (err instanceof ApiError && err.kind === "stale") {
        const latest = await getTicket(id);
        setConflict({ read, latest: { ticket: latest.data, etag: latest.etag ?? "*" }, patch });
      } else setError(err);
    }
  }

  if (missing)
    return (
      <Layout>
        <NotFound />
      </Layout>
    );
  if (!loaded)
    return (
      <Layout>
        <ErrorMessage error={error} onRetry={() => refresh(true)} />
        {!error && <p aria-busy="true">{t("app.loading")}</p>}
      </Layout>
    );

  const ticket = loaded.ticket;
  const active = ticket.status !== "closed";
  return (
    <Layout>
      <p>
        <a href="/">{t("ticket.back")}</a>
      </p>
      <h1>
        <span class="ticket-id">{ticket.id}</span> <span data-testid="ticket-subject">{ticket.subject}</span>
      </h1>
      <ErrorMessage error={error} />
      <section aria-labelledby="header-title">
        <h2 id="header-title" class="visually-hidden">
          {t("ticket.header")}
        </h2>
        <Header ticket={ticket} now={now} />
      </section>
      <section aria-labelledby="description-title">
        <h2 id="description-title">{t("ticket.description")}</h2>
        <p class="body" data-testid="ticket-description">
          {ticket.description}
        </p>
        {ticket.attachments && ticket.attachments.length > 0 && (
          <ul aria-label={t("timeline.attachments")} data-testid="ticket-attachments">
            {ticket.attachments.map((file, index) => (
              <li key={`${index}-${file.name}`}>{file.url ? <a href={file.url}>{file.name}</a> : file.name}</li>
            ))}
          </ul>
        )}
      </section>
      {active && (
        <section aria-labelledby="actions-title" class="actions">
          <h2 id="actions-title">{t("ticket.actions")}</h2>
          <p>
            <small data-testid="shortcuts">{t("ticket.shortcuts")}</small>
          </p>
          <div class="grid">
            <label>
              {t("ticket.priority")}
              <select
                data-testid="edit-priority"
                value={edit.priority ?? ticket.priority}
                onChange={(e) => setEdit({ ...edit, priority: (e.target as HTMLSelectElement).value as Ticket["priority"] })}
              >
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {tv("priority", p)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("ticket.category")}
              <select
                data-testid="edit-category"
                value={edit.category ?? ticket.category ?? ""}
                onChange={(e) =>
                  setEdit({ ...edit, category: ((e.target as HTMLSelectElement).value || null) as Ticket["category"] })
                }
              >
                <option value="">{t("category.none")}</option>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {tv("category", c)}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              data-testid="save-ticket"
              disabled={!editing}
              onClick={() => save(edit, loaded.etag, ticket)}
            >
              {t("ticket.save")}
            </button>
          </div>
          <div role="group" aria-label={t("ticket.transition")}>
            {ticket.assigneeId !== identity()?.sub && (
              <button type="button" data-testid="take" onClick={() => act(() => assign(id, { take: true }))}>
                {t("ticket.take")}
              </button>
            )}
            {NEXT[ticket.status].map((next) => (
              <button
                key={next.to}
                type="button"
                class="secondary"
                data-testid={`to-${next.to}`}
                onClick={() => act(() => transition(id, { to: next.to }))}
              >
                {t(next.label)}
              </button>
            ))}
            {ticket.status !== "resolved" && (
              <button type="button" class="contrast" data-testid="resolve" onClick={() => setResolving(true)}>
                {t("ticket.toResolved")}
              </button>
            )}
          </div>
          <div class="grid">
            <label>
              {t("ticket.assignTo")}
              <select data-testid="assign-agent" value={agentId} onChange={(e) => setAgentId((e.target as HTMLSelectElement).value)}>
                <option value="">{t("ticket.agentPick")}</option>
                {members.map((m) => (
                  <option key={m.agentId} value={m.agentId}>
                    {m.name ?? m.agentId} ({tv("availability", m.availability)}, {m.load}/{m.capacity})
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="secondary" disabled={!agentId} onClick={() => act(() => assign(id, { take: false, agentId }))}>
              {t("ticket.assign")}
            </button>
            <label>
              {t("ticket.transferTo")}
              <select data-testid="transfer-group" value={groupId} onChange={(e) => setGroupId((e.target as HTMLSelectElement).value)}>
                <option value="">{t("queue.groupPick")}</option>
                {groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="secondary" disabled={!groupId} onClick={() => act(() => assign(id, { take: false, groupId }))}>
              {t("ticket.transfer")}
            </button>
          </div>
        </section>
      )}
      <div class="ticket-columns">
        <div>
          {active && (
            <ReplyEditor
              handle={editor}
              ticketId={id}
              groupId={ticket.groupId}
              onSent={(entry) => setEntries([...entries, entry])}
            />
          )}
          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t("ticket.timeline")}</h2>
            <Timeline entries={entries} />
          </section>
        </div>
        <aside>
          <CustomerPanel customerId={ticket.customerId} ticketId={ticket.id} />
          {active && (
            <SuggestionsPanel
              ticketId={id}
              version={entries.length}
              onInsert={(replyId) => void editor.current?.insertReply(replyId)}
            />
          )}
        </aside>
      </div>
      {resolving && (
        <ResolveDialog
          onCancel={() => setResolving(false)}
          onResolve={async (resolution, note) => {
            setResolving(false);
            await act(() => transition(id, { to: "resolved", resolution, note }));
          }}
        />
      )}
      {conflict && (
        <ConflictDialog
          read={conflict.read}
          latest={conflict.latest.ticket}
          onDiscard={() => {
            setLoaded(conflict.latest);
            setEdit({});
            setConflict(null);
          }}
          onRetry={() => {
            setLoaded(conflict.latest);
            void save(conflict.patch, conflict.latest.etag, conflict.latest.ticket);
          }}
        />
      )}
    </Layout>
  );
}
