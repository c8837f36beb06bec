// What changed between the ticket an agent read and the one the API holds now (a 412 on PATCH).
import type { Ticket } from "../api/tickets";

export type ConflictField = "status" | "priority" | "category" | "tags" | "assigneeId" | "groupId" | "escalationLevel";

export const CONFLICT_FIELDS: ConflictField[] = [
  "status",
  "priority",
  "category",
  "tags",
  "assigneeId",
  "groupId",
  "escalationLevel",
];

export interface Change {
  field: ConflictField;
  before: string;
  after: string;
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  return value === null || value === undefined ? "" : String(value);
}

export function changesBetween(read: Ticket, latest: Ticket): Change[] {
  return CONFLICT_FIELDS.map((field) => ({ field, before: shown(read[field]), after: shown(latest[field]) })).filter(
    (change) => change.before !== change.after,
  );
}
