// Rating a resolved ticket from its page: the same answer a survey link takes, once per ticket.
import type { components } from "../api/schema";
import { request } from "../api/client";
import type { TimelineEntry } from "../api/tickets";

type Schemas = components["schemas"];
export type SurveyAnswer = Schemas["SurveyAnswer"];
export type SurveyResult = Schemas["SurveyResult"];

export async function rateTicket(ticketId: string, answer: SurveyAnswer): Promise<SurveyResult> {
  return (await request<SurveyResult>("POST", `/tickets/${encodeURIComponent(ticketId)}/rating`, { body: answer })).data;
}

/** The rating already given (here or by the e-mailed link): its public survey entry, or null. */
export function givenRating(entries: TimelineEntry[]): { csat: number; comment: string | null } | null {
  const entry = entries.find((e) => e.kind === "survey" && e.visibility === "public" && e.data?.event === "answered");
  if (!entry) return null;
  return { csat: Number(entry.data?.csat), comment: entry.body ?? null };
}
