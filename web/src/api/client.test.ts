import { describe, expect, it } from "vitest";
import { ApiError, problemKind, toProblem } from "./client";

describe("problem+json becomes a typed error", () => {
  it("reads the problem document's fields", () => {
    const problem = toProblem(
      412,
      "Precondition Failed",
      "application/problem+json",
      JSON.stringify({ type: "about:blank", title: "Precondition failed", status: 412, detail: "stale" }),
    );
    expect(problem).toEqual({ type: "about:blank", title: "Precondition failed", status: 412, detail: "stale", errors: undefined });
    expect(new ApiError(problem).kind).toBe("stale");
  });

  it("keeps the validation issues of a 422", () => {
    const body = { title: "Unprocessable content", status: 422, detail: "bad", errors: [{ location: "body.subject", message: "too long", type: "x" }] };
    const error = new ApiError(toProblem(422, "", "application/problem+json", JSON.stringify(body)));
    expect(error.kind).toBe("invalid");
    expect(error.problem.errors?.[0].location).toBe("body.subject");
  });

  it("gives a non-JSON error page its status alone", () => {
    const problem = toProblem(502, "Bad Gateway", "text/html", "<html>oops</html>");
    expect(problem).toEqual({ type: "about:blank", title: "Bad Gateway", status: 502, detail: "" });
  });

  it("names each status the desk meets", () => {
    expect([401, 403, 404, 409, 412, 428, 429, 500, 503, 418].map(problemKind)).toEqual([
      "unauthorized",
      "forbidden",
      "not-found",
      "conflict",
      "stale",
      "stale",
      "rate-limited",
      "server",
      "server",
      "other",
    ]);
  });
});
