import { describe, expect, it } from "vitest";
import { addDays, deskDate, lastDays, periodProblem } from "./period";

describe("the dashboard's period", () => {
  it("takes the date on the desk's clock, not UTC's", () => {
    expect(deskDate(new Date("2026-11-30T17:30:00Z"), "Asia/Shanghai")).toBe("2026-12-01");
    expect(deskDate(new Date("2026-11-30T17:30:00Z"), "UTC")).toBe("2026-11-30");
  });

  it("moves across month and year ends", () => {
    expect(addDays("2026-12-30", 3)).toBe("2027-01-02");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
  });

  it("the last seven days end today", () => {
    expect(lastDays(7, new Date("2026-12-03T08:00:00Z"), "Asia/Shanghai")).toEqual({ from: "2026-11-27", to: "2026-12-03" });
  });

  it("refuses a reversed period and one beyond the API's 400 days", () => {
    expect(periodProblem({ from: "2026-12-02", to: "2026-12-01" })).toBe("order");
    expect(periodProblem({ from: "2025-01-01", to: "2026-12-01" })).toBe("length");
    expect(periodProblem({ from: "2026-01-01", to: "2026-12-01" })).toBeNull();
  });
});
