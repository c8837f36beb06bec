import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Ticket } from "../api/tickets";
import { attentionTickets, byUrgency } from "./attention";

function ticket(id: string, over: Partial<Ticket> = {}): Ticket {
  return {
    id,
    subject: id,
    description: "",
    status: "open",
    priority: "P3",
    channel: "web",
    customerId: "c1",
    customerTier: "standard",
    escalationLevel: 0,
    awaitingOwner: false,
    createdAt: "2026-12-01T00:00:00Z",
    updatedAt: "2026-12-01T00:00:00Z",
    version: 1,
    ...over,
  } as Ticket;
}

function answer(items: Ticket[]) {
  return new Response(JSON.stringify({ items, nextCursor: null }), { headers: { "content-type": "application/json" } });
}

const storage = new Map<string, string>([["kefu.token", "a.b.c"]]);
const localStorage = { getItem: (key: string) => storage.get(key) ?? null, setItem: () => undefined, removeItem: () => undefined };

describe("tickets that need a supervisor", () => {
  beforeEach(() => vi.stubGlobal("localStorage", localStorage));
  afterEach(() => vi.unstubAllGlobals());

  it("asks the API for escalated tickets across groups", async () => {
    const fetched = vi.fn(async (_url: string) => answer([ticket("T1", { escalationLevel: 2 })]));
    vi.stubGlobal("fetch", fetched);
    const found = await attentionTickets("escalated");
    expect(new URL(fetched.mock.calls[0][0], "http://desk").searchParams.get("escalated")).toBe("true");
    expect(found.map((t) => t.id)).toEqual(["T1"]);
  });

  it("never lists a ticket at level 0 as escalated", async () => {
    vi.stubGlobal("fetch", async () => answer([ticket("T1", { escalationLevel: 1 }), ticket("T2")]));
    expect((await attentionTickets("escalated")).map((t) => t.id)).toEqual(["T1"]);
  });

  it("asks for tickets at risk with atRisk=true and keeps what the API judged at risk", async () => {
    const fetched = vi.fn(async (_url: string) => answer([ticket("T3"), ticket("T4")]));
    vi.stubGlobal("fetch", fetched);
    const found = await attentionTickets("atRisk");
    const query = new URL(fetched.mock.calls[0][0], "http://desk").searchParams;
    expect(query.get("atRisk")).toBe("true");
    expect(query.get("escalated")).toBeNull();
    expect(found).toHaveLength(2);
  });

  it("orders the breached and nearest to breach first, then the highest escalation", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const due = (iso: string) => ({ sla: { firstResponseDue: iso } }) as Partial<Ticket>;
    const sorted = byUrgency(
      [
        ticket("late", due("2026-12-01T13:00:00Z")),
        ticket("none", { escalationLevel: 3 }),
        ticket("breached", due("2026-12-01T11:00:00Z")),
        ticket("soon", due("2026-12-01T12:10:00Z")),
        ticket("none-low"),
      ],
      now,
    );
    expect(sorted.map((t) => t.id)).toEqual(["breached", "soon", "late", "none", "none-low"]);
  });
});
