// The review queue's filters: kept in the address (a filtered queue can be bookmarked and shared) and turned into
// the listing's query, which takes an agent or a reviewer, never both (the API answers 400 to both).
import { REVIEW_STATUSES, type ReviewQuery, type ReviewStatus } from "../api/qa";

export type ReviewerFilter = "" | "me" | "none";

export interface QueueFilters {
  status: ReviewStatus;
  /** An agent id: that agent's reviews (the reviewer filter then does not apply). */
  agent: string;
  /** `me`: the reviews I hold; `none`: those nobody holds yet; "": all. */
  reviewer: ReviewerFilter;
  /** yyyy-mm, or "" for every month. */
  month: string;
}

export const DEFAULT_FILTERS: QueueFilters = { status: "pending", agent: "", reviewer: "", month: "" };

const AGENT_ID = /^[A-Za-z0-9][\w\-.@:+]{0,127}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The filters an address carries; anything unreadable falls back to the default. */
export function parseFilters(search: string): QueueFilters {
  const params = new URLSearchParams(search);
  const status = params.get("status") as ReviewStatus | null;
  const agent = (params.get("agent") ?? "").trim();
  const reviewer = params.get("reviewer");
  const month = params.get("month") ?? "";
  return {
    status: status && REVIEW_STATUSES.includes(status) ? status : DEFAULT_FILTERS.status,
    agent: AGENT_ID.test(agent) ? agent : "",
    reviewer: reviewer === "me" || reviewer === "none" ? reviewer : "",
    month: MONTH.test(month) ? month : "",
  };
}

/** The address's query for the filters (defaults left out, so the plain queue's address stays plain). */
export function filtersSearch(filters: QueueFilters): string {
  const params = new URLSearchParams();
  if (filters.status !== DEFAULT_FILTERS.status) params.set("status", filters.status);
  if (filters.agent) params.set("agent", filters.agent);
  else if (filters.reviewer) params.set("reviewer", filters.reviewer);
  if (filters.month) params.set("month", filters.month);
  const search = params.toString();
  return search ? `?${search}` : "";
}

/** What is wrong with a typed agent id, or null (an empty one means every agent). */
export function agentProblem(agent: string): "invalid" | null {
  const trimmed = agent.trim();
  return trimmed === "" || AGENT_ID.test(trimmed) ? null : "invalid";
}

/** The listing's query: an agent's reviews when one is named, else the status's queue narrowed by reviewer. */
export function reviewQuery(filters: QueueFilters, cursor?: string): ReviewQuery {
  const query: ReviewQuery = { status: filters.status };
  if (filters.agent) query.agent = filters.agent;
  else if (filters.reviewer) query.reviewer = filters.reviewer;
  if (filters.month) query.month = filters.month;
  if (cursor) query.cursor = cursor;
  return query;
}
