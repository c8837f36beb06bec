import { describe, expect, it } from "vitest";
import { ApiError, NetworkError, toProblem, type ProblemKind } from "../api/client";
import { CATALOGUES } from "../i18n";
import { errorText } from "./ErrorMessage";

const statuses: Record<number, ProblemKind> = { 400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 412: "stale", 413: "too-large", 422: "invalid", 429: "rate-limited", 500: "server", 418: "other" };

describe("what a person reads for an error", () => {
  for (const [status, kind] of Object.entries(statuses)) {
    it(`a ${status} reads as the ${kind} message, with nothing left unfilled`, () => {
      const body = JSON.stringify({ title: "x", status: Number(status), detail: "the ticket is closed" });
      const text = errorText(new ApiError(toProblem(Number(status), "", "application/problem+json", body)));
      expect(text.length).toBeGreaterThan(3);
      expect(text).not.toMatch(/\{\w+\}/);
      expect(text).not.toMatch(/^error\./);
    });
  }

  it("a request that never reached the server says so", () => {
    expect(errorText(new NetworkError(new TypeError("Failed to fetch")))).toBe(CATALOGUES["zh-CN"]["error.offline"]);
  });

  it("anything else is not shown raw", () => {
    expect(errorText(new Error("TypeError: x is undefined"))).toBe(CATALOGUES["zh-CN"]["error.server"]);
  });
});
