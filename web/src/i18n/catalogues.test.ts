import { describe, expect, it } from "vitest";
import { zhCN } from "./zh-CN";
import { en } from "./en";
import { zhTW } from "./zh-TW";
import { format } from "./index";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("message catalogues", () => {
  for (const [name, catalogue] of Object.entries({ en, "zh-TW": zhTW })) {
    it(`${name} has exactly the keys of zh-CN`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(zhCN).sort());
    });

    it(`${name} keeps every placeholder of zh-CN`, () => {
      for (const [key, text] of Object.entries(zhCN)) {
        expect(placeholders(catalogue[key as keyof typeof zhCN]), key).toEqual(placeholders(text));
      }
    });
  }

  it("the English catalogue has no Chinese left in it", () => {
    const untranslated = Object.entries(en).filter(([, text]) => /[\u4e00-\u9fff]/.test(text) && !text.includes("kefu"));
    expect(untranslated).toEqual([]);
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(format("{a} and {b}", { a: 1 })).toBe("1 and {b}");
  });
});
