// The dashboard's period: desk dates (the desk's time zone), the last seven days unless the supervisor picks others.

/** The desk date (YYYY-MM-DD) of an instant in a time zone. */
export function deskDate(instant: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const moved = new Date(Date.UTC(y, m - 1, d + days));
  return moved.toISOString().slice(0, 10);
}

export interface Period {
  from: string;
  to: string;
}

export function lastDays(days: number, now: Date, timeZone: string): Period {
  const to = deskDate(now, timeZone);
  return { from: addDays(to, 1 - days), to };
}

/** What is wrong with a picked period (the API's own limits), or null. */
export function periodProblem(period: Period): "order" | "length" | null {
  if (!period.from || !period.to || period.from > period.to) return "order";
  const span = (Date.parse(`${period.to}T00:00:00Z`) - Date.parse(`${period.from}T00:00:00Z`)) / 86_400_000 + 1;
  return span > 400 ? "length" : null;
}
