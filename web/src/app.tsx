import type { ComponentType } from "preact";
import { LocationProvider, Route, Router, lazy } from "preact-iso";
import { identity, isCustomer, isReviewer, isStaff, isSupervisor, type Identity } from "./auth";
import { useLang } from "./i18n";
import { SignIn } from "./signin/SignIn";
import { AuthCallback } from "./signin/AuthCallback";
import { QueueView } from "./queue/QueueView";
import { TicketView } from "./ticket/TicketView";
import { PortalList } from "./portal/PortalList";
import { PortalTicket } from "./portal/PortalTicket";
import { NewTicketView } from "./portal/NewTicketView";
import { SurveyPage } from "./survey/SurveyPage";
import { ProfileView } from "./profile/ProfileView";
import { Layout } from "./shell/Layout";
import { NotFound } from "./shell/NotFound";

/** A screen for signed-in people who pass `allowed`; others are sent to sign in, or get the not-found page. */
function gated<P extends object>(Screen: ComponentType<P>, allowed: (who: Identity) => boolean): ComponentType<P> {
  return (props: P) => {
    const who = identity();
    if (!who) {
      const here = window.location.pathname + window.location.search;
      window.location.replace(`/sign-in?next=${encodeURIComponent(here)}`);
      return null;
    }
    if (!allowed(who)) {
      return (
        <Layout>
          <NotFound />
        </Layout>
      );
    }
    return <Screen {...props} />;
  };
}

/** A screen of one side (staff or customers). */
function guarded<P extends object>(Screen: ComponentType<P>, staff: boolean): ComponentType<P> {
  return gated(Screen, staff ? isStaff : isCustomer);
}

/** A console screen: supervisors and admins only (an agent gets the not-found page, as for any screen not theirs). */
function supervisors<P extends object>(Screen: ComponentType<P>): ComponentType<P> {
  return guarded((props: P) => {
    if (!isSupervisor(identity())) {
      return (
        <Layout>
          <NotFound />
        </Layout>
      );
    }
    return <Screen {...props} />;
  }, true);
}

// The console loads on demand: its charts stay out of the workspace's initial JavaScript.
const Dashboard = supervisors(lazy(() => import("./console/Dashboard")));
const Attention = supervisors(lazy(() => import("./console/Attention")));
const Teams = supervisors(lazy(() => import("./console/Teams")));
// Quality inspection loads on demand too: reviewers (the `qa` group, supervisors, admins) get the queue, coverage
// and any agent's scorecard; agents their own reviews and scorecard; supervisors the appeals to decide.
const qa = () => import("./qa/screens");
const QaQueue = gated(lazy(() => qa().then((m) => m.ReviewQueue)), isReviewer);
const QaCoverage = gated(lazy(() => qa().then((m) => m.CoverageView)), isReviewer);
const QaAppeals = supervisors(lazy(() => qa().then((m) => m.Appeals)));
const QaMine = guarded(lazy(() => qa().then((m) => m.MyReviews)), true);
const qaPeople = (who: Identity) => isStaff(who) || isReviewer(who);
const QaReview = gated(lazy(() => qa().then((m) => m.ReviewView)), qaPeople);
const QaScorecard = gated(lazy(() => qa().then((m) => m.ScorecardView)), qaPeople);
const Workspace = guarded(QueueView, true);
const WorkspaceTicket = guarded(TicketView, true);
const Portal = guarded(PortalList, false);
const PortalConversation = guarded(PortalTicket, false);
const PortalNew = guarded(NewTicketView, false);
const PortalProfile = guarded(ProfileView, false);

function Missing() {
  return (
    <Layout>
      <NotFound />
    </Layout>
  );
}

/** The start page: the workspace for staff (and anyone not signed in), the QA queue for the inspection team. */
function home(who: Identity | null): ComponentType {
  if (who && isCustomer(who)) return Portal;
  return who && !isStaff(who) && isReviewer(who) ? QaQueue : Workspace;
}

export function App() {
  // Every screen reads its strings through t(); re-rendering from here switches them all.
  const language = useLang();
  return (
    <LocationProvider>
      <Router key={language}>
        <Route path="/" component={home(identity())} />
        <Route path="/tickets/:id" component={WorkspaceTicket} />
        <Route path="/console" component={Dashboard} />
        <Route path="/console/attention" component={Attention} />
        <Route path="/console/teams" component={Teams} />
        <Route path="/qa" component={QaQueue} />
        <Route path="/qa/coverage" component={QaCoverage} />
        <Route path="/qa/appeals" component={QaAppeals} />
        <Route path="/qa/mine" component={QaMine} />
        <Route path="/qa/reviews/:id" component={QaReview} />
        <Route path="/qa/scorecards" component={QaScorecard} />
        <Route path="/portal" component={Portal} />
        <Route path="/portal/new" component={PortalNew} />
        <Route path="/portal/tickets/:id" component={PortalConversation} />
        <Route path="/portal/profile" component={PortalProfile} />
        <Route path="/surveys/:token" component={SurveyPage} />
        <Route path="/sign-in" component={SignIn} />
        <Route path="/auth/callback" component={AuthCallback} />
        <Route default component={Missing} />
      </Router>
    </LocationProvider>
  );
}
