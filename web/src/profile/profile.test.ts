import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { changeProfile } from "./api";
import { appLanguage, changes, formOf } from "./profile";

const PROFILE = { id: "cust-demo", name: "Ann", email: "ann@example.com", preferredLanguage: null, version: 3 };

describe("the profile form", () => {
  it("starts from the record, with both contact channels agreed by default", () => {
    expect(formOf(PROFILE)).toEqual({
      name: "Ann",
      preferredLanguage: "",
      email: true,
      phone: true,
      notifications: true,
      notifyBy: "",
      timeZone: null,
    });
  });

  it("sends only what changed, and nothing when nothing did", () => {
    const before = formOf(PROFILE);
    expect(changes(before, { ...before })).toBeNull();
    expect(changes(before, { ...before, name: "  " })).toBeNull();
    expect(changes(before, { ...before, name: " Ann Li ", preferredLanguage: "en", phone: false })).toEqual({
      name: "Ann Li",
      preferredLanguage: "en",
      contactPreferences: { email: true, phone: false, notifications: true, notifyBy: null, timeZone: null },
    });
  });

  it("sends every preference when one changes, keeping the time zone the record has", () => {
    const before = formOf({ ...PROFILE, contactPreferences: { email: true, phone: true, notifications: true, notifyBy: "sms", timeZone: "Asia/Taipei" } });
    expect(changes(before, { ...before, notifications: false })).toEqual({
      contactPreferences: { email: true, phone: true, notifications: false, notifyBy: "sms", timeZone: "Asia/Taipei" },
    });
    expect(changes(before, { ...before, notifyBy: "" })?.contactPreferences?.notifyBy).toBeNull();
  });

  it("switches the page to the preferred language", () => {
    expect([appLanguage("zh-Hans"), appLanguage("zh-Hant"), appLanguage("en")]).toEqual(["zh-CN", "zh-TW", "en"]);
  });
});

describe("saving the profile", () => {
  let seen: RequestInit | null = null;
  beforeEach(() => {
    vi.stubGlobal("localStorage", { getItem: () => "token" });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        seen = init;
        return new Response(JSON.stringify({ ...PROFILE, version: 4 }), { status: 200, headers: { "content-type": "application/json", etag: '"4"' } });
      }),
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it("names the version it read (If-Match) and hands back the new one", async () => {
    const answer = await changeProfile({ name: "Ann Li" }, '"3"');
    expect((seen?.headers as Record<string, string>)["If-Match"]).toBe('"3"');
    expect(answer.etag).toBe('"4"');
  });
});
