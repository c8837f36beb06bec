import { describe, expect, it } from "vitest";
import { authorizeUrl, challengeOf, logoutUrl, needsRenewal, randomString, readCallback } from "./cognito";

const cognito = { domain: "https://kefu-dev.auth.eu-west-1.amazoncognito.com", clientId: "client123" };

describe("Cognito sign-in with PKCE", () => {
  it("derives the S256 challenge of RFC 7636's example verifier", async () => {
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes verifiers of PKCE's allowed length and characters, never the same twice", () => {
    const a = randomString(48);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(randomString(48)).not.toBe(a);
  });

  it("asks Cognito for a code with the challenge, the state and the app's callback", async () => {
    const url = new URL(await authorizeUrl(cognito, "https://desk.example.com", { state: "s1", verifier: "v".repeat(43), next: "/" }));
    expect(url.origin + url.pathname).toBe(`${cognito.domain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "client123",
      redirect_uri: "https://desk.example.com/auth/callback",
      state: "s1",
      code_challenge_method: "S256",
      scope: "openid email profile",
    });
    expect(url.searchParams.get("code_challenge")).toBe(await challengeOf("v".repeat(43)));
  });

  it("takes the code only when the state is the one this browser sent", () => {
    const pending = { state: "s1", verifier: "v", next: "/tickets/T1" };
    expect(readCallback("?code=abc&state=s1", pending)).toEqual({ code: "abc" });
    expect(readCallback("?code=abc&state=forged", pending)).toEqual({ problem: "state" });
    expect(readCallback("?code=abc&state=s1", null)).toEqual({ problem: "missing" });
    expect(readCallback("?error=access_denied&state=s1", pending)).toEqual({ problem: "denied" });
  });

  it("signs out at Cognito and comes back to the sign-in page", () => {
    const url = new URL(logoutUrl(cognito, "https://desk.example.com"));
    expect(url.searchParams.get("logout_uri")).toBe("https://desk.example.com/sign-in");
    expect(url.searchParams.get("client_id")).toBe("client123");
  });

  it("renews a token with less than two minutes left", () => {
    expect(needsRenewal(1_000_000, 1_000_000 - 60_000)).toBe(true);
    expect(needsRenewal(1_000_000, 1_000_000 - 300_000)).toBe(false);
  });
});
