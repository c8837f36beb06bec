import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { t, type MessageKey } from "../i18n";
import { Layout } from "../shell/Layout";

const SCREENS: { path: string; label: MessageKey; testid: string }[] = [
  { path: "/console", label: "console.dashboard", testid: "console-dashboard" },
  { path: "/console/attention", label: "console.attention", testid: "console-attention" },
  { path: "/console/teams", label: "console.teams", testid: "console-teams" },
];

/** The supervisor console's screens share a heading and a second line of navigation. */
export function ConsoleLayout({ title, children }: { title: MessageKey; children: ComponentChildren }) {
  const { path } = useLocation();
  return (
    <Layout>
      <h1>{t(title)}</h1>
      <nav aria-label={t("console.nav")}>
        <ul>
          {SCREENS.map((screen) => (
            <li key={screen.path}>
              <a href={screen.path} data-testid={screen.testid} aria-current={path === screen.path ? "page" : undefined}>
                {t(screen.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {children}
    </Layout>
  );
}
