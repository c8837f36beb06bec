import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { t, type MessageKey } from "../i18n";
import { SectionLayout } from "../shell/SectionLayout";

const SCREENS: { path: string; label: MessageKey; testid: string }[] = [
  { path: "/console", label: "console.dashboard", testid: "console-dashboard" },
  { path: "/console/attention", label: "console.attention", testid: "console-attention" },
  { path: "/console/teams", label: "console.teams", testid: "console-teams" },
];

/** The supervisor console's screens share a heading and a second line of navigation. */
export function ConsoleLayout({ title, children }: { title: MessageKey; children: ComponentChildren }) {
  const { path } = useLocation();
  const links = SCREENS.map((screen) => ({ ...screen, label: t(screen.label) }));
  return (
    <SectionLayout title={t(title)} navLabel={t("console.nav")} links={links} here={path}>
      {children}
    </SectionLayout>
  );
}
