// A ticket's progress as its customer follows it: received → being handled → waiting for you → resolved.
import type { Status, Ticket } from "../api/tickets";
import type { MessageKey } from "../i18n";

export type Step = "received" | "handling" | "waiting" | "resolved";
export const STEPS: Step[] = ["received", "handling", "waiting", "resolved"];

const STEP_OF: Record<Status, Step> = {
  new: "received",
  open: "handling",
  pending: "waiting",
  resolved: "resolved",
  closed: "resolved",
};

export function currentStep(status: Status): Step {
  return STEP_OF[status];
}

/** What happens next and by when: the customer-visible due time of the next target, if any. */
export function nextStep(ticket: Pick<Ticket, "status" | "sla">): { key: MessageKey; due: string | null } {
  const sla = ticket.sla ?? {};
  switch (ticket.status) {
    case "new":
      return sla.firstResponseDue
        ? { key: "portal.next.new", due: sla.firstResponseDue }
        : { key: "portal.next.newNoDue", due: null };
    case "open":
      return sla.resolutionDue
        ? { key: "portal.next.open", due: sla.resolutionDue }
        : { key: "portal.next.openNoDue", due: null };
    case "pending":
      return { key: "portal.next.pending", due: null };
    case "resolved":
      return { key: "portal.next.resolved", due: null };
    case "closed":
      return { key: "portal.next.closed", due: null };
  }
}
