import { describe, expect, it } from "vitest";
import { slaCountdown } from "./sla";

const now = Date.parse("2026-12-01T00:00:00Z");
const inMinutes = (m: number) => new Date(now + m * 60_000).toISOString();

describe("the SLA countdown", () => {
  it("counts to the first response until there is one", () => {
    const countdown = slaCountdown({ status: "new", sla: { firstResponseDue: inMinutes(300), resolutionDue: inMinutes(900), breaches: [], escalated: [] } }, now);
    expect(countdown).toMatchObject({ target: "firstResponse", remainingMs: 300 * 60_000, urgency: "ok" });
  });

  it("then counts to the resolution", () => {
    const sla = { firstResponseAt: inMinutes(-5), firstResponseDue: inMinutes(10), resolutionDue: inMinutes(90), breaches: [], escalated: [] };
    expect(slaCountdown({ status: "open", sla }, now)).toMatchObject({ target: "resolution", urgency: "soon" });
  });

  it("takes the desk's word for a breach over this browser's clock", () => {
    const sla = { firstResponseDue: inMinutes(240), resolutionDue: inMinutes(900), breaches: ["first_response"], escalated: [] };
    expect(slaCountdown({ status: "open", sla }, now)).toMatchObject({ target: "firstResponse", urgency: "breached" });
    expect(slaCountdown({ status: "open", sla: { ...sla, breaches: ["resolution"] } }, now).urgency).toBe("ok");
  });

  it("turns red under half an hour and when breached", () => {
    const sla = (m: number) => ({ firstResponseDue: inMinutes(m), breaches: [], escalated: [] });
    expect(slaCountdown({ status: "new", sla: sla(20) }, now).urgency).toBe("near");
    expect(slaCountdown({ status: "new", sla: sla(-1) }, now).urgency).toBe("breached");
  });

  it("is paused while waiting on the customer and done once resolved", () => {
    expect(slaCountdown({ status: "pending", sla: { breaches: [], escalated: [] } }, now).urgency).toBe("paused");
    expect(slaCountdown({ status: "resolved", sla: { breaches: [], escalated: [] } }, now).urgency).toBe("met");
  });
});
