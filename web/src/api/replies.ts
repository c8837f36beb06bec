// Canned replies (话术) and knowledge suggestions for a ticket: searched, then filled in for the ticket by the API.
import type { components } from "./schema";
import { request } from "./client";
import type { Page } from "./tickets";

type Schemas = components["schemas"];
export type Reply = Schemas["Reply"];
export type Rendered = Schemas["Rendered"];
export type Suggestions = Schemas["Suggestions"];
export type SuggestedArticle = Schemas["SuggestedArticle"];
export type SuggestedReply = Schemas["SuggestedReply"];

/** The API refuses a search without a word in it (400): such a query lists the group's replies instead. */
export function searchable(q: string): string | undefined {
  const trimmed = q.trim();
  return /[\p{L}\p{N}]/u.test(trimmed) ? trimmed : undefined;
}

export async function searchReplies(q: string, group: string | null | undefined, limit = 10): Promise<Reply[]> {
  const query = { q: searchable(q), group: group ?? undefined, limit };
  return (await request<Page<Reply>>("GET", "/replies", { query })).data.items;
}

/** The reply with its placeholders filled for the ticket (customer name, ticket id, due times…). */
export async function renderReply(replyId: string, ticketId: string): Promise<string> {
  const path = `/replies/${encodeURIComponent(replyId)}/render`;
  return (await request<Rendered>("POST", path, { body: { ticketId } })).data.text;
}

export async function suggestions(ticketId: string): Promise<Suggestions> {
  return (await request<Suggestions>("GET", `/tickets/${encodeURIComponent(ticketId)}/suggestions`)).data;
}
