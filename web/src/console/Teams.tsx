import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { listGroups, roster, type Group, type GroupMember } from "../api/agents";
import { listAllTickets, type Ticket } from "../api/tickets";
import { t, tv } from "../i18n";
import { usePoll } from "../lib/hooks";
import { ErrorMessage } from "../shell/ErrorMessage";
import { ConsoleLayout } from "./ConsoleLayout";
import { Reassign } from "./Reassign";

const REFRESH_MS = 15_000;

/** An agent's open tickets, each one reassignable to someone else in its group. */
function AgentTickets({ agentId }: { agentId: string }) {
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async () => {
    try {
      const all = await listAllTickets({ assignee: agentId }, 200);
      setTickets(all.filter((ticket) => ticket.status !== "closed" && ticket.status !== "resolved"));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), [agentId]);
  if (error) return <ErrorMessage error={error} onRetry={load} />;
  if (!tickets) return <p aria-busy="true">{t("app.loading")}</p>;
  if (tickets.length === 0) return <p>{t("teams.noTickets")}</p>;
  return (
    <ul class="cards" data-testid="agent-tickets">
      {tickets.map((ticket) => (
        <li key={ticket.id} data-ticket={ticket.id}>
          <a href={`/tickets/${encodeURIComponent(ticket.id)}`}>{ticket.id}</a> <span class="subject">{ticket.subject}</span>{" "}
          <small>
            {tv("status", ticket.status)} · {tv("priority", ticket.priority)}
          </small>
          <Reassign ticket={ticket} onDone={load} />
        </li>
      ))}
    </ul>
  );
}

function Roster({ group }: { group: Group }) {
  const [members, setMembers] = useState<GroupMember[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  usePoll(
    async () => {
      try {
        setMembers(await roster(group.id));
        setError(null);
      } catch (err) {
        setError(err);
      }
    },
    REFRESH_MS,
    [group.id],
  );

  return (
    <section aria-labelledby={`roster-${group.id}`} data-testid={`roster-${group.id}`}>
      <h2 id={`roster-${group.id}`}>
        {group.name} <small>({group.id})</small>
      </h2>
      <ErrorMessage error={error} />
      {members && members.length === 0 && <p>{t("teams.empty")}</p>}
      {members && members.length > 0 && (
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">{t("kpi.agent")}</th>
              <th scope="col">{t("teams.tier")}</th>
              <th scope="col">{t("teams.availability")}</th>
              <th scope="col">{t("teams.load")}</th>
              <th scope="col">{t("teams.tickets")}</th>
            </tr>
          </thead>
          <tbody>
            {members.map((member) => (
              <Fragment key={member.agentId}>
                <tr data-agent={member.agentId}>
                  <th scope="row">{member.name ?? member.agentId}</th>
                  <td>{member.tier}</td>
                  <td class={`availability-${member.availability}`}>{tv("availability", member.availability)}</td>
                  <td>
                    <progress value={member.load} max={Math.max(member.capacity, 1)} aria-label={t("teams.loadOf", { name: member.name ?? member.agentId })} />{" "}
                    {member.load}/{member.capacity}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="outline"
                      data-testid="show-tickets"
                      aria-expanded={open === member.agentId}
                      onClick={() => setOpen(open === member.agentId ? null : member.agentId)}
                    >
                      {t(open === member.agentId ? "teams.hideTickets" : "teams.showTickets")}
                    </button>
                  </td>
                </tr>
                {open === member.agentId && (
                  <tr>
                    <td colSpan={5}>
                      <AgentTickets agentId={member.agentId} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Teams() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    listGroups().then(setGroups, setError);
  }, []);
  return (
    <ConsoleLayout title="console.teams">
      <ErrorMessage error={error} />
      {!groups && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {groups?.map((group) => <Roster key={group.id} group={group} />)}
    </ConsoleLayout>
  );
}

export default Teams;
