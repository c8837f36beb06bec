import { describe, expect, it } from "vitest";
import type { Review } from "../api/qa";
import { canAnswer, reviewWindow } from "./window";

const CLOSES = "2026-12-10T08:00:00Z";
const at = (iso: string) => Date.parse(iso);
const review = (patch: Partial<Review>) =>
  ({ status: "scored", respondBy: CLOSES, calibration: false, agentId: "agent-li", ...patch }) as Review;

describe("the window to acknowledge or appeal", () => {
  it("is open until respondBy, the closing instant included (the server refuses only after it)", () => {
    expect(reviewWindow(review({}), at("2026-12-09T08:00:00Z"))).toEqual({
      kind: "open",
      closesAt: CLOSES,
      remainingMs: 86_400_000,
    });
    expect(reviewWindow(review({}), at(CLOSES)).kind).toBe("open");
    expect(reviewWindow(review({}), at(CLOSES) + 1)).toEqual({ kind: "closed", closedAt: CLOSES });
  });

  it("has nothing to answer before scoring, after an answer, or on a calibration review", () => {
    const now = at("2026-12-01T00:00:00Z");
    expect(reviewWindow(review({ status: "pending", respondBy: null }), now).kind).toBe("unscored");
    for (const status of ["acknowledged", "appealed", "upheld", "overturned"] as const) {
      expect(reviewWindow(review({ status }), now).kind).toBe("answered");
    }
    expect(reviewWindow(review({ calibration: true }), now).kind).toBe("calibration");
  });

  it("lets only the agent reviewed answer, and only while it is open", () => {
    const before = at("2026-12-09T00:00:00Z");
    expect(canAnswer(review({}), "agent-li", before)).toBe(true);
    expect(canAnswer(review({}), "agent-chen", before)).toBe(false);
    expect(canAnswer(review({}), null, before)).toBe(false);
    expect(canAnswer(review({}), "agent-li", at("2026-12-11T00:00:00Z"))).toBe(false);
    expect(canAnswer(review({ status: "acknowledged" }), "agent-li", before)).toBe(false);
  });
});
