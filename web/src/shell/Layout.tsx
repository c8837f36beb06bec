import type { ComponentChildren } from "preact";
import { identity, isCustomer, isReviewer, isStaff, isSupervisor, signOut } from "../auth";
import { LANGS, lang, setLang, t, type Lang } from "../i18n";
import { config } from "../config";
import { logoutUrl } from "../signin/cognito";

export function LanguagePicker() {
  return (
    <label class="lang">
      <span class="visually-hidden">{t("nav.language")}</span>
      <select
        aria-label={t("nav.language")}
        data-testid="language"
        value={lang()}
        onChange={(event) => setLang((event.target as HTMLSelectElement).value as Lang)}
      >
        {LANGS.map((option) => (
          <option key={option.id} value={option.id} lang={option.id}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Layout({ children, extra }: { children: ComponentChildren; extra?: ComponentChildren }) {
  const who = identity();
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="container">
        <nav aria-label={t("nav.main")}>
          <ul>
            <li>
              <strong>{t("app.title")}</strong>
            </li>
          </ul>
          <ul>
            {who && isStaff(who) && (
              <li>
                <a href="/">{t("nav.workspace")}</a>
              </li>
            )}
            {who && isSupervisor(who) && (
              <li>
                <a href="/console" data-testid="nav-console">
                  {t("nav.console")}
                </a>
              </li>
            )}
            {who && (isStaff(who) || isReviewer(who)) && (
              <li>
                <a href={isReviewer(who) ? "/qa" : "/qa/mine"} data-testid="nav-qa">
                  {t("nav.qa")}
                </a>
              </li>
            )}
            {who && isCustomer(who) && (
              <>
                <li>
                  <a href="/portal">{t("nav.portal")}</a>
                </li>
                <li>
                  <a href="/portal/new">{t("nav.newTicket")}</a>
                </li>
              </>
            )}
            {extra && <li>{extra}</li>}
            <li>
              <LanguagePicker />
            </li>
            {who && (
              <li>
                <button
                  type="button"
                  class="outline secondary"
                  onClick={() => {
                    signOut();
                    const cognito = config().cognito;
                    // In AWS the hosted sign-in's session ends too, or the next sign-in would skip the password.
                    window.location.assign(cognito ? logoutUrl(cognito, window.location.origin) : "/sign-in");
                  }}
                >
                  {t("nav.signOut")}
                </button>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" class="container">
        {children}
      </main>
    </>
  );
}
