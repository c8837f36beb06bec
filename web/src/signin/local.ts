// The local stack's sign-in (it exists only there): the demo users, and a token for one of them.
export interface DemoUser {
  id: string;
  name: string;
  email: string;
  role: "customer" | "agent" | "supervisor" | "admin";
}

export async function demoUsers(): Promise<DemoUser[]> {
  const response = await fetch("/local/users");
  if (!response.ok) throw new Error(`/local/users: ${response.status}`);
  return (await response.json()) as DemoUser[];
}

export async function demoToken(user: string): Promise<string> {
  const response = await fetch("/local/sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user }),
  });
  if (!response.ok) throw new Error(`/local/sign-in: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Only paths of this app are followed after sign-in (an open redirect would hand the session elsewhere). */
export function safeNext(next: string | null, fallback: string): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}
