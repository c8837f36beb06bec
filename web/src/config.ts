// The runtime configuration, written where the app is served (the local stack, or the deployment in AWS):
// one build runs against any API.
export interface RuntimeConfig {
  /** The HTTP API's base URL, absolute or relative to the app's origin. */
  apiUrl: string;
  /** Only the local stack sets this: the demo users' sign-in page and `?as=<user>` exist there alone. */
  localSignIn: boolean;
  /** The desk's time zone: dates and durations are shown in it. */
  timeZone: string;
  /** In AWS: Cognito's hosted sign-in (its domain's URL and the app client); absent locally. */
  cognito: CognitoConfig | null;
}

export interface CognitoConfig {
  /** `https://<prefix>.auth.<region>.amazoncognito.com` */
  domain: string;
  clientId: string;
}

const DEFAULTS: RuntimeConfig = { apiUrl: "/api", localSignIn: false, timeZone: "Asia/Shanghai", cognito: null };

function parseCognito(raw: unknown): CognitoConfig | null {
  const value = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const { domain, clientId } = value;
  if (typeof domain !== "string" || !/^https:\/\/[^/]+$/.test(domain.replace(/\/+$/, ""))) return null;
  if (typeof clientId !== "string" || !clientId) return null;
  return { domain: domain.replace(/\/+$/, ""), clientId };
}

let current: RuntimeConfig = DEFAULTS;

export function parseConfig(raw: unknown): RuntimeConfig {
  const value = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  return {
    apiUrl: typeof value.apiUrl === "string" && value.apiUrl ? value.apiUrl.replace(/\/+$/, "") : DEFAULTS.apiUrl,
    localSignIn: value.localSignIn === true,
    timeZone: typeof value.timeZone === "string" && value.timeZone ? value.timeZone : DEFAULTS.timeZone,
    cognito: parseCognito(value.cognito),
  };
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  current = parseConfig(await response.json());
  return current;
}

export function config(): RuntimeConfig {
  return current;
}
