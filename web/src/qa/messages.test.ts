import { describe, expect, it } from "vitest";
import { qaEn, qaZhCN, qaZhTW } from "./messages";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the QA catalogues", () => {
  for (const [name, catalogue] of Object.entries({ en: qaEn, "zh-TW": qaZhTW })) {
    it(`${name} has exactly the keys of zh-CN, with the same placeholders`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(qaZhCN).sort());
      for (const [key, text] of Object.entries(qaZhCN)) {
        expect(placeholders(catalogue[key as keyof typeof qaZhCN]), key).toEqual(placeholders(text));
      }
    });
  }

  it("has no Chinese left in English", () => {
    expect(Object.entries(qaEn).filter(([, text]) => /[\u4e00-\u9fff]/.test(text))).toEqual([]);
  });

  it("names every review status, sampling reason and automatic-check rule the API has", () => {
    const values = {
      status: ["pending", "scored", "acknowledged", "appealed", "upheld", "overturned"],
      reason: ["complaint", "low_csat", "findings", "random", "requested"],
      rule: [
        "first_response_late",
        "reply_gap",
        "forbidden_phrase",
        "missing_greeting",
        "missing_closing",
        "negative_at_end",
        "reopened",
        "escalated",
        "low_csat",
      ],
    };
    for (const [prefix, names] of Object.entries(values)) {
      for (const value of names) expect(`qa.${prefix}.${value}` in qaZhCN, `${prefix}.${value}`).toBe(true);
    }
  });
});
