import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { setLang, t } from "../i18n";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { changeProfile, readProfile, type OwnProfile } from "./api";
import { appLanguage, changes, formOf, type NotifyBy, type ProfileForm } from "./profile";

type Notice = "saved" | "stale" | "unchanged";
/** A save that switched the language re-renders every screen (this one anew): its notice is carried over. */
let carried: Notice | null = null;

/** The customer's name, preferred language and contact preferences, saved with the version read (If-Match). */
export function ProfileView() {
  const [profile, setProfile] = useState<OwnProfile | null>(null);
  const [etag, setEtag] = useState("");
  const [form, setForm] = useState<ProfileForm | null>(null);
  const [notice, setNotice] = useState<Notice | null>(() => {
    const kept = carried;
    carried = null;
    return kept;
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    try {
      const answer = await readProfile();
      setProfile(answer.data);
      setEtag(answer.etag ?? "*");
      setForm(formOf(answer.data));
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), []);

  async function save(event: Event) {
    event.preventDefault();
    if (!profile || !form || busy) return;
    const patch = changes(formOf(profile), form);
    if (!patch) return setNotice("unchanged");
    setBusy(true);
    try {
      const answer = await changeProfile(patch, etag);
      setProfile(answer.data);
      setEtag(answer.etag ?? "*");
      setForm(formOf(answer.data));
      setNotice("saved");
      if (patch.preferredLanguage) {
        carried = "saved";
        setLang(appLanguage(patch.preferredLanguage));
      }
    } catch (err) {
      if (err instanceof ApiError && err.kind === "stale") {
        // Changed elsewhere since it was read: show the record as it is now, to change again.
        setNotice("stale");
        await load();
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  const set = (part: Partial<ProfileForm>) => form && setForm({ ...form, ...part });
  return (
    <Layout>
      <p>
        <a href="/portal">{t("portal.back")}</a>
      </p>
      <h1>{t("profile.title")}</h1>
      <ErrorMessage error={error} onRetry={profile ? undefined : load} />
      {!form && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {profile && form && (
        <form onSubmit={save} data-testid="profile-form">
          <p>
            <small>{[profile.email, profile.phone].filter(Boolean).join(" · ")}</small>
          </p>
          <label>
            {t("profile.name")}
            <input data-testid="profile-name" maxLength={200} value={form.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            {t("profile.language")}
            <select
              data-testid="profile-language"
              value={form.preferredLanguage}
              onChange={(e) => set({ preferredLanguage: (e.target as HTMLSelectElement).value as ProfileForm["preferredLanguage"] })}
            >
              <option value="" disabled>
                {t("profile.languageUnset")}
              </option>
              <option value="zh-Hans">简体中文</option>
              <option value="zh-Hant">繁體中文</option>
              <option value="en">English</option>
            </select>
          </label>
          <fieldset>
            <legend>{t("profile.contact")}</legend>
            <label>
              <input type="checkbox" role="switch" data-testid="contact-email" checked={form.email} onChange={(e) => set({ email: (e.target as HTMLInputElement).checked })} />
              {t("profile.contactEmail")}
            </label>
            <label>
              <input type="checkbox" role="switch" data-testid="contact-phone" checked={form.phone} onChange={(e) => set({ phone: (e.target as HTMLInputElement).checked })} />
              {t("profile.contactPhone")}
            </label>
          </fieldset>
          <fieldset>
            <legend>{t("profile.notices")}</legend>
            <label>
              <input type="checkbox" role="switch" data-testid="notices-on" checked={form.notifications} onChange={(e) => set({ notifications: (e.target as HTMLInputElement).checked })} />
              {t("profile.noticesOn")}
            </label>
            <label>
              {t("profile.noticesBy")}
              <select data-testid="notices-by" value={form.notifyBy} disabled={!form.notifications} onChange={(e) => set({ notifyBy: (e.target as HTMLSelectElement).value as NotifyBy | "" })}>
                <option value="">{t("profile.noticesByAuto")}</option>
                <option value="email">{t("profile.contactEmail")}</option>
                <option value="sms">{t("profile.noticesBySms")}</option>
                <option value="app">{t("profile.noticesByApp")}</option>
              </select>
            </label>
          </fieldset>
          {notice && (
            <p role="status" data-testid="profile-notice">
              {t(`profile.${notice}`)}
            </p>
          )}
          <button type="submit" data-testid="profile-save" disabled={busy} aria-busy={busy}>
            {t("profile.save")}
          </button>
        </form>
      )}
    </Layout>
  );
}
