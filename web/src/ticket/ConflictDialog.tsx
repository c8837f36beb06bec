import { t, type MessageKey } from "../i18n";
import type { Ticket } from "../api/tickets";
import { Modal } from "../shell/Modal";
import { changesBetween } from "./conflict";

const LABELS: Record<string, MessageKey> = {
  status: "ticket.status",
  priority: "ticket.priority",
  category: "ticket.category",
  tags: "ticket.tags",
  assigneeId: "ticket.assignee",
  groupId: "ticket.group",
  escalationLevel: "ticket.escalation",
};

/** A 412: what changed since the agent read the ticket; they retry on the latest version or drop their change. */
export function ConflictDialog(props: { read: Ticket; latest: Ticket; onRetry: () => void; onDiscard: () => void }) {
  const changes = changesBetween(props.read, props.latest);
  return (
    <Modal labelledBy="conflict-title" testid="conflict-dialog" onCancel={props.onDiscard}>
      <article>
        <h2 id="conflict-title">{t("conflict.title")}</h2>
        <p>{t("conflict.body")}</p>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("conflict.field")}</th>
              <th scope="col">{t("conflict.yours")}</th>
              <th scope="col">{t("conflict.now")}</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>{t("conflict.version")}</td>
              <td>{props.read.version}</td>
              <td>{props.latest.version}</td>
            </tr>
            {changes.map((change) => (
              <tr key={change.field} data-field={change.field}>
                <td>{t(LABELS[change.field])}</td>
                <td>{change.before}</td>
                <td>{change.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <footer>
          <button type="button" class="secondary" onClick={props.onDiscard}>
            {t("conflict.discard")}
          </button>
          <button type="button" data-testid="conflict-retry" onClick={props.onRetry}>
            {t("conflict.retry")}
          </button>
        </footer>
      </article>
    </Modal>
  );
}
