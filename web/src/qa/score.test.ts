import { describe, expect, it } from "vitest";
import type { Rubric } from "../api/qa";
import { itemPoints, preview, problemsByItem, roundHalfEven1, scoreItems, enteredOf } from "./score";

// The built-in rubric (kefu.qa.config.DEFAULT_RUBRIC): weights 10/15/25/15/10/20/5, identity and accuracy fatal.
const RUBRIC: Rubric = {
  version: "1",
  pass_mark: 80,
  items: [
    { id: "greeting", name: "开场问候 Greeting", weight: 10, max: 5, fatal: false },
    { id: "identity_check", name: "身份核验 Identity check", weight: 15, max: 5, fatal: true },
    { id: "accuracy", name: "信息准确 Accuracy", weight: 25, max: 5, fatal: true },
    { id: "script_compliance", name: "话术规范 Script compliance", weight: 15, max: 5, fatal: false },
    { id: "empathy", name: "同理心 Empathy", weight: 10, max: 5, fatal: false },
    { id: "resolution", name: "问题解决 Resolution", weight: 20, max: 5, fatal: false },
    { id: "closing", name: "结束语 Closing", weight: 5, max: 5, fatal: false },
  ],
};

const all = (points: number) => Object.fromEntries(RUBRIC.items.map((item) => [item.id, String(points)]));

describe("the total, as kefu.qa.rubric.total computes it", () => {
  it("is the weighted mean of points over the scale, times 100", () => {
    expect(preview(RUBRIC, all(5))).toMatchObject({ total: 100, passed: true, fatalFailed: [] });
    // 10·4 + 15·5 + 25·5 + 15·3 + 10·4 + 20·4 + 5·5 = 430 of 500 weighted points: 86.0
    const entered = { ...all(5), greeting: "4", script_compliance: "3", empathy: "4", resolution: "4" };
    expect(preview(RUBRIC, entered)).toMatchObject({ total: 86, passed: true });
  });

  it("fails below the pass mark, and passes at it exactly", () => {
    expect(preview(RUBRIC, all(4))).toMatchObject({ total: 80, passed: true });
    const below = { ...all(4), closing: "3" };
    expect(preview(RUBRIC, below)).toMatchObject({ total: 79, passed: false });
  });

  it("is 0 and fails when a fatal item scores 0, whatever the rest scored", () => {
    const result = preview(RUBRIC, { ...all(5), accuracy: "0" });
    expect(result).toMatchObject({ total: 0, passed: false, fatalFailed: ["accuracy"] });
    // A non-fatal item at 0 only costs its weight.
    expect(preview(RUBRIC, { ...all(5), closing: "0" })).toMatchObject({ total: 95, passed: true, fatalFailed: [] });
  });

  it("rounds to one decimal as Python's round() does", () => {
    // Weights 1 and 2, scales 3: 1·1/3 + 2·2/3 = 5/3 of 3 → 55.555… → 55.6
    const thirds: Rubric = {
      version: "t",
      pass_mark: 50,
      items: [
        { id: "a", name: "A", weight: 1, max: 3, fatal: false },
        { id: "b", name: "B", weight: 2, max: 3, fatal: false },
      ],
    };
    expect(preview(thirds, { a: "1", b: "2" }).total).toBe(55.6);
    expect(roundHalfEven1(12.25)).toBe(12.2);
    expect(roundHalfEven1(12.75)).toBe(12.8);
    expect(roundHalfEven1(0.15)).toBe(0.1);
    expect(roundHalfEven1(77.77777)).toBe(77.8);
  });

  it("waits for every item, and says what is wrong with each", () => {
    const result = preview(RUBRIC, { ...all(5), greeting: "", empathy: "6", closing: "2.5" });
    expect(result.total).toBeNull();
    expect(result.passed).toBeNull();
    expect(result.problems).toEqual({ greeting: "missing", empathy: "out-of-range", closing: "not-a-number" });
  });

  it("reads only whole points within the scale", () => {
    const item = RUBRIC.items[0];
    expect(itemPoints(item, " 3 ")).toBe(3);
    expect(itemPoints(item, "0")).toBe(0);
    expect(itemPoints(item, "-1")).toBe("not-a-number");
    expect(itemPoints(item, "5")).toBe(5);
    expect(itemPoints(item, "6")).toBe("out-of-range");
    expect(itemPoints(item, undefined)).toBe("missing");
  });
});

describe("the request and the answer", () => {
  it("sends every item once in rubric order, comments trimmed and empty ones left out", () => {
    const items = scoreItems(RUBRIC, all(4), { greeting: "  warm  ", accuracy: "   " });
    expect(items.map((item) => item.item)).toEqual(RUBRIC.items.map((item) => item.id));
    expect(items[0]).toEqual({ item: "greeting", score: 4, comment: "warm" });
    expect(items[2]).toEqual({ item: "accuracy", score: 4 });
  });

  it("fills the form from a review's scores (a correction)", () => {
    expect(enteredOf([{ item: "greeting", score: 3, comment: "ok" }, { item: "closing", score: 5 }])).toEqual({
      entered: { greeting: "3", closing: "5" },
      comments: { greeting: "ok" },
    });
  });

  it("puts each 422 sentence on the item it names", () => {
    const sent = scoreItems(RUBRIC, all(4), {});
    const problem = {
      type: "about:blank",
      title: "Unprocessable",
      status: 422,
      detail: "'bonus' is not an item of rubric 1; 'empathy' scores 0..5, got 7; 'closing' is not scored",
    };
    expect(problemsByItem(problem, sent, RUBRIC)).toEqual({
      "": ["'bonus' is not an item of rubric 1"],
      empathy: ["'empathy' scores 0..5, got 7"],
      closing: ["'closing' is not scored"],
    });
  });

  it("puts the schema's errors on the item at the index they point to", () => {
    const sent = scoreItems(RUBRIC, all(4), {});
    const problem = {
      type: "about:blank",
      title: "Unprocessable",
      status: 422,
      detail: "the request does not match the schema",
      errors: [
        { location: "body.items.2.score", message: "Input should be less than or equal to 1000", type: "less_than_equal" },
        { location: "body.comment", message: "String should have at most 2000 characters", type: "string_too_long" },
      ],
    };
    expect(problemsByItem(problem, sent, RUBRIC)).toEqual({
      accuracy: ["Input should be less than or equal to 1000"],
      "": ["String should have at most 2000 characters"],
    });
  });
});
