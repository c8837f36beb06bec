import { describe, expect, it } from "vitest";
import { DEFAULT_FILTERS, agentProblem, filtersSearch, parseFilters, reviewQuery } from "./filters";

describe("the review queue's filters", () => {
  it("default to the pending queue of every reviewer and month", () => {
    expect(parseFilters("")).toEqual(DEFAULT_FILTERS);
    expect(reviewQuery(DEFAULT_FILTERS)).toEqual({ status: "pending" });
    expect(filtersSearch(DEFAULT_FILTERS)).toBe("");
  });

  it("round-trip through the address", () => {
    const filters = { status: "appealed", agent: "agent-li", reviewer: "", month: "2026-11" } as const;
    expect(parseFilters(filtersSearch(filters))).toEqual(filters);
    expect(filtersSearch(filters)).toBe("?status=appealed&agent=agent-li&month=2026-11");
  });

  it("ignore what they cannot read", () => {
    expect(parseFilters("?status=lost&agent=%20bad%20id&reviewer=someone&month=2026-13")).toEqual(DEFAULT_FILTERS);
  });

  it("ask for an agent or a reviewer, never both (the API answers 400 to both)", () => {
    const both = { status: "scored", agent: "agent-li", reviewer: "me", month: "" } as const;
    expect(reviewQuery(both)).toEqual({ status: "scored", agent: "agent-li" });
    expect(filtersSearch(both)).toBe("?status=scored&agent=agent-li");
    expect(reviewQuery({ ...both, agent: "" }, "c1")).toEqual({ status: "scored", reviewer: "me", cursor: "c1" });
  });

  it("check a typed agent id as the API does", () => {
    expect(agentProblem("")).toBeNull();
    expect(agentProblem("agent-li")).toBeNull();
    expect(agentProblem("li.wei@example.com")).toBeNull();
    expect(agentProblem("-li")).toBe("invalid");
    expect(agentProblem("li wei")).toBe("invalid");
  });
});
