// Tickets that need a supervisor across groups: the escalated ones and those at risk of breaching their SLA.
import { listAllTickets, type Ticket } from "../api/tickets";
import { slaCountdown } from "../lib/sla";

export type AttentionKind = "escalated" | "atRisk";

export async function attentionTickets(kind: AttentionKind, max = 200): Promise<Ticket[]> {
  const found = await listAllTickets(kind === "escalated" ? { escalated: true } : { atRisk: true }, max);
  // Escalated means raised at least one level: a ticket at level 0 in the answer is not one, whatever sent it.
  return kind === "escalated" ? found.filter((ticket) => ticket.escalationLevel > 0) : found;
}

/** Most urgent first: the least time left before a breach (breached ones first), then the highest escalation. */
export function byUrgency(tickets: Ticket[], now: number): Ticket[] {
  const left = (ticket: Ticket) => slaCountdown(ticket, now).remainingMs ?? Number.POSITIVE_INFINITY;
  return [...tickets].sort((a, b) => left(a) - left(b) || b.escalationLevel - a.escalationLevel || a.id.localeCompare(b.id));
}
