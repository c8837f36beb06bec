import { describe, expect, it } from "vitest";
import type { Ticket } from "../api/tickets";
import { changesBetween } from "./conflict";

describe("what changed behind an agent's back", () => {
  it("lists each field whose value differs", () => {
    const read = { status: "open", priority: "P3", tags: ["a"], assigneeId: "agent-li", escalationLevel: 0 } as Ticket;
    const latest = { ...read, priority: "P1", tags: ["a", "b"], version: 4 } as Ticket;
    expect(changesBetween(read, latest)).toEqual([
      { field: "priority", before: "P3", after: "P1" },
      { field: "tags", before: "a", after: "a, b" },
    ]);
  });
});
