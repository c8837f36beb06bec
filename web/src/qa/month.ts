// Desk months (yyyy-mm in the desk's time zone): what the coverage and scorecard screens ask for.
import { deskDate } from "../console/period";

export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

export function deskMonth(now: Date, timeZone: string): string {
  return deskDate(now, timeZone).slice(0, 7);
}

/** The month an address names (`?month=`), or the desk's current one. */
export function monthOf(search: string, now: Date, timeZone: string): string {
  const asked = new URLSearchParams(search).get("month") ?? "";
  return MONTH_PATTERN.test(asked) ? asked : deskMonth(now, timeZone);
}
