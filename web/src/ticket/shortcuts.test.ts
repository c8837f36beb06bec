import { describe, expect, it } from "vitest";
import { shortcutOf } from "./shortcuts";

const key = (k: string, extra: Partial<{ ctrlKey: boolean; tagName: string }> = {}) => ({
  key: k,
  ctrlKey: !!extra.ctrlKey,
  metaKey: false,
  altKey: false,
  target: (extra.tagName ? { tagName: extra.tagName } : null) as EventTarget | null,
});

describe("ticket shortcuts", () => {
  it("maps single keys to the common actions", () => {
    expect(["t", "R", "n", "e", "/", "x"].map((k) => shortcutOf(key(k)))).toEqual([
      "take",
      "reply",
      "note",
      "resolve",
      "canned",
      null,
    ]);
  });

  it("never fires while typing or with a modifier", () => {
    expect(shortcutOf(key("t", { tagName: "textarea" }))).toBeNull();
    expect(shortcutOf(key("t", { tagName: "INPUT" }))).toBeNull();
    expect(shortcutOf(key("r", { ctrlKey: true }))).toBeNull();
  });
});
