import { describe, expect, it } from "vitest";
import { currentStep, nextStep } from "./progress";

describe("a customer's view of progress", () => {
  it("maps each status to a step", () => {
    expect((["new", "open", "pending", "resolved", "closed"] as const).map(currentStep)).toEqual([
      "received",
      "handling",
      "waiting",
      "resolved",
      "resolved",
    ]);
  });

  it("says what happens next and by when", () => {
    const sla = { firstResponseDue: "2026-12-01T01:00:00Z", breaches: [], escalated: [] };
    expect(nextStep({ status: "new", sla })).toEqual({ key: "portal.next.new", due: "2026-12-01T01:00:00Z" });
    expect(nextStep({ status: "open", sla })).toEqual({ key: "portal.next.openNoDue", due: null });
  });
});
