import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// A token whose payload the app reads (it never checks signatures; the API does).
function jwt(sub: string, expiresAt: number): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  return `${part({ alg: "none" })}.${part({ sub, "cognito:groups": ["agent"], exp: Math.floor(expiresAt / 1000) })}.x`;
}

const COGNITO = "https://kefu-dev.auth.eu-west-1.amazoncognito.com";

function storage(initial: Record<string, string>) {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

async function loadClient() {
  vi.resetModules();
  const config = await import("../config");
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify({ apiUrl: "/api", cognito: { domain: COGNITO, clientId: "c1" } }))),
  );
  await config.loadConfig();
  return import("./client");
}

describe("a session kept alive with Cognito's refresh token", () => {
  const assigned: string[] = [];
  beforeEach(() => {
    assigned.length = 0;
    vi.stubGlobal("window", { location: { pathname: "/tickets/T1", search: "", assign: (to: string) => assigned.push(to) } });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("renews a refused token once and repeats the request with the new one", async () => {
    const stale = jwt("agent-li", Date.now() + 3_600_000);
    const fresh = jwt("agent-li", Date.now() + 7_200_000);
    vi.stubGlobal("localStorage", storage({ "kefu.token": stale, "kefu.refresh": "r1" }));
    const { request } = await loadClient();
    const seen: { url: string; auth?: string; body?: string }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        const headers = (init.headers ?? {}) as Record<string, string>;
        seen.push({ url, auth: headers.Authorization, body: init.body ? String(init.body) : undefined });
        if (url.startsWith(COGNITO)) return new Response(JSON.stringify({ id_token: fresh }));
        return headers.Authorization === `Bearer ${fresh}`
          ? new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json" } })
          : new Response(JSON.stringify({ message: "Unauthorized" }), { status: 401 });
      }),
    );
    const answer = await request<{ ok: boolean }>("GET", "/tickets/T1");
    expect(answer.data).toEqual({ ok: true });
    expect(seen.map((s) => s.url)).toEqual(["/api/tickets/T1", `${COGNITO}/oauth2/token`, "/api/tickets/T1"]);
    expect(new URLSearchParams(seen[1].body).get("grant_type")).toBe("refresh_token");
    expect(localStorage.getItem("kefu.token")).toBe(fresh);
    expect(assigned).toEqual([]);
  });

  it("sends a person whose refresh token is refused to sign in again, to come back to the same page", async () => {
    vi.stubGlobal("localStorage", storage({ "kefu.token": jwt("agent-li", Date.now() + 3_600_000), "kefu.refresh": "r1" }));
    const { request, ApiError } = await loadClient();
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) =>
        url.startsWith(COGNITO)
          ? new Response("{}", { status: 400 })
          : new Response(JSON.stringify({ message: "Unauthorized" }), { status: 401 }),
      ),
    );
    await expect(request("GET", "/tickets/T1")).rejects.toBeInstanceOf(ApiError);
    expect(assigned).toEqual([`/sign-in?next=${encodeURIComponent("/tickets/T1")}&expired=1`]);
    expect(localStorage.getItem("kefu.token")).toBeNull();
  });

  it("renews ahead of time a token about to expire", async () => {
    const fresh = jwt("agent-li", Date.now() + 3_600_000);
    vi.stubGlobal("localStorage", storage({ "kefu.token": jwt("agent-li", Date.now() + 30_000), "kefu.refresh": "r1" }));
    const { request } = await loadClient();
    const auths: (string | undefined)[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        if (url.startsWith(COGNITO)) return new Response(JSON.stringify({ id_token: fresh }));
        auths.push(((init.headers ?? {}) as Record<string, string>).Authorization);
        return new Response("{}", { headers: { "content-type": "application/json" } });
      }),
    );
    await request("GET", "/tickets");
    expect(auths).toEqual([`Bearer ${fresh}`]);
  });
});
