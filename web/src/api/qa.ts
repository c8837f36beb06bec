// Quality inspection (质检): the review queue and workflow, a month's coverage, agents' scorecards. Only the QA
// screens import this, so it travels in their lazily loaded chunk.
import type { components } from "./schema";
import { request } from "./client";

type Schemas = components["schemas"];
export type Review = Schemas["Review"];
export type ReviewPage = Schemas["ReviewPage"];
export type ReviewStatus = Schemas["ReviewStatus"];
export type Rubric = Schemas["Rubric"];
export type RubricItem = Schemas["RubricItem"];
export type ItemScore = Schemas["ItemScore"];
export type ScoreRequest = Schemas["ScoreRequest"];
export type Coverage = Schemas["Coverage"];
export type CoverageRow = Schemas["CoverageRow"];
export type Scorecard = Schemas["Scorecard"];
export type Figure = Schemas["Figure"];
export type Finding = Schemas["Finding"];
export type Outcome = Schemas["DecisionRequest"]["outcome"];

export const REVIEW_STATUSES: ReviewStatus[] = ["pending", "scored", "acknowledged", "appealed", "upheld", "overturned"];

export interface ReviewQuery {
  status?: ReviewStatus;
  agent?: string;
  month?: string;
  reviewer?: string;
  cursor?: string;
  limit?: number;
}

const review = (id: string) => `/qa/reviews/${encodeURIComponent(id)}`;

export async function listReviews(query: ReviewQuery): Promise<ReviewPage> {
  return (await request<ReviewPage>("GET", "/qa/reviews", { query: { ...query } })).data;
}

export async function getReview(id: string): Promise<Review> {
  return (await request<Review>("GET", review(id))).data;
}

export async function scoreReview(id: string, body: ScoreRequest): Promise<Review> {
  return (await request<Review>("POST", `${review(id)}/score`, { body })).data;
}

export async function acknowledgeReview(id: string, note: string): Promise<Review> {
  return (await request<Review>("POST", `${review(id)}/acknowledge`, { body: note ? { note } : {} })).data;
}

export async function appealReview(id: string, reason: string): Promise<Review> {
  return (await request<Review>("POST", `${review(id)}/appeal`, { body: { reason } })).data;
}

export async function decideAppeal(id: string, outcome: Outcome, note: string): Promise<Review> {
  return (await request<Review>("POST", `${review(id)}/decision`, { body: { outcome, note: note || null } })).data;
}

export async function monthCoverage(month: string): Promise<Coverage> {
  return (await request<Coverage>("GET", "/qa/coverage", { query: { month } })).data;
}

/** `agent` left out: the caller's own scorecard (agents); reviewers and supervisors name the agent. */
export async function scorecard(month: string, agent?: string): Promise<Scorecard> {
  return (await request<Scorecard>("GET", "/qa/scorecards", { query: { month, agent } })).data;
}
