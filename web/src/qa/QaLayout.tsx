import type { ComponentChildren } from "preact";
import { identity, isReviewer, isStaff, isSupervisor, type Identity } from "../auth";
import { SectionLayout } from "../shell/SectionLayout";
import { qt, type QaKey } from "./messages";

interface Screen {
  path: string;
  label: QaKey;
  testid: string;
  shown: (who: Identity | null) => boolean;
}

const SCREENS: Screen[] = [
  { path: "/qa", label: "qa.nav.queue", testid: "qa-nav-queue", shown: isReviewer },
  { path: "/qa/coverage", label: "qa.nav.coverage", testid: "qa-nav-coverage", shown: isReviewer },
  { path: "/qa/appeals", label: "qa.nav.appeals", testid: "qa-nav-appeals", shown: isSupervisor },
  { path: "/qa/mine", label: "qa.nav.mine", testid: "qa-nav-mine", shown: isStaff },
  { path: "/qa/scorecards", label: "qa.nav.scorecards", testid: "qa-nav-scorecards", shown: (who) => isStaff(who) || isReviewer(who) },
];

/**
 * The QA screens share a heading and a second line of navigation showing the screens the person's role has. `here`
 * is the screen's own path (the queue is also a reviewer's start page, "/").
 */
export function QaLayout({ title, here, children }: { title: string; here?: string; children: ComponentChildren }) {
  const who = identity();
  const links = SCREENS.filter((screen) => screen.shown(who)).map((screen) => ({ ...screen, label: qt(screen.label) }));
  return (
    <SectionLayout title={title} navLabel={qt("qa.nav")} links={links} here={here}>
      {children}
    </SectionLayout>
  );
}
