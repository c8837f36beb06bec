import { describe, expect, it } from "vitest";
import { MAX_SECONDS, WorkClock } from "./workclock";

describe("the handle-time clock", () => {
  it("counts only the time the tab is visible", () => {
    const clock = new WorkClock(0, true);
    clock.pause(10_000);
    clock.resume(70_000);
    expect(clock.take(75_000)).toBe(15);
  });

  it("hands each second out once, however often it is flushed", () => {
    const clock = new WorkClock(0, true);
    expect(clock.take(4_500)).toBe(4);
    expect(clock.take(4_500)).toBe(0);
    expect(clock.take(6_000)).toBe(2);
  });

  it("keeps the fraction of a second for the next flush", () => {
    const clock = new WorkClock(0, true);
    expect(clock.take(700)).toBe(0);
    expect(clock.take(1_400)).toBe(1);
    expect(clock.pending(1_400)).toBe(400);
  });

  it("does not count while hidden from the start", () => {
    const clock = new WorkClock(0, false);
    expect(clock.take(60_000)).toBe(0);
    clock.resume(60_000);
    expect(clock.take(63_000)).toBe(3);
  });

  it("sends at most the API's ceiling at once and keeps the rest", () => {
    const clock = new WorkClock(0, true);
    clock.pause((MAX_SECONDS + 5) * 1000);
    expect(clock.take((MAX_SECONDS + 5) * 1000)).toBe(MAX_SECONDS);
    expect(clock.take((MAX_SECONDS + 5) * 1000)).toBe(5);
  });

  it("pausing twice or resuming twice changes nothing", () => {
    const clock = new WorkClock(0, true);
    clock.resume(5_000);
    clock.pause(8_000);
    clock.pause(20_000);
    expect(clock.running).toBe(false);
    expect(clock.take(30_000)).toBe(8);
  });
});
