// Where a review stands for the agent reviewed: waiting for scores, open to acknowledge or appeal until
// `respondBy` (the server refuses both after it with a 409), answered, or a calibration review nobody answers.
import type { Review } from "../api/qa";

export type WindowState =
  | { kind: "unscored" }
  | { kind: "open"; closesAt: string | null; remainingMs: number | null }
  | { kind: "closed"; closedAt: string }
  | { kind: "answered" }
  | { kind: "calibration" };

export function reviewWindow(review: Pick<Review, "status" | "respondBy" | "calibration">, now: number): WindowState {
  if (review.calibration) return { kind: "calibration" };
  if (review.status === "pending") return { kind: "unscored" };
  if (review.status !== "scored") return { kind: "answered" };
  if (!review.respondBy) return { kind: "open", closesAt: null, remainingMs: null };
  const closes = Date.parse(review.respondBy);
  // The server compares `now > respondBy`: the closing instant itself is still inside the window.
  if (now > closes) return { kind: "closed", closedAt: review.respondBy };
  return { kind: "open", closesAt: review.respondBy, remainingMs: closes - now };
}

/** Whether `sub` may acknowledge or appeal the review now: only the agent reviewed, only while the window is open. */
export function canAnswer(review: Review, sub: string | null, now: number): boolean {
  return !!sub && review.agentId === sub && reviewWindow(review, now).kind === "open";
}
