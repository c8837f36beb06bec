// The SLA countdown a queue row and a ticket header show: the next target still open, time left, how urgent.
import type { Ticket } from "../api/tickets";

export type SlaTarget = "firstResponse" | "resolution";
export type SlaUrgency = "ok" | "soon" | "near" | "breached" | "paused" | "met";

export interface SlaCountdown {
  target: SlaTarget | null;
  due: string | null;
  remainingMs: number | null;
  urgency: SlaUrgency;
}

/** Under this much time left a row turns amber, under NEAR_MS red. */
export const SOON_MS = 2 * 3600 * 1000;
export const NEAR_MS = 30 * 60 * 1000;

export function slaCountdown(ticket: Pick<Ticket, "sla" | "status">, now: number): SlaCountdown {
  const sla = ticket.sla ?? {};
  if (ticket.status === "resolved" || ticket.status === "closed") {
    return { target: null, due: null, remainingMs: null, urgency: "met" };
  }
  const target: SlaTarget = sla.firstResponseAt ? "resolution" : "firstResponse";
  const due = target === "firstResponse" ? sla.firstResponseDue : sla.resolutionDue;
  if (!due) {
    // Due times are withheld while the ticket waits on the customer.
    return { target, due: null, remainingMs: null, urgency: ticket.status === "pending" ? "paused" : "ok" };
  }
  let remainingMs = new Date(due).getTime() - now;
  // The desk's clock has the last word: a target it recorded as breached is overdue even if this browser's clock
  // (slow, or a local stack running on virtual time) still counts down to it.
  if (sla.breaches?.includes(target === "firstResponse" ? "first_response" : "resolution")) {
    remainingMs = Math.min(remainingMs, -1);
  }
  const urgency: SlaUrgency = remainingMs < 0 ? "breached" : remainingMs < NEAR_MS ? "near" : remainingMs < SOON_MS ? "soon" : "ok";
  return { target, due, remainingMs, urgency };
}
