// The profile form: what it holds, what a save sends (only what changed), and the app language a preferred
// language means.
import type { Lang } from "../i18n";
import type { OwnProfile, OwnProfilePatch, ProfileLanguage } from "./api";

export interface ProfileForm {
  name: string;
  preferredLanguage: ProfileLanguage | "";
  email: boolean;
  phone: boolean;
  /** Progress notices (reply, waiting on you, resolved) on or off, and the channel they come by ("" = kefu picks). */
  notifications: boolean;
  notifyBy: NotifyBy | "";
  /** Kept as the record has it (the form does not edit it), so a save never drops it. */
  timeZone: string | null;
}

export type NotifyBy = "email" | "sms" | "app";

export function formOf(profile: OwnProfile): ProfileForm {
  return {
    name: profile.name ?? "",
    preferredLanguage: profile.preferredLanguage ?? "",
    email: profile.contactPreferences?.email ?? true,
    phone: profile.contactPreferences?.phone ?? true,
    notifications: profile.contactPreferences?.notifications ?? true,
    notifyBy: profile.contactPreferences?.notifyBy ?? "",
    timeZone: profile.contactPreferences?.timeZone ?? null,
  };
}

/** The fields the customer changed, or null when nothing did (the API refuses an empty change). */
export function changes(before: ProfileForm, after: ProfileForm): OwnProfilePatch | null {
  const patch: OwnProfilePatch = {};
  const name = after.name.trim();
  if (name && name !== before.name) patch.name = name;
  if (after.preferredLanguage && after.preferredLanguage !== before.preferredLanguage) patch.preferredLanguage = after.preferredLanguage;
  const prefs = ["email", "phone", "notifications", "notifyBy"] as const;
  // The preferences are one value on the record: a change sends all of them, so none is reset to its default.
  if (prefs.some((key) => after[key] !== before[key]))
    patch.contactPreferences = {
      email: after.email,
      phone: after.phone,
      notifications: after.notifications,
      notifyBy: after.notifyBy || null,
      timeZone: after.timeZone,
    };
  return Object.keys(patch).length ? patch : null;
}

/** The app's language for a preferred language: saving one switches the page to it. */
export function appLanguage(preferred: ProfileLanguage): Lang {
  if (preferred === "zh-Hant") return "zh-TW";
  if (preferred === "en") return "en";
  return "zh-CN";
}
