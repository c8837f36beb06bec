// Who is signed in: the bearer token (a Cognito ID token, or the local stack's stand-in) and what it says.
import { config } from "./config";
import { forgetRefreshToken, needsRenewal, renew } from "./signin/cognito";

const TOKEN_KEY = "kefu.token";
const STAFF_GROUPS = ["agent", "supervisor", "admin"];

export interface Identity {
  sub: string;
  email: string | null;
  groups: string[];
  expiresAt: number;
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function signIn(value: string): void {
  localStorage.setItem(TOKEN_KEY, value);
}

export function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
  forgetRefreshToken();
}

let renewing: Promise<string | null> | null = null;

/** Renew the ID token with the refresh token (Cognito only); concurrent callers share one renewal. */
export function renewToken(): Promise<string | null> {
  const cognito = config().cognito;
  if (!cognito) return Promise.resolve(null);
  renewing ??= renew(cognito).then((fresh) => {
    renewing = null;
    if (fresh) localStorage.setItem(TOKEN_KEY, fresh);
    return fresh;
  });
  return renewing;
}

/** The token to send now: renewed first when it is about to expire and can be renewed. */
export async function freshToken(now: number = Date.now()): Promise<string | null> {
  const current = token();
  const who = decodeIdentity(current);
  if (current && who && config().cognito && needsRenewal(who.expiresAt, now)) return (await renewToken()) ?? current;
  return current;
}

/** The token's claims; only read for display and routing (the API checks the signature). */
export function decodeIdentity(jwt: string | null): Identity | null {
  if (!jwt) return null;
  const payload = jwt.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const groups = claims["cognito:groups"];
    return {
      sub: String(claims.sub ?? ""),
      email: typeof claims.email === "string" ? claims.email : null,
      groups: Array.isArray(groups) ? groups.map(String) : [],
      expiresAt: typeof claims.exp === "number" ? claims.exp * 1000 : 0,
    };
  } catch {
    return null;
  }
}

export function identity(now: number = Date.now()): Identity | null {
  const who = decodeIdentity(token());
  return who && who.expiresAt > now ? who : null;
}

export function isStaff(who: Identity | null): boolean {
  return !!who && who.groups.some((group) => STAFF_GROUPS.includes(group));
}

export function isSupervisor(who: Identity | null): boolean {
  return !!who && who.groups.some((group) => group === "supervisor" || group === "admin");
}

/** The inspection team (the `qa` group), supervisors and admins: they read and score QA reviews. */
export function isReviewer(who: Identity | null): boolean {
  return !!who && who.groups.some((group) => group === "qa" || group === "supervisor" || group === "admin");
}

/** A customer: neither staff nor on the inspection team (a `qa`-only login is not a customer). */
export function isCustomer(who: Identity | null): boolean {
  return !!who && !isStaff(who) && !isReviewer(who);
}

/** Where a person lands after signing in: staff in the workspace, reviewers in the QA queue, customers in the portal. */
export function homeOf(who: Identity | null): string {
  if (isStaff(who)) return "/";
  return isReviewer(who) ? "/qa" : "/portal";
}

/** A 401 mid-session: sign in again and come back to the same place (a form keeps its draft, see drafts.ts). */
export function sessionExpired(): void {
  signOut();
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/sign-in?next=${encodeURIComponent(here)}&expired=1`);
}
