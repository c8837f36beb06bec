// The profile form: what it holds, what a save sends (only what changed), and the app language a preferred
// language means.
import type { Lang } from "../i18n";
import type { OwnProfile, OwnProfilePatch, ProfileLanguage } from "./api";

export interface ProfileForm {
  name: string;
  preferredLanguage: ProfileLanguage | "";
  email: boolean;
  phone: boolean;
}

export function formOf(profile: OwnProfile): ProfileForm {
  return {
    name: profile.name ?? "",
    preferredLanguage: profile.preferredLanguage ?? "",
    email: profile.contactPreferences?.email ?? true,
    phone: profile.contactPreferences?.phone ?? true,
  };
}

/** The fields the customer changed, or null when nothing did (the API refuses an empty change). */
export function changes(before: ProfileForm, after: ProfileForm): OwnProfilePatch | null {
  const patch: OwnProfilePatch = {};
  const name = after.name.trim();
  if (name && name !== before.name) patch.name = name;
  if (after.preferredLanguage && after.preferredLanguage !== before.preferredLanguage) patch.preferredLanguage = after.preferredLanguage;
  if (after.email !== before.email || after.phone !== before.phone) patch.contactPreferences = { email: after.email, phone: after.phone };
  return Object.keys(patch).length ? patch : null;
}

/** The app's language for a preferred language: saving one switches the page to it. */
export function appLanguage(preferred: ProfileLanguage): Lang {
  if (preferred === "zh-Hant") return "zh-TW";
  if (preferred === "en") return "en";
  return "zh-CN";
}
