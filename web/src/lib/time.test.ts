import { describe, expect, it } from "vitest";
import { durationParts, formatDateTime } from "./time";

describe("dates in the desk's time zone", () => {
  it("shows a UTC instant as Shanghai time, whatever the machine's zone", () => {
    expect(formatDateTime("2026-11-30T16:30:00Z", "en", "Asia/Shanghai")).toBe("12/01/2026, 00:30");
  });

  it("shows nothing for a missing or broken time", () => {
    expect(formatDateTime(null, "en", "Asia/Shanghai")).toBe("");
    expect(formatDateTime("not a time", "en", "Asia/Shanghai")).toBe("");
  });

  it("splits a duration into days, hours, minutes and seconds", () => {
    expect(durationParts(-((26 * 3600 + 5 * 60 + 7) * 1000))).toEqual({ negative: true, days: 1, hours: 2, minutes: 5, seconds: 7 });
  });
});
