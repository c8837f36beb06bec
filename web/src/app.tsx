import type { ComponentType } from "preact";
import { LocationProvider, Route, Router, lazy } from "preact-iso";
import { identity, isStaff, isSupervisor } from "./auth";
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

/** A screen for signed-in people of one side (staff or customers); others are sent to sign in or to their side. */
function guarded<P extends object>(Screen: ComponentType<P>, staff: boolean): ComponentType<P> {
  return (props: P) => {
    const who = identity();
    if (!who) {
      const here = window.location.pathname + window.location.search;
      window.location.replace(`/sign-in?next=${encodeURIComponent(here)}`);
      return null;
    }
    if (isStaff(who) !== staff) {
      return (
        <Layout>
          <NotFound />
        </Layout>
      );
    }
    return <Screen {...props} />;
  };
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

export function App() {
  // Every screen reads its strings through t(); re-rendering from here switches them all.
  const language = useLang();
  return (
    <LocationProvider>
      <Router key={language}>
        <Route path="/" component={identity() && !isStaff(identity()) ? Portal : Workspace} />
        <Route path="/tickets/:id" component={WorkspaceTicket} />
        <Route path="/console" component={Dashboard} />
        <Route path="/console/attention" component={Attention} />
        <Route path="/console/teams" component={Teams} />
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
