import { useEffect, useState } from "preact/hooks";
import { assign, type Ticket } from "../api/tickets";
import { roster, type GroupMember } from "../api/agents";
import { t, tv } from "../i18n";
import { errorText } from "../shell/ErrorMessage";

/** Hand a ticket to another agent of its group, picked by availability and load. */
export function Reassign({ ticket, onDone }: { ticket: Ticket; onDone: () => void }) {
  const [members, setMembers] = useState<GroupMember[]>([]);
  const [agentId, setAgentId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (ticket.groupId) roster(ticket.groupId).then(setMembers, () => setMembers([]));
  }, [ticket.groupId]);

  async function reassign() {
    setBusy(true);
    try {
      await assign(ticket.id, { take: false, agentId });
      setAgentId("");
      setError(null);
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const others = members.filter((member) => member.agentId !== ticket.assigneeId);
  return (
    <div class="reassign" role="group" aria-label={t("teams.reassignTicket", { id: ticket.id })}>
      <select
        aria-label={t("teams.reassignTo", { id: ticket.id })}
        data-testid="reassign-agent"
        value={agentId}
        onChange={(e) => setAgentId((e.target as HTMLSelectElement).value)}
      >
        <option value="">{t("ticket.agentPick")}</option>
        {others.map((member) => (
          <option key={member.agentId} value={member.agentId}>
            {member.name ?? member.agentId} ({tv("availability", member.availability)}, {member.load}/{member.capacity})
          </option>
        ))}
      </select>
      <button type="button" class="secondary" data-testid="reassign" disabled={!agentId || busy} aria-busy={busy} onClick={reassign}>
        {t("teams.reassign")}
      </button>
      {error && (
        <small role="alert" class="error">
          {error}
        </small>
      )}
    </div>
  );
}
