// Cognito's hosted sign-in (in AWS): the authorization-code flow with PKCE (RFC 7636) for a public client, the
// tokens kept in this browser, the ID token renewed with the refresh token before it expires.
import type { CognitoConfig } from "../config";

const PENDING_KEY = "kefu.signin";
const REFRESH_KEY = "kefu.refresh";
export const CALLBACK_PATH = "/auth/callback";
export const SCOPES = "openid email profile";
/** Renew the ID token when less than this is left of it: a request never leaves with a token about to lapse. */
export const RENEW_BEFORE_MS = 2 * 60 * 1000;

export interface Pending {
  state: string;
  verifier: string;
  next: string;
}

export interface Tokens {
  id_token: string;
  refresh_token?: string;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  bytes.forEach((byte) => (binary += String.fromCharCode(byte)));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random string of URL-safe characters (43 from 32 bytes: within PKCE's 43-128). */
export function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function redirectUri(origin: string): string {
  return `${origin}${CALLBACK_PATH}`;
}

export async function authorizeUrl(cognito: CognitoConfig, origin: string, pending: Pending): Promise<string> {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: cognito.clientId,
    redirect_uri: redirectUri(origin),
    scope: SCOPES,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: "S256",
  });
  return `${cognito.domain}/oauth2/authorize?${params}`;
}

export function logoutUrl(cognito: CognitoConfig, origin: string): string {
  const params = new URLSearchParams({ client_id: cognito.clientId, logout_uri: `${origin}/sign-in` });
  return `${cognito.domain}/logout?${params}`;
}

/** Go to Cognito's sign-in page; `next` is where the person returns once signed in. */
export async function beginSignIn(cognito: CognitoConfig, next: string): Promise<void> {
  const pending: Pending = { state: randomString(), verifier: randomString(48), next };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(await authorizeUrl(cognito, window.location.origin, pending));
}

export type CallbackProblem = "denied" | "state" | "missing";

/** What the callback address says: a code to exchange, or why there is none (an error, or a forged state). */
export function readCallback(search: string, pending: Pending | null): { code: string } | { problem: CallbackProblem } {
  const params = new URLSearchParams(search);
  if (params.get("error")) return { problem: "denied" };
  const code = params.get("code");
  if (!code || !pending) return { problem: "missing" };
  // The state ties the answer to the sign-in this browser started (no login CSRF).
  if (params.get("state") !== pending.state) return { problem: "state" };
  return { code };
}

export function takePending(): Pending | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  try {
    return raw ? (JSON.parse(raw) as Pending) : null;
  } catch {
    return null;
  }
}

async function tokenRequest(cognito: CognitoConfig, body: Record<string, string>): Promise<Tokens> {
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: cognito.clientId, ...body }),
  });
  if (!response.ok) throw new Error(`token endpoint: ${response.status}`);
  return (await response.json()) as Tokens;
}

export async function exchangeCode(cognito: CognitoConfig, code: string, verifier: string): Promise<Tokens> {
  return tokenRequest(cognito, {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri(window.location.origin),
  });
}

export function keepRefreshToken(value: string | undefined): void {
  if (value) localStorage.setItem(REFRESH_KEY, value);
}

export function forgetRefreshToken(): void {
  localStorage.removeItem(REFRESH_KEY);
}

/** A new ID token from the refresh token, or null when there is none or Cognito refuses it (revoked, expired). */
export async function renew(cognito: CognitoConfig): Promise<string | null> {
  const refresh = localStorage.getItem(REFRESH_KEY);
  if (!refresh) return null;
  try {
    return (await tokenRequest(cognito, { grant_type: "refresh_token", refresh_token: refresh })).id_token;
  } catch {
    forgetRefreshToken();
    return null;
  }
}

export function needsRenewal(expiresAt: number, now: number): boolean {
  return expiresAt - now < RENEW_BEFORE_MS;
}
