import { describe, expect, it } from "vitest";
import { homeOf, isCustomer, isReviewer, isStaff, isSupervisor, type Identity } from "../auth";

const who = (...groups: string[]): Identity => ({ sub: "someone", email: null, groups, expiresAt: 0 });

describe("who gets the QA screens", () => {
  it("reviewers are the qa group, supervisors and admins; agents are not", () => {
    expect(isReviewer(who("qa"))).toBe(true);
    expect(isReviewer(who("agent", "supervisor"))).toBe(true);
    expect(isReviewer(who("admin"))).toBe(true);
    expect(isReviewer(who("agent"))).toBe(false);
    expect(isReviewer(who())).toBe(false);
    expect(isReviewer(null)).toBe(false);
  });

  it("a qa-only login is neither staff nor a customer, and lands in the QA queue", () => {
    const reviewer = who("qa");
    expect(isStaff(reviewer)).toBe(false);
    expect(isSupervisor(reviewer)).toBe(false);
    expect(isCustomer(reviewer)).toBe(false);
    expect(homeOf(reviewer)).toBe("/qa");
  });

  it("others land where they did: staff in the workspace (a reviewing agent too), customers in the portal", () => {
    expect(homeOf(who("agent"))).toBe("/");
    expect(homeOf(who("agent", "qa"))).toBe("/");
    expect(homeOf(who())).toBe("/portal");
    expect(isCustomer(who())).toBe(true);
  });
});
