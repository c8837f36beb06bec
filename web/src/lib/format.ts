// What the screens print for times, durations and SLA countdowns, in the current language and the desk's zone.
import { config } from "../config";
import { lang, t } from "../i18n";
import { durationParts, formatDateTime } from "./time";
import type { SlaCountdown } from "./sla";

export function dateTime(iso: string | null | undefined): string {
  return formatDateTime(iso, lang(), config().timeZone);
}

export function duration(milliseconds: number): string {
  const { days, hours, minutes, seconds } = durationParts(milliseconds);
  if (days > 0) return t("duration.dhm", { d: days, h: hours });
  if (hours > 0) return t("duration.hm", { h: hours, m: minutes });
  return t("duration.ms", { m: minutes, s: seconds });
}

export function slaText(countdown: SlaCountdown): string {
  if (countdown.urgency === "met") return t("sla.met");
  if (countdown.urgency === "paused") return t("sla.paused");
  if (countdown.remainingMs === null || countdown.target === null) return t("sla.none");
  const target = t(countdown.target === "firstResponse" ? "sla.firstResponse" : "sla.resolution");
  const time = duration(countdown.remainingMs);
  return countdown.remainingMs < 0 ? t("sla.breached", { target, time }) : t("sla.left", { target, time });
}
