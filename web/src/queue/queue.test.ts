import { describe, expect, it } from "vitest";
import type { Ticket } from "../api/tickets";
import { applyFilters, listQuery } from "./queue";

const ticket = (id: string, priority: Ticket["priority"], createdAt: string, extra: Partial<Ticket> = {}): Ticket =>
  ({ id, priority, createdAt, status: "new", channel: "web", subject: id, ...extra }) as Ticket;

describe("a queue as the desk works it", () => {
  it("puts the higher priority first, then the longest waiting", () => {
    const tickets = [
      ticket("c", "P3", "2026-12-01T00:00:00Z"),
      ticket("b", "P1", "2026-12-01T02:00:00Z"),
      ticket("a", "P1", "2026-12-01T01:00:00Z"),
    ];
    expect(applyFilters(tickets, {}).map((t) => t.id)).toEqual(["a", "b", "c"]);
  });

  it("keeps only what the filters ask for", () => {
    const tickets = [
      ticket("a", "P2", "2026-12-01T00:00:00Z", { channel: "email", category: "payment" }),
      ticket("b", "P2", "2026-12-01T00:00:00Z", { channel: "web", category: "payment" }),
    ];
    expect(applyFilters(tickets, { channel: "email", category: "payment", priority: "P2" }).map((t) => t.id)).toEqual(["a"]);
  });

  it("asks the API for an agent's own tickets, the ones they own or a group's", () => {
    expect(listQuery({ kind: "mine", group: "l1", status: "open" })).toEqual({ assignee: "me", status: "open" });
    expect(listQuery({ kind: "owned", group: "l1", status: "pending" })).toEqual({ owner: "me", status: "pending" });
    expect(listQuery({ kind: "group", group: "vip", status: "new" })).toEqual({ group: "vip", status: "new" });
  });
});
