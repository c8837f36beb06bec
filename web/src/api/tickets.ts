// Tickets: list, read, open, change, converse, move through the lifecycle, hand over.
import type { components } from "./schema";
import { request, type Answer } from "./client";

type Schemas = components["schemas"];
export type Ticket = Schemas["Ticket"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type Status = Schemas["Status"];
export type Priority = Schemas["Priority"];
export type Category = Schemas["Category"];
export type Channel = Schemas["Channel"];
export type NewTicket = Schemas["NewTicket"];
export type TicketPatch = Schemas["TicketPatch"];
export type NewMessage = Schemas["NewMessage"];
export type TransitionRequest = Schemas["TransitionRequest"];
export type AssignRequest = Schemas["AssignRequest"];
export type ResolutionKind = Schemas["ResolutionKind"];

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export const STATUSES: Status[] = ["new", "open", "pending", "resolved", "closed"];
export const PRIORITIES: Priority[] = ["P1", "P2", "P3", "P4"];
export const CATEGORIES: Category[] = [
  "consultation",
  "order",
  "payment",
  "logistics",
  "after_sales",
  "technical",
  "complaint",
  "suggestion",
];
export const CHANNELS: Channel[] = ["web", "app", "email", "phone", "chat", "social", "feedback"];
export const RESOLUTION_KINDS: ResolutionKind[] = ["answer", "reship", "refund", "exchange", "coupon", "points", "other"];

export interface ListQuery {
  status?: Status;
  group?: string;
  assignee?: string;
  /** Ownership and escalation views (docs/architecture.md): `owner=me`, `escalated=true`, `atRisk=true`. */
  owner?: string;
  escalated?: boolean;
  atRisk?: boolean;
  cursor?: string;
  limit?: number;
}

export async function listTickets(query: ListQuery): Promise<Page<Ticket>> {
  return (await request<Page<Ticket>>("GET", "/tickets", { query: { ...query } })).data;
}

/** Every page of a list, up to `max` tickets (a queue is read whole so that it can be sorted as the desk works). */
export async function listAllTickets(query: ListQuery, max = 500): Promise<Ticket[]> {
  const items: Ticket[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTickets({ ...query, cursor, limit: 100 });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < max);
  return items;
}

export function getTicket(id: string): Promise<Answer<Ticket>> {
  return request<Ticket>("GET", `/tickets/${encodeURIComponent(id)}`);
}

export function openTicket(body: NewTicket, idempotencyKey: string): Promise<Answer<Ticket>> {
  return request<Ticket>("POST", "/tickets", { body, headers: { "Idempotency-Key": idempotencyKey } });
}

export function patchTicket(id: string, body: TicketPatch, etag: string): Promise<Answer<Ticket>> {
  return request<Ticket>("PATCH", `/tickets/${encodeURIComponent(id)}`, { body, headers: { "If-Match": etag } });
}

export async function timeline(id: string): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await request<Page<TimelineEntry>>("GET", `/tickets/${encodeURIComponent(id)}/timeline`, {
      query: { cursor, limit: 100 },
    });
    entries.push(...page.data.items);
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor);
  return entries;
}

export async function addMessage(id: string, body: NewMessage): Promise<TimelineEntry> {
  return (await request<TimelineEntry>("POST", `/tickets/${encodeURIComponent(id)}/messages`, { body })).data;
}

export function transition(id: string, body: TransitionRequest): Promise<Answer<Ticket>> {
  return request<Ticket>("POST", `/tickets/${encodeURIComponent(id)}/transition`, { body });
}

export function assign(id: string, body: AssignRequest): Promise<Answer<Ticket>> {
  return request<Ticket>("POST", `/tickets/${encodeURIComponent(id)}/assign`, { body });
}

/** Handle time worked on the ticket; `keepalive` when sent as the page goes away. */
export async function recordWork(id: string, seconds: number, keepalive = false): Promise<void> {
  await request<unknown>("POST", `/tickets/${encodeURIComponent(id)}/work`, { body: { seconds }, keepalive });
}
