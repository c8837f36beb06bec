import { describe, expect, it } from "vitest";
import { insertAt } from "./insert";

describe("inserting a canned reply", () => {
  it("fills an empty editor and leaves the cursor after the text", () => {
    expect(insertAt("", "Hello Ann", 0)).toEqual({ value: "Hello Ann", cursor: 9 });
  });

  it("goes on its own line after what the agent typed", () => {
    expect(insertAt("Hi,", "Your parcel left.", 3)).toEqual({ value: "Hi,\nYour parcel left.", cursor: 21 });
  });

  it("replaces the selection and keeps the text after it apart", () => {
    const inserted = insertAt("A\nXX\nB", "reply", 2, 4);
    expect(inserted.value).toBe("A\nreply\nB");
    expect(inserted.cursor).toBe(7);
  });

  it("clamps a cursor beyond the text to its end", () => {
    expect(insertAt("ab", "c", 10).value).toBe("ab\nc");
  });
});
