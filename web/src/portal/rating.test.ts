import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TimelineEntry } from "../api/tickets";
import { givenRating, rateTicket } from "./ratingApi";

const entry = (kind: string, data: Record<string, unknown>, body: string | null = null) =>
  ({ id: kind, ticketId: "TK-1", kind, visibility: "public", data, body, createdAt: "2026-12-03T00:00:00Z" }) as TimelineEntry;

describe("a resolved ticket's rating", () => {
  it("is read from the public survey entry, whether given here or through the e-mailed link", () => {
    expect(givenRating([entry("status", { to: "resolved" })])).toBeNull();
    expect(givenRating([entry("status", { to: "resolved" }), entry("survey", { event: "answered", csat: 4 }, "Fast")])).toEqual({
      csat: 4,
      comment: "Fast",
    });
  });

  describe("is sent", () => {
    let seen: [string, RequestInit] | null = null;
    beforeEach(() => {
      vi.stubGlobal("localStorage", { getItem: () => "token" });
      vi.stubGlobal(
        "fetch",
        vi.fn(async (url: string, init: RequestInit) => {
          seen = [url, init];
          return new Response(JSON.stringify({ csat: 5 }), { status: 201, headers: { "content-type": "application/json" } });
        }),
      );
    });
    afterEach(() => vi.unstubAllGlobals());

    it("to the ticket's rating route with the bearer token", async () => {
      await rateTicket("TK-1", { csat: 5, comment: "Thanks" });
      const [url, init] = seen!;
      expect([init.method, url, init.body]).toEqual(["POST", "/api/tickets/TK-1/rating", JSON.stringify({ csat: 5, comment: "Thanks" })]);
      expect((init.headers as Record<string, string>).Authorization).toBe("Bearer token");
    });
  });
});
