import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TimelineEntry } from "../api/tickets";
import { articleLanguage, debouncedSearch, offeredArticle, searchText } from "./selfservice";
import { recordDeflection, searchArticles, solvedBy } from "./selfServiceApi";

describe("what the new-ticket form searches for", () => {
  it("is the subject then the description, in one line, and nothing for a single character", () => {
    expect(searchText(" 退货 ", "怎么\n退款？")).toBe("退货 怎么 退款？");
    expect(searchText("a", "")).toBe("");
    expect(searchText("x".repeat(400), "y".repeat(400))).toHaveLength(500);
  });

  it("is in the knowledge base's language for the reader's", () => {
    expect([articleLanguage("zh-CN"), articleLanguage("zh-TW"), articleLanguage("en")]).toEqual(["zh-Hans", "zh-Hant", "en"]);
  });
});

describe("searching while the customer types", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("searches once typing pauses, for the latest text only", async () => {
    const search = vi.fn(async (text: string) => [text]);
    const show = vi.fn();
    const typing = debouncedSearch(search, show, 300);
    typing.type("退");
    typing.type("退货");
    await vi.advanceTimersByTimeAsync(299);
    expect(search).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(search).toHaveBeenCalledTimes(1);
    expect(show).toHaveBeenLastCalledWith(["退货"]);
  });

  it("drops a late answer to older text, and shows nothing for a refused query", async () => {
    let answerFirst: (items: string[]) => void = () => {};
    const search = vi
      .fn<(text: string) => Promise<string[]>>()
      .mockImplementationOnce(() => new Promise((resolve) => (answerFirst = resolve)))
      .mockImplementationOnce(async () => Promise.reject(new Error("400")));
    const show = vi.fn();
    const typing = debouncedSearch(search, show, 300);
    typing.type("first");
    await vi.advanceTimersByTimeAsync(300);
    typing.type("the");
    await vi.advanceTimersByTimeAsync(300);
    answerFirst(["stale"]);
    await vi.runAllTimersAsync();
    expect(show).toHaveBeenCalledTimes(1);
    expect(show).toHaveBeenLastCalledWith([]);
  });

  it("clears the list at once when the text is emptied", () => {
    const show = vi.fn();
    debouncedSearch(async () => ["x"], show, 300).type("");
    expect(show).toHaveBeenCalledWith([]);
  });
});

describe("the article a ticket's acknowledgement offered", () => {
  const entry = (data: Record<string, unknown>, visibility: "public" | "internal" = "public") =>
    ({ id: "e", ticketId: "TK-1", kind: "self-service", visibility, data, createdAt: "2026-12-03T00:00:00Z" }) as unknown as TimelineEntry;

  it("is the newest public offer on the timeline", () => {
    const offers = [entry({ event: "offered", articleId: "KB-1", title: "Returns" }), entry({ event: "offered", articleId: "KB-2" })];
    expect(offeredArticle(offers)).toEqual({ id: "KB-2", title: null });
    expect(offeredArticle(offers.slice(0, 1))).toEqual({ id: "KB-1", title: "Returns" });
  });

  it("is none without an offer: an internal suggestion, or the status entry of a self-service resolution", () => {
    expect(offeredArticle([entry({ event: "offered", articleId: "KB-9" }, "internal"), entry({ articleId: "KB-1", to: "resolved" })])).toBeNull();
  });
});

describe("the self-service calls", () => {
  const calls: [string, RequestInit][] = [];
  beforeEach(() => {
    calls.length = 0;
    vi.stubGlobal("localStorage", { getItem: () => "token" });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        calls.push([url, init]);
        const body = url.includes("/kb/articles?") ? JSON.stringify({ items: [{ id: "KB-1" }] }) : "";
        return new Response(body, { status: body ? 200 : 201, headers: { "content-type": "application/json" } });
      }),
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it("search public articles in a language, record a deflection, and resolve a ticket by its offered article", async () => {
    expect(await searchArticles("退货", "zh-Hans")).toEqual([{ id: "KB-1" }]);
    await recordDeflection("KB-1", "退货");
    await solvedBy("TK-1", "KB-1");
    expect(calls.map(([url, init]) => [init.method, url, init.body ?? null])).toEqual([
      ["GET", `/api/kb/articles?q=${encodeURIComponent("退货")}&lang=zh-Hans&limit=3`, null],
      ["POST", "/api/kb/articles/KB-1/deflections", JSON.stringify({ query: "退货" })],
      ["POST", "/api/tickets/TK-1/self-service", JSON.stringify({ articleId: "KB-1" })],
    ]);
  });
});
