// The one HTTP client: bearer token on, problem+json (RFC 9457) turned into typed errors.
import { config } from "../config";
import { freshToken, renewToken, sessionExpired } from "../auth";

export type ProblemKind =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "stale"
  | "invalid"
  | "too-large"
  | "rate-limited"
  | "server"
  | "other";

const KIND_OF_STATUS: Record<number, ProblemKind> = {
  400: "bad-request",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  409: "conflict",
  412: "stale",
  413: "too-large",
  415: "bad-request",
  422: "invalid",
  428: "stale",
  429: "rate-limited",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { location: string; message: string; type: string }[];
}

/** The API answered with an error: its problem document, and what kind of error it is. */
export class ApiError extends Error {
  readonly kind: ProblemKind;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.problem = problem;
    this.kind = problemKind(problem.status);
  }

  get status(): number {
    return this.problem.status;
  }
}

/** The API could not be reached (offline, DNS, connection refused): safe to retry. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "NetworkError";
  }
}

export function problemKind(status: number): ProblemKind {
  if (status >= 500) return "server";
  return KIND_OF_STATUS[status] ?? "other";
}

/** A problem document from any error answer: a non-problem body (a proxy's HTML page) still gets its status. */
export function toProblem(status: number, statusText: string, contentType: string, text: string): Problem {
  if (/json/i.test(contentType)) {
    try {
      const body = JSON.parse(text) as Partial<Problem>;
      return {
        type: typeof body.type === "string" ? body.type : "about:blank",
        title: typeof body.title === "string" ? body.title : statusText,
        status: typeof body.status === "number" ? body.status : status,
        detail: typeof body.detail === "string" ? body.detail : "",
        errors: Array.isArray(body.errors) ? body.errors : undefined,
      };
    } catch {
      // Not JSON after all: fall through to the status alone.
    }
  }
  return { type: "about:blank", title: statusText, status, detail: "" };
}

export interface Answer<T> {
  data: T;
  etag: string | null;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** A public route (survey links): no token is sent and a 401 does not end the session. */
  anonymous?: boolean;
  /** Let the request outlive the page (handle time flushed as the agent leaves). */
  keepalive?: boolean;
}

export function url(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return `${config().apiUrl}${path}${search ? `?${search}` : ""}`;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const bearer = options.anonymous ? null : await freshToken();
  let response = await send(method, path, options, bearer);
  // A token refused mid-session (expired, revoked): renew it once if Cognito can, and try again with it.
  if (response.status === 401 && bearer) {
    const renewed = await renewToken();
    if (renewed) response = await send(method, path, options, renewed);
  }
  const text = await response.text();
  if (!response.ok) {
    const error = new ApiError(
      toProblem(response.status, response.statusText, response.headers.get("content-type") ?? "", text),
    );
    if (error.kind === "unauthorized" && !options.anonymous) sessionExpired();
    throw error;
  }
  return { data: (text ? JSON.parse(text) : null) as T, etag: response.headers.get("etag") };
}

async function send(method: string, path: string, options: RequestOptions, bearer: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  try {
    return await fetch(url(path, options.query), { method, headers, body, keepalive: options.keepalive });
  } catch (err) {
    throw new NetworkError(err);
  }
}
