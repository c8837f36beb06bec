// How the desk orders and filters a queue: priority first (P1 on top), then age (the longest waiting first).
import type { Category, Channel, Priority, Status, Ticket } from "../api/tickets";

export interface QueueFilters {
  priority?: Priority | "";
  category?: Category | "";
  channel?: Channel | "";
}

const RANK: Record<Priority, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

export function deskOrder(a: Ticket, b: Ticket): number {
  return RANK[a.priority] - RANK[b.priority] || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

export function applyFilters(tickets: Ticket[], filters: QueueFilters): Ticket[] {
  return tickets
    .filter(
      (ticket) =>
        (!filters.priority || ticket.priority === filters.priority) &&
        (!filters.category || ticket.category === filters.category) &&
        (!filters.channel || ticket.channel === filters.channel),
    )
    .sort(deskOrder);
}

/** Which list the API gives for a queue: the tickets an agent holds, those they own (took first, wherever they are
 * now), or a group's, each by status. */
export interface QueueSource {
  kind: "mine" | "owned" | "group";
  group: string;
  status: Status;
}

export function listQuery(source: QueueSource) {
  if (source.kind === "mine") return { assignee: "me", status: source.status };
  if (source.kind === "owned") return { owner: "me", status: source.status };
  return { group: source.group, status: source.status };
}
